#!/usr/bin/env bash
# Folder sync on this machine, side by side with the tools users would pick instead, against
# each server in SERVERS (default: the built-in endpoint, `strata serve-local`, and s3s-fs
# 0.14.1, installed with cargo if missing), both on 127.0.0.1:
#   1. the first sync of a folder of FILES files (default 2,000 × 64 KiB, in 20 subfolders):
#      `strata sync run`, `rclone sync`, `aws s3 sync`;
#   2. the same sync again with nothing changed (the no-op every watcher and cron job pays);
#   3. with `strata sync watch` running, the time from a file's last write to its object
#      existing, median over 50 files written one after another (bench/sync_latency.py), the
#      settle time (default 3 s: a file is sent once it stopped changing) included.
# Wall time (GNU time), each tool with its default settings; every first sync is checked by
# object count and bytes. Runs on demand (never in CI); RUNS (default 3).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILES="${FILES:-2000}"
FILE_KIB="${FILE_KIB:-64}"
RUNS="${RUNS:-3}"
SERVERS="${SERVERS:-builtin s3s-fs}"
cd "$root"

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_start "$0" "$@"
[ -x "$root/.venv/bin/python" ] || { echo "run scripts/setup.sh test first (the latency probe uses boto3)" >&2; exit 1; }

watch_pid=""
cleanup() { [ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null; stop_server; rm -rf "$work"; }
trap cleanup EXIT

echo "Making the files..." >&2
mkdir -p "$work/folder"
for i in $(seq 1 "$FILES"); do
  sub="$work/folder/shoot-$((i % 20))"
  mkdir -p "$sub"
  head -c "$((FILE_KIB * 1024))" /dev/urandom > "$sub/IMG_$i.jpg"
done
# Older than the settle time, so a first sync sends every file.
sleep 4



checked() {  # bucket
  read -r objects bytes < <("$strata" --home "$home" --json ls "b:$1" --recursive |
    python3 -c 'import json,sys; rows=json.load(sys.stdin); print(len(rows), sum(r["size"] for r in rows))')
  [ "$objects $bytes" = "$FILES $((FILES * FILE_KIB * 1024))" ] || {
    echo "b:$1 holds $objects objects, $bytes bytes after the first sync" >&2; return 1; }
}

bucket=0
declare -A first noop
# One tool: RUNS times a first sync into a fresh bucket, then the no-op sync of it.
measure() {  # label first-command... (BUCKET replaced); the no-op is the same command
  local label=$1; shift
  local f="" n="" s
  for _ in $(seq 1 "$RUNS"); do
    bucket=$((bucket + 1))
    "$strata" --home "$home" bucket mk "b:sync-$bucket" >/dev/null
    local command=("${@//BUCKET/sync-$bucket}")
    if [ "$label" = strata ]; then
      pair=$("$strata" --home "$home" --json sync add "$work/folder" "b:sync-$bucket" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
      command=("$strata" --home "$home" sync run "$pair")
    fi
    s=$(timed "${command[@]}") && checked "sync-$bucket" || { f=""; break; }
    f+="$s "
    s=$(timed "${command[@]}") || { f=""; break; }
    n+="$s "
  done
  if [ -z "$f" ]; then first[$label]=failed; noop[$label]=failed; return; fi
  # shellcheck disable=SC2086
  first[$label]=$(median $f); noop[$label]=$(median $n)
}

declare -A latency
for server in $SERVERS; do
  echo "Measuring against $server..." >&2
  start_server "$server"
  measure strata strata
  measure rclone "${rclone_[@]}" sync "$work/folder" b:BUCKET/
  for i in "${!aws_clis[@]}"; do
    measure "aws$i" "${aws_clis[$i]}" --endpoint-url "$endpoint" s3 sync "$work/folder" s3://BUCKET/
  done
  for label in strata rclone "${!aws_clis[@]}"; do
    [ "$label" = strata ] || [ "$label" = rclone ] || label="aws$label"
    first[$server/$label]=${first[$label]}; noop[$server/$label]=${noop[$label]}
  done
  echo "Measuring the watch latency against $server..." >&2
  "$strata" --home "$home" bucket mk b:watched >/dev/null
  mkdir -p "$work/watched-$server"
  "$strata" --home "$home" sync add "$work/watched-$server" b:watched >/dev/null
  "$strata" --home "$home" sync watch 2>/dev/null >/dev/null &
  watch_pid=$!
  latency[$server]=$("$root/.venv/bin/python" "$root/bench/sync_latency.py" "$work/watched-$server" "$endpoint" 50)
  kill -INT "$watch_pid"; wait "$watch_pid" || true; watch_pid=""
  stop_server
done

printf '\nMedian of %s runs, %s files of %s KiB, release build, %s cores, %s.\n\n' "$RUNS" "$FILES" "$FILE_KIB" "$(nproc)" "$(date +%F)"
echo "| server | tool | first sync s | no-op sync s | no-op vs strata |"
echo "| --- | --- | --- | --- | --- |"
for server in $SERVERS; do
  tools=(strata rclone)
  for i in "${!aws_clis[@]}"; do tools+=("aws$i"); done
  for tool in "${tools[@]}"; do
    case $tool in
      strata) name="strata sync run" ;;
      rclone) name="rclone sync ($(rclone_version))" ;;
      aws*) cli=${aws_clis[${tool#aws}]}; name="aws s3 sync ($("$cli" --version 2>&1 | cut -d' ' -f1), $cli)" ;;
    esac
    awk -v sv="$server" -v n="$name" -v f="${first[$server/$tool]}" -v o="${noop[$server/$tool]}" -v base="${noop[$server/strata]}" \
      'BEGIN { ratio = (o == "failed" || base == "failed") ? "—" : sprintf("%.1f×", o / base);
               printf "| %s | %s | %s | %s | %s |\n", sv, n, f, o, ratio }'
  done
done
echo
echo "| server | last write → object exists (median of 50, settle 3 s included) |"
echo "| --- | --- |"
for server in $SERVERS; do echo "| $server | ${latency[$server]} s |"; done
