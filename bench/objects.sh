#!/usr/bin/env bash
# Listing a big folder, on this machine, side by side with the tools users would pick instead:
#   1. 100,000 keys under one prefix, listed to the end by `strata ls --recursive`,
#      `rclone lsf -R` and `aws s3 ls --recursive` (both aws clis on this machine kind: the
#      pip one earlier on PATH and Debian's /usr/bin/aws), against the built-in endpoint and
#      against s3s-fs 0.14.1; wall time and peak RSS (GNU time);
#   2. 1,000,000 keys under one prefix on the built-in endpoint, listed to the end by
#      `strata ls --recursive --json`: time and peak RSS (memory must stay flat);
#   3. the app: first rows after opening the 100,000-key folder (bench/objects_ui.py), before 2.
# Runs on demand (never in CI). KEYS (default 100000), BIG (default 1000000, 0 to skip) and
# RUNS (default 3) can be set; S3S_FS=0 leaves s3s-fs out. rclone 1.60 cannot list s3s-fs
# 0.14.1 (given a prefix it HEADs it as a possible object and gets a 500 for a directory; the
# bucket's root lists nothing after a minute and a half), so that cell stays empty.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KEYS="${KEYS:-100000}"
S3S_FS="${S3S_FS:-1}"
BIG="${BIG:-1000000}"
RUNS="${RUNS:-3}"
cd "$root"

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
in_bench_session --xvfb "$0" "$@"

echo "Building strata, the app and the fill tool (release)..." >&2
(cd ui && npm run --silent build) >&2
cargo build --release --locked -p strata-cli -p strata-app >&2
cargo build --release --locked -p strata-core --example fill_prefix >&2
tools="$root/target/bench-tools"
if [ ! -x "$tools/bin/s3s-fs" ]; then
  echo "Installing s3s-fs 0.14.1 into target/bench-tools (about 5 minutes, once)..." >&2
  cargo install s3s-fs@0.14.1 --features binary --locked --root "$tools" >&2
fi
strata="$root/target/release/strata"
fill="$root/target/release/examples/fill_prefix"

work="$(mktemp -d)"
home="$work/home"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

"$strata" --home "$home" --json serve-local > "$work/serve.json" 2>/dev/null &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/serve.json" ] && break; sleep 0.1; done
read -r local_endpoint key secret < <(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["endpoint"], c["access_key_id"], c["secret_access_key"])' "$work/serve.json")

fs_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/fs"
"$tools/bin/s3s-fs" --host 127.0.0.1 --port "$fs_port" --access-key "$key" --secret-key "$secret" "$work/fs" >/dev/null 2>&1 &
pids+=($!)
fs_endpoint="http://127.0.0.1:$fs_port"
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$fs_port) 2>/dev/null && break; sleep 0.1; done

echo "Putting $KEYS objects under bench/photos/ on each server..." >&2
"$fill" "$local_endpoint" "$key" "$secret" bench photos/ "$KEYS" >&2
"$fill" "$fs_endpoint" "$key" "$secret" bench photos/ "$KEYS" >&2


export AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" AWS_DEFAULT_REGION=us-east-1
unset AWS_CA_BUNDLE  # rclone 1.60 cannot load it on these machines (plain HTTP here)
# rclone's remote `bench:` for an endpoint, as an `env` prefix (GNU time runs programs only).
rclone_env() {
  rclone_with=(env RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other RCLONE_CONFIG_BENCH_ENDPOINT="$1"
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$key" RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$secret"
    RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true rclone)
}
aws_clis=()
for cli in $(which -a aws | xargs -n1 readlink -f | awk '!seen[$0]++'); do aws_clis+=("$cli"); done

# Runs a listing, checks it printed one line per key (JSON: counted by the caller), and
# prints "seconds peak-MiB".
measure() {
  local expect=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out" 2> "$work/err" < /dev/null || {
    echo "failed: $* ($(tail -3 "$work/err"))" >&2; return 1; }
  local lines
  lines=$(grep -c . "$work/out" || true)
  if [ "$expect" != "-" ] && [ "$lines" != "$expect" ]; then
    echo "$* printed $lines lines, expected $expect ($(tail -3 "$work/err"))" >&2; return 1
  fi
  awk '{ printf "%.2f %.0f\n", $1, $2 / 1024 }' "$work/time"
}

declare -A secs rss
tools_run() {  # server-label endpoint profile [rclone-path]
  local label=$1 endpoint=$2 profile=$3 rclone_path=${4:-}
  local -A t m
  for _ in $(seq 1 "$RUNS"); do
    read -r s r < <(measure "$KEYS" "$strata" --home "$home" ls --recursive "$profile:bench/photos/")
    t[strata]+="$s "; m[strata]+="$r "
    if [ -n "$rclone_path" ]; then
      rclone_env "$endpoint"
      read -r s r < <(measure "$KEYS" "${rclone_with[@]}" lsf -R "$rclone_path")
      t[rclone]+="$s "; m[rclone]+="$r "
    fi
    for cli in "${aws_clis[@]}"; do
      read -r s r < <(measure "$KEYS" "$cli" --endpoint-url "$endpoint" s3 ls --recursive s3://bench/photos/)
      t[$cli]+="$s "; m[$cli]+="$r "
    done
  done
  for tool in strata rclone "${aws_clis[@]}"; do
    [ -n "${t[$tool]:-}" ] || continue
    # shellcheck disable=SC2086
    secs[$label/$tool]=$(median ${t[$tool]}); rss[$label/$tool]=$(median ${m[$tool]})
  done
}
tools_run built-in "$local_endpoint" local bench:bench/photos
# The app opens on the first profile: it runs while `local` is the only one.
.venv/bin/python bench/objects_ui.py "$root/target/release/strata-app" "$home" "$KEYS" > "$work/app.md"
if [ "$S3S_FS" = 1 ]; then
  printf '%s\n' "$secret" | "$strata" --home "$home" profile add fs --endpoint "$fs_endpoint" \
    --path-style --access-key-id "$key" --secret-stdin >/dev/null
  tools_run s3s-fs "$fs_endpoint" fs
fi

version_of() {
  case "$1" in
    strata) echo "strata ls --recursive" ;;
    rclone) echo "rclone lsf -R ($(rclone_version))" ;;
    *) echo "aws s3 ls --recursive ($("$1" --version 2>&1 | cut -d' ' -f1), $1)" ;;
  esac
}
printf '\nMedian of %s runs, %s keys under one prefix, %s cores, %s.\n\n' "$RUNS" "$KEYS" "$(nproc)" "$(date +%F)"
echo "| tool | built-in: s | built-in: peak RSS MiB | s3s-fs: s | s3s-fs: peak RSS MiB | time vs strata (built-in / s3s-fs) |"
echo "| --- | --- | --- | --- | --- | --- |"
for tool in strata rclone "${aws_clis[@]}"; do
  ratio=$(awk -v a="${secs[built-in/$tool]}" -v b="${secs[built-in/strata]}" -v c="${secs[s3s-fs/$tool]:-0}" -v d="${secs[s3s-fs/strata]:-0}" \
    'BEGIN { printf "%.2f× / %s", a / b, (c > 0 && d > 0 ? sprintf("%.2f×", c / d) : "—") }')
  echo "| $(version_of "$tool") | ${secs[built-in/$tool]} | ${rss[built-in/$tool]} | ${secs[s3s-fs/$tool]:-—} | ${rss[s3s-fs/$tool]:-—} | $ratio |"
done

echo
cat "$work/app.md"

if [ "$BIG" -gt 0 ]; then
  echo "Putting $BIG objects under bench/million/ on the built-in endpoint..." >&2
  "$fill" "$local_endpoint" "$key" "$secret" bench million/ "$BIG" >&2
  kill "${pids[0]}"; pids=("${pids[@]:1}")
  read -r s r < <(measure - "$strata" --home "$home" --json ls --recursive local:bench/million/)
  listed=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/out")
  [ "$listed" = "$BIG" ] || { echo "strata listed $listed keys of $BIG" >&2; exit 1; }
  read -r s_small r_small < <(measure - "$strata" --home "$home" --json ls --recursive local:bench/photos/)
  echo
  echo "| strata ls --recursive --json, built-in endpoint | seconds | peak RSS MiB |"
  echo "| --- | --- | --- |"
  echo "| $KEYS keys | $s_small | $r_small |"
  echo "| $BIG keys | $s | $r |"
else
  kill "${pids[0]}"; pids=("${pids[@]:1}")
fi
