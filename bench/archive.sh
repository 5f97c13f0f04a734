#!/usr/bin/env bash
# Archiving a project on this machine, side by side with the tools users would pick instead,
# against each server in SERVERS (default: the built-in endpoint, `strata serve-local`, and
# s3s-fs 0.14.1, installed with cargo if missing), both on 127.0.0.1:
#   1. moving a prefix of FILES objects (default 1,000 × 64 KiB) to another bucket:
#      `strata archive --to` (copies, verifies each copy, checks the whole archive again,
#      writes the manifest, then deletes), `rclone move`, `aws s3 mv --recursive`;
#   2. on servers with storage classes (the built-in endpoint), moving the prefix to GLACIER
#      in place: `strata archive --class`, `rclone settier`, `aws s3 cp --recursive` onto
#      itself with `--storage-class`.
# Wall time (GNU time), each tool with its default settings; every run is checked by object
# count (and, for a class change, every object's class). Runs on demand (never in CI);
# RUNS (default 3).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILES="${FILES:-1000}"
FILE_KIB="${FILE_KIB:-64}"
RUNS="${RUNS:-3}"
SERVERS="${SERVERS:-builtin s3s-fs}"
cd "$root"

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_start "$0" "$@"

echo "Making the files..." >&2
mkdir -p "$work/project"
for i in $(seq 1 "$FILES"); do
  head -c "$((FILE_KIB * 1024))" /dev/urandom > "$work/project/IMG_$i.CR3"
done

# Objects (and their classes) under b:BUCKET/PREFIX, the manifest left out.
listed() {  # bucket/prefix
  "$strata" --home "$home" --json ls "b:$1" --recursive |
    python3 -c 'import json,sys; rows=[r for r in json.load(sys.stdin) if not r["key"].endswith(".strata-manifest.json")]
print(len(rows), ",".join(sorted({r.get("storage_class") or "STANDARD" for r in rows})))'
}

checked() {  # bucket/prefix class
  read -r objects classes < <(listed "$1")
  [ "$objects $classes" = "$FILES $2" ] || { echo "b:$1 holds $objects objects in $classes" >&2; return 1; }
}

n=0
declare -A result
# One tool, RUNS times on a fresh project: `kind` is move or class.
measure() {  # kind label command... (HOT, COLD replaced by this run's buckets)
  local kind=$1 label=$2; shift 2
  local times="" s
  for _ in $(seq 1 "$RUNS"); do
    n=$((n + 1))
    "$strata" --home "$home" bucket mk "b:hot-$n" >/dev/null
    "$strata" --home "$home" bucket mk "b:cold-$n" >/dev/null
    "${rclone_[@]}" copy "$work/project" "b:hot-$n/clients/wedding/" 2>/dev/null
    local command=("${@//HOT/hot-$n}")
    command=("${command[@]//COLD/cold-$n}")
    s=$(timed "${command[@]}") || { times=""; break; }
    if [ "$kind" = move ]; then
      checked "cold-$n/" STANDARD || { times=""; break; }
      [ "$(listed "hot-$n/clients/")" = "0 " ] || { echo "$label left sources behind" >&2; times=""; break; }
    else
      checked "hot-$n/clients/wedding/" GLACIER || { times=""; break; }
    fi
    times+="$s "
  done
  # shellcheck disable=SC2086
  result[$server/$kind/$label]=$([ -n "$times" ] && median $times || echo failed)
}

for server in $SERVERS; do
  echo "Measuring against $server..." >&2
  start_server "$server"
  measure move strata "$strata" --home "$home" archive b:HOT/clients/wedding/ --to b:COLD
  measure move rclone "${rclone_[@]}" move b:HOT/clients/wedding/ b:COLD/hot/clients/wedding/
  for i in "${!aws_clis[@]}"; do
    measure move "aws$i" "${aws_clis[$i]}" --endpoint-url "$endpoint" s3 mv --recursive \
      s3://HOT/clients/wedding/ s3://COLD/hot/clients/wedding/
  done
  if [ "$server" = builtin ]; then
    measure class strata "$strata" --home "$home" archive b:HOT/clients/wedding/ --class GLACIER
    measure class rclone "${rclone_[@]}" settier GLACIER b:HOT/clients/wedding/
    for i in "${!aws_clis[@]}"; do
      measure class "aws$i" "${aws_clis[$i]}" --endpoint-url "$endpoint" s3 cp --recursive \
        s3://HOT/clients/wedding/ s3://HOT/clients/wedding/ --storage-class GLACIER
    done
  fi
  stop_server
done

printf '\nMedian of %s runs, %s objects of %s KiB, release build, %s cores, %s.\n\n' "$RUNS" "$FILES" "$FILE_KIB" "$(nproc)" "$(date +%F)"
echo "| server | what | tool | seconds | vs strata |"
echo "| --- | --- | --- | --- | --- |"
for key in $(printf '%s\n' "${!result[@]}" | sort); do
  IFS=/ read -r server kind tool <<< "$key"
  case $tool in
    strata) name="strata archive" ;;
    rclone) name="rclone $([ "$kind" = move ] && echo move || echo settier) ($(rclone_version))" ;;
    aws*) cli=${aws_clis[${tool#aws}]}; name="aws s3 $([ "$kind" = move ] && echo mv || echo cp) ($("$cli" --version 2>&1 | cut -d' ' -f1), $cli)" ;;
  esac
  what=$([ "$kind" = move ] && echo "to another bucket" || echo "to GLACIER in place")
  awk -v sv="$server" -v w="$what" -v n="$name" -v t="${result[$key]}" -v base="${result[$server/$kind/strata]}" \
    'BEGIN { ratio = (t == "failed" || base == "failed") ? "—" : sprintf("%.1f×", t / base);
             printf "| %s | %s | %s | %s | %s |\n", sv, w, n, t, ratio }'
done
