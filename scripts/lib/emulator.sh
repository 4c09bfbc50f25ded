# Starts the emulator for a script and reads its address: the one way the shell scripts do it
# (emulator.py beside this file is the same for Python). `--ready-file` makes the emulator write
# its URL to a file once it listens, so there is no output to parse and no race.
#
#   source scripts/lib/emulator.sh
#   emulator_start BINARY DIR [FLAG...]  # a free loopback port; sets emulator_url and emulator_pid
#   emulator_stop                        # safe to call twice, or when nothing was started
#
# DIR receives emulator.ready and the emulator's stdout (emulator.out); stderr is left alone.
# Waits at most 10 s; on failure says why on stderr and returns 1.

emulator_pid=
emulator_url=

emulator_start() {
  local bin=$1 dir=$2 ready=$2/emulator.ready i
  shift 2
  rm -f "$ready"
  "$bin" --listen 127.0.0.1:0 --ready-file "$ready" "$@" >"$dir/emulator.out" &
  emulator_pid=$!
  for i in $(seq 100); do # 100 times 0.1 s
    if [ -s "$ready" ]; then
      emulator_url=$(cat "$ready")
      return 0
    fi
    if ! kill -0 "$emulator_pid" 2>/dev/null; then
      wait "$emulator_pid" 2>/dev/null || true
      emulator_pid=
      echo "${0##*/}: the emulator exited before it listened" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "${0##*/}: the emulator did not listen within 10 s" >&2
  return 1
}

emulator_stop() {
  if [ -n "$emulator_pid" ]; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
    emulator_pid=
  fi
}
