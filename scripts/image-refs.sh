# scripts/image-refs.sh - the references of the images scripts/images builds, sourced.
# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this
#
# One tag for every image: the project version from CMakeLists.txt's
# project() line (0.1.0 now). Why that and not a content hash or `latest`:
# - the operator's defaults (--tools-image, --default-image) are compiled with
#   the same version, so a binary and the images it expects always agree
#   without a second place to edit;
# - `latest` would make Kubernetes default imagePullPolicy to Always, and
#   nothing here can be pulled;
# - a rebuilt image keeps its reference: `scripts/images import` retags it and
#   new containers use it (IfNotPresent resolves the tag on the node), while a
#   change of the /devserver tree contract bumps the project version.
#
#   DEVSERVER_IMAGE_REPO       localhost/devserver
#   DEVSERVER_IMAGE_TAG        the project version
#   DEVSERVER_IMAGE_NAMES      pause busybox minbase tools base (build order)
#   DEVSERVER_IMAGE_PAUSE ... DEVSERVER_IMAGE_BASE   each full reference
#   devserver_image_ref NAME   prints NAME's reference, fails on an unknown NAME
#
# Not configurable from the environment on purpose: the cluster, the
# operator's defaults and the tests must all see the same references.

DEVSERVER_IMAGE_REPO=localhost/devserver
DEVSERVER_IMAGE_NAMES="pause busybox minbase tools base"
DEVSERVER_IMAGE_TAG=$(sed -n 's/^project(devserver-operator VERSION \([0-9][0-9.]*\)[ )].*/\1/p' \
  "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/CMakeLists.txt" | head -1)
if [ -z "$DEVSERVER_IMAGE_TAG" ]; then
  echo "image-refs.sh: no 'project(devserver-operator VERSION x.y.z' line in CMakeLists.txt" >&2
  return 1
fi
DEVSERVER_IMAGE_PAUSE=$DEVSERVER_IMAGE_REPO/pause:$DEVSERVER_IMAGE_TAG
DEVSERVER_IMAGE_BUSYBOX=$DEVSERVER_IMAGE_REPO/busybox:$DEVSERVER_IMAGE_TAG
DEVSERVER_IMAGE_MINBASE=$DEVSERVER_IMAGE_REPO/minbase:$DEVSERVER_IMAGE_TAG
DEVSERVER_IMAGE_TOOLS=$DEVSERVER_IMAGE_REPO/tools:$DEVSERVER_IMAGE_TAG
DEVSERVER_IMAGE_BASE=$DEVSERVER_IMAGE_REPO/base:$DEVSERVER_IMAGE_TAG

devserver_image_ref() {
  case " $DEVSERVER_IMAGE_NAMES " in
    *" $1 "*) echo "$DEVSERVER_IMAGE_REPO/$1:$DEVSERVER_IMAGE_TAG" ;;
    *) echo "unknown image '$1' (known: $DEVSERVER_IMAGE_NAMES)" >&2; return 1 ;;
  esac
}
