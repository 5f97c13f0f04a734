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
