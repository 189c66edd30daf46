# Polling with a deadline (sourced, never run): by common.sh for the suites
# and by bench/run and tests/soak/run, which have no check/pass/fail.
# Never a fixed sleep for a condition: poll it, and give up at a deadline.

# Seconds between two tries (the soak polls 200-item lists: it sets 0.5).
poll_interval_s=${poll_interval_s:-0.2}

# poll__loop PID SECONDS CMD...: the loop of both below; PID "" watches none.
poll__loop() {
  local pid=$1 limit=$2; shift 2
  local deadline=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    [ -z "$pid" ] || kill -0 "$pid" 2>/dev/null || return 2
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep "$poll_interval_s"
  done
}

# wait_until SECONDS CMD...: runs CMD (output discarded) until it succeeds;
# 1 when SECONDS passed first.
wait_until() { poll__loop "" "$@"; }

# wait_until_alive PID SECONDS CMD...: the same while process PID lives;
# 2 as soon as it has exited (an operator that died will not sync its caches).
wait_until_alive() { poll__loop "$@"; }
