#!/usr/bin/env bash
# Transfers on this machine, side by side with the tools users would pick instead, against
# each server in SERVERS (default: the built-in endpoint, `strata serve-local`, and s3s-fs
# 0.14.1, installed with cargo if missing), both on 127.0.0.1:
#   1. one large file (BIG_MIB, default 1024 MiB) up: `strata put`, `rclone copy`, `aws s3 cp`;
#   2. many small files (SMALL files of SMALL_KIB KiB, default 2,000 × 256 KiB) up as a folder:
#      `strata put`, `rclone copy`, `aws s3 cp --recursive`;
#   3. the large file down (as `strata put` stored it, in 8 MiB parts): `strata get`,
#      `rclone copy`, `aws s3 cp`; and again timed until the file is on disk (the tool, then
#      `sync`), since Strata syncs what it downloads before giving it its name and the others
#      leave it in the page cache.
# Both aws clis of this machine kind run (the pip one earlier on PATH, and /usr/bin/aws). Each
# peer runs at its defaults and tuned ("tuned" rows): rclone with --transfers 16
# --s3-upload-concurrency 16 --multi-thread-streams 16, the aws clis with
# max_concurrent_requests = 32 (a config file of their own). Strata runs at its defaults.
# Wall time and peak RSS (GNU time), each tool with its default settings, every transfer
# checked afterwards (object count and bytes up, byte for byte down); a tool that fails shows
# as "failed". The disk is synced before each transfer. Runs on demand (never in CI); RUNS
# (default 3).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIG_MIB="${BIG_MIB:-1024}"
SMALL="${SMALL:-2000}"
SMALL_KIB="${SMALL_KIB:-256}"
RUNS="${RUNS:-3}"
SERVERS="${SERVERS:-builtin s3s-fs}"
cd "$root"

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_start "$0" "$@"


echo "Making the files..." >&2
mkdir -p "$work/big" "$work/small"
head -c "$((BIG_MIB * 1024 * 1024))" /dev/urandom > "$work/big/big.bin"
for i in $(seq -w 1 "$SMALL"); do head -c "$((SMALL_KIB * 1024))" /dev/urandom > "$work/small/IMG_$i.jpg"; done


# Runs one transfer with GNU time; prints "seconds peak-MiB", or fails with the tool's words.
# What earlier runs wrote is flushed first: a tool that syncs its files (Strata does, and the
# built-in endpoint) must not wait behind the writeback of the tool before it.
timed_with_memory() {  # command...
  sync
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out" 2> "$work/err" < /dev/null || {
    echo "failed: $* ($(tail -3 "$work/err"))" >&2; return 1; }
  awk '{ printf "%.2f %.0f\n", $1, $2 / 1024 }' "$work/time"
}

bucket=0
# An upload into the fresh bucket run-$bucket, checked by what it left there.
measure_up() {  # objects bytes command... (BUCKET in the command is replaced)
  local objects=$1 bytes=$2; shift 2
  "$strata" --home "$home" bucket mk "b:run-$bucket" >/dev/null
  local result; result=$(timed_with_memory "${@//BUCKET/run-$bucket}") || return 1
  read -r got_objects got_bytes < <("$strata" --home "$home" --json ls "b:run-$bucket" --recursive |
    python3 -c 'import json,sys; rows=json.load(sys.stdin); print(len(rows), sum(r["size"] for r in rows))')
  if [ "$got_objects $got_bytes" != "$objects $bytes" ]; then
    echo "$* left $got_objects objects, $got_bytes bytes; expected $objects, $bytes" >&2; return 1
  fi
  # Only the first upload is kept (the downloads read it): 3 runs of 7 tools would hold 21 GiB.
  [ "$bucket" = "$first" ] || "$strata" --home "$home" bucket rm --force "b:run-$bucket" >/dev/null
  echo "$result"
}

# A download of the large object into a fresh folder, checked byte for byte; with --durable,
# timed until `sync` has put it on disk.
measure_down() {  # [--durable] command... (DIR in the command is replaced)
  local dir="$work/down-$bucket" then_sync=()
  [ "$1" != --durable ] || { then_sync=(bash -c '"$@" && sync' durable); shift; }
  mkdir -p "$dir"
  local result; result=$(timed_with_memory "${then_sync[@]}" "${@//DIR/$dir}") || return 1
  cmp -s "$work/big/big.bin" "$dir/big.bin" || { echo "$* did not bring the bytes back" >&2; return 1; }
  rm -rf "$dir"
  echo "$result"
}

big_bytes=$((BIG_MIB * 1024 * 1024))
small_bytes=$((SMALL * SMALL_KIB * 1024))
declare -A secs rss
run() {  # label measure args...
  local label=$1; shift
  local t="" m="" s r
  for _ in $(seq 1 "$RUNS"); do
    # Each try gets its own bucket (or folder); the measurement runs in a subshell.
    bucket=$((bucket + 1))
    if read -r s r < <("$@"); then t+="$s "; m+="$r "; else t=""; break; fi
  done
  if [ -z "$t" ]; then secs[$label]=failed; rss[$label]=—; return; fi
  # shellcheck disable=SC2086
  secs[$label]=$(median $t); rss[$label]=$(median $m)
}

# Sets the peers' flags (rclone_flags) and environment (aws_env): their defaults, or tuned
# ("+").
printf '[default]\ns3 =\n  max_concurrent_requests = 32\n' > "$work/aws-tuned.cfg"
tune() {  # "" | +
  rclone_flags=() aws_env=()
  if [ "$1" = "+" ]; then
    rclone_flags=(--transfers 16 --s3-upload-concurrency 16 --multi-thread-streams 16)
    aws_env=(AWS_CONFIG_FILE="$work/aws-tuned.cfg")
  fi
}

for server in $SERVERS; do
  echo "Measuring against $server..." >&2
  start_server "$server"
  first=$((bucket + 1))
  run "$server/big/strata" measure_up 1 "$big_bytes" "$strata" --home "$home" put "$work/big/big.bin" b:BUCKET/
  for tuned in "" "+"; do
    tune "$tuned"
    run "$server/big/rclone$tuned" measure_up 1 "$big_bytes" "${rclone_[@]}" copy "$work/big/big.bin" b:BUCKET/ "${rclone_flags[@]}"
    for i in "${!aws_clis[@]}"; do
      run "$server/big/aws$i$tuned" measure_up 1 "$big_bytes" env "${aws_env[@]}" "${aws_clis[$i]}" --endpoint-url "$endpoint" s3 cp "$work/big/big.bin" s3://BUCKET/
    done
  done
  for durable in "" --durable; do
    what=down${durable:+-durable}
    run "$server/$what/strata" measure_down $durable "$strata" --home "$home" get "b:run-$first/big.bin" DIR/
    for tuned in "" "+"; do
      tune "$tuned"
      run "$server/$what/rclone$tuned" measure_down $durable "${rclone_[@]}" copy "b:run-$first/big.bin" DIR/ "${rclone_flags[@]}"
      for i in "${!aws_clis[@]}"; do
        run "$server/$what/aws$i$tuned" measure_down $durable env "${aws_env[@]}" "${aws_clis[$i]}" --endpoint-url "$endpoint" s3 cp "s3://run-$first/big.bin" DIR/
      done
    done
  done
  run "$server/small/strata" measure_up "$SMALL" "$small_bytes" "$strata" --home "$home" put "$work/small" b:BUCKET/
  for tuned in "" "+"; do
    tune "$tuned"
    run "$server/small/rclone$tuned" measure_up "$SMALL" "$small_bytes" "${rclone_[@]}" copy "$work/small" b:BUCKET/small/ "${rclone_flags[@]}"
    for i in "${!aws_clis[@]}"; do
      run "$server/small/aws$i$tuned" measure_up "$SMALL" "$small_bytes" env "${aws_env[@]}" "${aws_clis[$i]}" --endpoint-url "$endpoint" s3 cp --recursive "$work/small" s3://BUCKET/small/
    done
  done
  stop_server
done

printf '\nMedian of %s runs, release build, %s cores, %s.\n\n' "$RUNS" "$(nproc)" "$(date +%F)"
echo "| server | transfer | tool | seconds | MiB/s | files/s | peak RSS MiB | time vs strata |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for server in $SERVERS; do
  for what in big small down down-durable; do
    case $what in
      big) label="1 file of $BIG_MIB MiB up"; total=$big_bytes files=1 ;;
      small) label="$SMALL files of $SMALL_KIB KiB up"; total=$small_bytes files=$SMALL ;;
      down) label="1 file of $BIG_MIB MiB down"; total=$big_bytes files=1 ;;
      down-durable) label="1 file of $BIG_MIB MiB down, on disk"; total=$big_bytes files=1 ;;
    esac
    tools=(strata rclone rclone+)
    for i in "${!aws_clis[@]}"; do tools+=("aws$i" "aws$i+"); done
    for tool in "${tools[@]}"; do
      case $tool in
        strata) [ "${what#down}" != "$what" ] && name="strata get" || name="strata put" ;;
        rclone*) name="rclone copy ($(rclone_version))" ;;
        aws*) i=${tool#aws}; cli=${aws_clis[${i%+}]}; name="aws s3 cp ($("$cli" --version 2>&1 | cut -d' ' -f1), $cli)" ;;
      esac
      [ "${tool%+}" = "$tool" ] || name="$name tuned"
      s=${secs[$server/$what/$tool]} base=${secs[$server/$what/strata]}
      if [ "$s" = failed ]; then
        echo "| $server | $label | $name | failed | | | | |"
        continue
      fi
      awk -v sv="$server" -v l="$label" -v n="$name" -v s="$s" -v m="${rss[$server/$what/$tool]}" -v b="$total" -v f="$files" -v base="$base" \
        'BEGIN { ratio = (base == "failed") ? "—" : sprintf("%.2f×", s / base);
                 printf "| %s | %s | %s | %s | %.0f | %.1f | %s | %s |\n", sv, l, n, s, b / 1048576 / s, f / s, m, ratio }'
    done
  done
done
