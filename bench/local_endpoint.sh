#!/usr/bin/env bash
# The built-in endpoint against s3s-fs 0.14.1, side by side on this machine, with the same
# client (the aws cli, its default 8 MiB multipart threshold and 10 concurrent requests):
#   1 GiB PUT and GET, 2,000 x 256 KiB PUT, and listing 20,000 keys.
# Runs on demand (never in CI); prints a Markdown table. Each figure is the median of RUNS runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-3}"
cd "$root"

echo "Building strata (release) and installing s3s-fs 0.14.1 if missing..." >&2
cargo build --release -p strata-cli --locked >&2
command -v s3s-fs >/dev/null || cargo install s3s-fs@0.14.1 --features binary --locked >&2

work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

echo "Making test data in $work..." >&2
mkdir -p "$work/data/small" "$work/data/many"
head -c $((1 << 30)) /dev/urandom > "$work/data/big.bin"
for i in $(seq 1 2000); do head -c $((256 << 10)) /dev/urandom > "$work/data/small/f$i"; done
for i in $(seq 1 20000); do printf x > "$work/data/many/k$i"; done


start_strata() {
  STRATA_HOME="$work/strata-home" "$root/target/release/strata" serve-local --dir "$work/strata-store" > "$work/strata.out" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 1 100); do [ "$(wc -l < "$work/strata.out")" -ge 4 ] && break; sleep 0.1; done
  ENDPOINT=$(sed -n 's/^endpoint: //p' "$work/strata.out")
  export AWS_ACCESS_KEY_ID=$(sed -n 's/^access key id: //p' "$work/strata.out")
  export AWS_SECRET_ACCESS_KEY=$(sed -n 's/^secret access key: //p' "$work/strata.out")
}

start_s3s_fs() {
  local port; port=$(free_port)
  mkdir -p "$work/s3s-store"
  export AWS_ACCESS_KEY_ID=benchkey AWS_SECRET_ACCESS_KEY=benchsecret
  s3s-fs --host 127.0.0.1 --port "$port" --access-key benchkey --secret-key benchsecret "$work/s3s-store" >/dev/null 2>&1 &
  pids+=($!)
  wait_port "$port"
  ENDPOINT="http://127.0.0.1:$port"
}

export AWS_DEFAULT_REGION=us-east-1
aws_() { aws --endpoint-url "$ENDPOINT" "$@" < /dev/null > /dev/null; }
seconds() { local t0=$EPOCHREALTIME; "$@"; awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }'; }
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

measure() {  # measure NAME: fills results[NAME,op]
  local name=$1 i put get small list
  local puts=() gets=() smalls=() lists=()
  aws_ s3 mb s3://bench
  aws_ s3 cp --only-show-errors --recursive "$work/data/many" s3://bench/many/
  for i in $(seq 1 "$RUNS"); do
    puts+=("$(seconds aws_ s3 cp --only-show-errors "$work/data/big.bin" "s3://bench/big-$i.bin")")
    gets+=("$(seconds aws_ s3 cp --only-show-errors "s3://bench/big-$i.bin" "$work/back.bin")")
    cmp -s "$work/data/big.bin" "$work/back.bin" || { echo "$name returned different bytes" >&2; exit 1; }
    rm -f "$work/back.bin"
    smalls+=("$(seconds aws_ s3 cp --only-show-errors --recursive "$work/data/small" "s3://bench/small-$i/")")
    lists+=("$(seconds aws_ s3api list-objects-v2 --bucket bench --prefix many/ --query 'length(Contents)')")
  done
  local count; count=$(aws --endpoint-url "$ENDPOINT" s3api list-objects-v2 --bucket bench --prefix many/ --query 'length(Contents)' < /dev/null)
  [ "$count" = 20000 ] || { echo "$name listed $count keys, not 20000" >&2; exit 1; }
  results["$name,put"]=$(median "${puts[@]}")
  results["$name,get"]=$(median "${gets[@]}")
  results["$name,small"]=$(median "${smalls[@]}")
  results["$name,list"]=$(median "${lists[@]}")
}

declare -A results
echo "Measuring strata serve-local..." >&2
start_strata; measure strata
echo "Measuring s3s-fs..." >&2
start_s3s_fs; measure s3s

rate() { awk -v s="$1" 'BEGIN { printf "%.0f", 1024 / s }'; }
row() { printf '| %s | %.2f s%s | %.2f s%s |\n' "$1" "${results[strata,$2]}" "$3" "${results[s3s,$2]}" "$4"; }
echo
echo "Median of $RUNS runs, aws cli $(aws --version 2>&1 | cut -d' ' -f1 | cut -d/ -f2), $(nproc) cores, $(date -u +%Y-%m-%d)."
echo
echo "| operation | strata serve-local | s3s-fs 0.14.1 |"
echo "| --- | --- | --- |"
row "PUT 1 GiB (multipart)" put " ($(rate "${results[strata,put]}") MiB/s)" " ($(rate "${results[s3s,put]}") MiB/s)"
row "GET 1 GiB" get " ($(rate "${results[strata,get]}") MiB/s)" " ($(rate "${results[s3s,get]}") MiB/s)"
row "PUT 2,000 x 256 KiB" small "" ""
row "LIST 20,000 keys (20 pages)" list "" ""
