#!/usr/bin/python3
# predecessor_devctl.py - a stand-in for the predecessor's Python devctl
# (seemethere/devservers, click + the official kubernetes client), so that
# tests/integration/test_predecessor_cli.sh can check that people still on the
# old CLI can use it against this operator, and that it can read what our
# devctl writes.
#
# Written here from the predecessor's documented and observable behaviour, not
# copied: its command line (src/devservers/cli/main.py), what its handlers
# send and read (src/devservers/cli/handlers/create.py; its list, describe and
# delete handlers; src/devservers/crds/base.py for how describe and delete
# go through its DevServer class), its CLI README (src/devservers/cli/README.md:
# the config file and the SSH key it picks) and its tests (tests/test_cli.py:
# the object create sends, what list and describe must show). It uses the
# same client library (Debian's python3-kubernetes) so that requests, watches
# and failures behave as the predecessor's did. What it reproduces:
#
#   global    --config PATH, --assume-yes (accepted; the stand-in never writes
#             a config file). The kubeconfig as the client loads it; the
#             namespace is the current context's, else "default".
#   create    --name (default dev), --flavor (default: the first flavor with
#             spec.default: true, else "No default flavor found", exit 1),
#             --image (only sent when given), --ssh-public-key-file (default:
#             the config's ssh.public_key_file, else the first of
#             ~/.ssh/id_ed25519.pub, id_ecdsa.pub, id_ecdsa_sk.pub, id_rsa.pub;
#             the whole file, stripped, becomes spec.ssh.publicKey),
#             --time/--ttl (default 4h, spec.lifecycle.timeToLive),
#             -v/--volume PVC:/path[:ro] (readOnly always written), --wait:
#             watch the DevServer until status.phase is Running, then the pods
#             labelled app=<name> until one is Running with every container
#             ready. No timeout of its own (the caller sets one). A conflict
#             prints "already exists" and still exits 0, as the original did.
#   list      every DevServer of the namespace as Name, Status
#             (status.phase, else Unknown), Image (spec.image, else default),
#             Flavor (spec["flavor"]), TTL (spec["lifecycle"]["timeToLive"]):
#             the last two are read without a default, so a DevServer without
#             them fails the whole command with a KeyError and exit 1, as the
#             original did.
#   describe  --name (default dev): the DevServer as the original's DevServer
#             class holds it (metadata name/namespace/labels/annotations,
#             spec read as data["spec"], status when non-empty), as YAML.
#   delete    --name (default dev): get (not found: a message, exit 0), then
#             delete with default options (background propagation).
#
# Not reproduced: ssh, ssh-proxy, flavors, admin user and config commands, the
# rich-formatted tables and spinners (plain text here), the ~/.ssh/config
# Include handling and the per-DevServer SSH config files delete removes.
import argparse
import os
import sys
from pathlib import Path

import yaml
from kubernetes import client, config, watch

GROUP, VERSION, PLURAL = "devserver.io", "v1", "devservers"
FLAVOR_PLURAL = "devserverflavors"
KEY_FILES = ("id_ed25519.pub", "id_ecdsa.pub", "id_ecdsa_sk.pub", "id_rsa.pub")


def context_namespace():
    """The current kubeconfig context's namespace, else "default"."""
    try:
        _, active = config.list_kube_config_contexts(config_file=os.environ.get("KUBECONFIG"))
        return active.get("context", {}).get("namespace", "default")
    except (config.ConfigException, IndexError):
        return "default"


def public_key_file(config_path):
    """The config's ssh.public_key_file, else the first usual key that exists."""
    path = Path(config_path) if config_path else Path("~/.config/devctl/config.yml").expanduser()
    if path.exists():
        data = yaml.safe_load(path.read_text()) or {}
        configured = (data.get("ssh") or {}).get("public_key_file")
        if configured:
            return configured
    for name in KEY_FILES:
        candidate = Path("~/.ssh").expanduser() / name
        if candidate.exists():
            return str(candidate)
    return "~/.ssh/" + KEY_FILES[0]


def default_flavor(api):
    flavors = api.list_cluster_custom_object(group=GROUP, version=VERSION, plural=FLAVOR_PLURAL)
    for flavor in flavors.get("items", []):
        if flavor.get("spec", {}).get("default", False):
            return flavor
    return None


def wait_running(api, name, namespace):
    """Until the DevServer's status.phase is Running (its watch, unbounded)."""
    for event in watch.Watch().stream(
        api.list_namespaced_custom_object, group=GROUP, version=VERSION, namespace=namespace,
        plural=PLURAL, field_selector=f"metadata.name={name}",
    ):
        obj = event["object"]
        phase = obj.get("status", {}).get("phase")
        if phase == "Running":
            return
        if phase:
            print(f"DevServer '{name}' is in phase: {phase}", flush=True)


def wait_pod_ready(name, namespace):
    """Until a pod labelled app=<name> is Running with all containers ready."""
    core = client.CoreV1Api()
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_pod, namespace=namespace, label_selector=f"app={name}"):
        status = event["object"].status
        if (status.phase == "Running" and status.container_statuses
                and all(c.ready for c in status.container_statuses)):
            w.stop()
            return
        print(f"Pod '{event['object'].metadata.name}' is in phase: {status.phase}", flush=True)


def cmd_create(args, api, namespace):
    flavor = args.flavor
    if not flavor:
        print("No flavor specified, searching for a default flavor...")
        found = default_flavor(api)
        if not found:
            print("Error: No default flavor found. Please specify a flavor with --flavor.")
            sys.exit(1)
        flavor = found["metadata"]["name"]
        print(f"Using default flavor: '{flavor}'")
    key_path = Path(args.ssh_public_key_file or public_key_file(args.config)).expanduser()
    try:
        key = key_path.read_text().strip()
    except FileNotFoundError:
        print(f"Error: SSH public key file not found at '{key_path}'")
        sys.exit(1)
    spec = {"flavor": flavor, "ssh": {"publicKey": key}, "lifecycle": {"timeToLive": args.time}}
    if args.volume:
        volumes = []
        for text in args.volume:
            parts = text.split(":")
            if len(parts) not in (2, 3):
                print(f"Error: Invalid volume format '{text}'. "
                      "Expected format: PVC_NAME:/path or PVC_NAME:/path:ro")
                sys.exit(1)
            volumes.append({"claimName": parts[0], "mountPath": parts[1],
                            "readOnly": len(parts) == 3 and parts[2] == "ro"})
        spec["volumes"] = volumes
    if args.image:
        spec["image"] = args.image
    body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "DevServer",
            "metadata": {"name": args.name, "namespace": namespace}, "spec": spec}
    try:
        api.create_namespaced_custom_object(group=GROUP, version=VERSION, namespace=namespace,
                                            plural=PLURAL, body=body)
        print(f"DevServer '{args.name}' created successfully in namespace '{namespace}'.")
        if args.wait:
            wait_running(api, args.name, namespace)
            print(f"DevServer '{args.name}' is running. Waiting for pod to be ready...", flush=True)
            wait_pod_ready(args.name, namespace)
            print(f"DevServer '{args.name}' is ready.")
    except client.ApiException as e:
        if e.status == 409:
            print(f"Error: DevServer '{args.name}' already exists.")
        else:
            print(f"Error creating DevServer: {e.reason}")


def cmd_list(args, api, namespace):
    try:
        items = api.list_namespaced_custom_object(group=GROUP, version=VERSION,
                                                  namespace=namespace, plural=PLURAL)["items"]
        if not items:
            print(f"No DevServers found in namespace '{namespace}'.")
            return
        rows = []
        for ds in items:
            status = ds.get("status", {})
            rows.append((ds["metadata"]["name"], status.get("phase", "Unknown"),
                         ds["spec"].get("image", "default"), ds["spec"]["flavor"],
                         ds["spec"]["lifecycle"]["timeToLive"]))
        print(f"DevServers in namespace {namespace}")
        for row in [("Name", "Status", "Image", "Flavor", "TTL")] + rows:
            print("  ".join(str(c) for c in row))
    except client.ApiException as e:
        print(f"An error occurred: {e.reason}")


def cmd_describe(args, api, namespace):
    try:
        data = api.get_namespaced_custom_object(group=GROUP, version=VERSION, namespace=namespace,
                                                plural=PLURAL, name=args.name)
        meta = {k: data["metadata"].get(k) for k in ("name", "namespace", "labels", "annotations")}
        body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "DevServer",
                "metadata": {k: v for k, v in meta.items() if v},
                "spec": data["spec"]}
        if data.get("status", {}):
            body["status"] = data["status"]
        print(yaml.dump(body))
    except client.ApiException as e:
        if e.status == 404:
            print(f"Error: DevServer '{args.name}' not found in namespace '{namespace}'.")
        else:
            print(f"An error occurred: {e.reason}")


def cmd_delete(args, api, namespace):
    try:
        api.get_namespaced_custom_object(group=GROUP, version=VERSION, namespace=namespace,
                                         plural=PLURAL, name=args.name)
        api.delete_namespaced_custom_object(group=GROUP, version=VERSION, namespace=namespace,
                                            plural=PLURAL, name=args.name,
                                            body=client.V1DeleteOptions())
        print(f"DevServer '{args.name}' in namespace '{namespace}' deleted.")
    except client.ApiException as e:
        if e.status == 404:
            print(f"Error: DevServer '{args.name}' not found in namespace '{namespace}'.")
        else:
            print(f"An error occurred: {e.reason}")


def main():
    parser = argparse.ArgumentParser(prog="devctl", description="A CLI to manage DevServers.")
    parser.add_argument("--config", default=None)
    parser.add_argument("--assume-yes", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create")
    create.add_argument("--name", default="dev")
    create.add_argument("--flavor")
    create.add_argument("--image")
    create.add_argument("--ssh-public-key-file")
    create.add_argument("--time", "--ttl", dest="time", default="4h")
    create.add_argument("--wait", action="store_true")
    create.add_argument("-v", "--volume", action="append", default=[])
    sub.add_parser("list")
    for name in ("describe", "delete"):
        sub.add_parser(name).add_argument("--name", default="dev")
    args = parser.parse_args()

    config.load_kube_config()
    api = client.CustomObjectsApi()
    namespace = context_namespace()
    {"create": cmd_create, "list": cmd_list, "describe": cmd_describe,
     "delete": cmd_delete}[args.command](args, api, namespace)


if __name__ == "__main__":
    main()
