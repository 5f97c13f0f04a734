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

# Starts SERVER (builtin: `strata serve-local`; s3s-fs) on a fresh store under $work, with
# $strata the CLI to use; sets endpoint, key, secret, server_pid, home (a data folder with
# profile b for the server), the AWS_* keys, and rclone_ (rclone with remote b).
start_server() {  # server
  home="$work/$1-home"
  case $1 in
    builtin)
      "$strata" --home "$work/server-home" --json serve-local --dir "$work/$1-store" > "$work/serve.json" 2>/dev/null &
      server_pid=$!
      for _ in $(seq 1 100); do [ -s "$work/serve.json" ] && break; sleep 0.1; done
      read -r endpoint key secret < <(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["endpoint"], c["access_key_id"], c["secret_access_key"])' "$work/serve.json")
      ;;
    s3s-fs)
      local port; port=$(free_port)
      key=benchkey secret=benchsecret endpoint="http://127.0.0.1:$port"
      mkdir -p "$work/$1-store"
      s3s-fs --host 127.0.0.1 --port "$port" --access-key "$key" --secret-key "$secret" "$work/$1-store" >/dev/null 2>&1 &
      server_pid=$!
      wait_port "$port"
      ;;
  esac
  printf '%s\n' "$secret" | "$strata" --home "$home" profile add b --endpoint "$endpoint" \
    --path-style --access-key-id "$key" --secret-stdin >/dev/null
  export AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret"
  rclone_=(env RCLONE_CONFIG_B_TYPE=s3 RCLONE_CONFIG_B_PROVIDER=Other RCLONE_CONFIG_B_ENDPOINT="$endpoint"
    RCLONE_CONFIG_B_ACCESS_KEY_ID="$key" RCLONE_CONFIG_B_SECRET_ACCESS_KEY="$secret"
    RCLONE_CONFIG_B_FORCE_PATH_STYLE=true rclone)
}

server_pid=""
stop_server() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; server_pid=""; }

# Builds the release CLI ($strata); installs s3s-fs 0.14.1 when $SERVERS names it; lists
# this machine's aws clis in aws_clis (the pip one earlier on PATH, and /usr/bin/aws); and
# leaves out what rclone 1.60 cannot load on these machines (plain HTTP here anyway).
bench_tools() {
  echo "Building strata (release)..." >&2
  cargo build --release --locked -p strata-cli >&2
  strata="$root/target/release/strata"
  case " $SERVERS " in
    *" s3s-fs "*) command -v s3s-fs >/dev/null || cargo install s3s-fs@0.14.1 --features binary --locked >&2 ;;
  esac
  unset AWS_CA_BUNDLE
  export AWS_DEFAULT_REGION=us-east-1
  aws_clis=()
  for cli in $(which -a aws | xargs -n1 readlink -f | awk '!seen[$0]++'); do aws_clis+=("$cli"); done
}

# The start every benchmark shares: the session (see in_bench_session), the tools (see
# bench_tools), and a work folder ($work) removed at exit, with the server stopped.
bench_start() {  # SCRIPT ARGS...
  in_bench_session "$@"
  bench_tools
  work="$(mktemp -d)"
  trap 'stop_server; rm -rf "$work"' EXIT
}

# Runs a command with GNU time after syncing the disk; prints its wall seconds, or fails
# with the command's last words.
timed() {  # command...
  sync
  /usr/bin/time -f "%e" -o "$work/time" "$@" > "$work/out" 2> "$work/err" < /dev/null || {
    echo "failed: $* ($(tail -3 "$work/err"))" >&2; return 1; }
  awk '{ printf "%.2f\n", $1 }' "$work/time"
}

# rclone's version (v1.60.1-DEV), read whole so no SIGPIPE ends a script under pipefail.
rclone_version() { rclone version | sed -n 1p | cut -d' ' -f2; }
