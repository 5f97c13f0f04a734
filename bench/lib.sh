# What the benchmarks share; sourced by them, never run.

# Unless already inside one, runs the calling script again (`bash SCRIPT ARGS...`) in a
# private session bus with an unlocked gnome-keyring (the `local` profile's secret lives
# there), under Xvfb with --xvfb, and exits with its status.
in_bench_session() {  # [--xvfb] SCRIPT ARGS...
  [ -z "${STRATA_BENCH_SESSION:-}" ] || return 0
  local display=()
  if [ "$1" = --xvfb ]; then
    display=(xvfb-run -a -s "-screen 0 1280x800x24")
    shift
  fi
  keyrings="$(mktemp -d)"
  trap 'rm -rf "$keyrings"' EXIT
  STRATA_BENCH_SESSION=1 XDG_DATA_HOME="$keyrings" dbus-run-session -- bash -c \
    'echo -n bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec "$@"' bench \
    "${display[@]}" bash "$@"
  exit
}

# The median of the numbers given.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits until something listens on 127.0.0.1:PORT (10 s at most).
wait_port() { for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }
