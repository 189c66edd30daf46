# A stack of cleanup commands run at exit (sourced, never run).
#
#   on_exit 'kubectl delete namespace "$ns" --wait=false'
#
# pushes a command; one EXIT trap runs them all, the last pushed first, each
# evaluated then (so "$ns" is read at exit) with errexit, nounset and
# pipefail off. A cleanup that fails is reported on stderr and never changes
# the script's exit status: that is the status the script was leaving with.
# A cleanup must not call exit (that ends the handler: the commands below it
# would not run). Do not set an EXIT trap of your own beside this one. A
# subshell ($(...), a pipeline) that pushes starts a stack of its own, run
# when it exits; the parent's commands are not run there.

on_exit__cmds=()
on_exit__owner=

on_exit() {
  if [ "$on_exit__owner" != "$BASHPID" ]; then
    on_exit__owner=$BASHPID
    on_exit__cmds=()
    trap on_exit__run EXIT
  fi
  on_exit__cmds+=("$1")
}

on_exit__run() {
  local rc=$? i
  set +euo pipefail
  for (( i = ${#on_exit__cmds[@]} - 1; i >= 0; i-- )); do
    ( exit 0 )   # each cleanup starts from a clean $?
    eval "${on_exit__cmds[i]}" || echo "cleanup failed (ignored): ${on_exit__cmds[i]}" >&2
  done
  on_exit__cmds=()
  exit "$rc"
}
