#!/usr/bin/env bash
# Transfers on this machine, side by side with the tools users would pick instead, all against
# one built-in endpoint (`strata serve-local`, release build) on 127.0.0.1:
#   1. one large file (BIG_MIB, default 1024 MiB) up: `strata put`, `rclone copy`, `aws s3 cp`;
#   2. many small files (SMALL files of SMALL_KIB KiB, default 2,000 × 256 KiB) up as a folder:
#      `strata put`, `rclone copy`, `aws s3 cp --recursive`;
#   3. the large file down (as `strata put` stored it, in 8 MiB parts): `strata get`,
#      `rclone copy`, `aws s3 cp`.
# Both aws clis of this machine kind run (the pip one earlier on PATH, and /usr/bin/aws).
# Wall time and peak RSS (GNU time), each tool with its default settings, every upload checked
# afterwards (object count and bytes). Runs on demand (never in CI); RUNS (default 3).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIG_MIB="${BIG_MIB:-1024}"
SMALL="${SMALL:-2000}"
SMALL_KIB="${SMALL_KIB:-256}"
RUNS="${RUNS:-3}"
cd "$root"

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
in_bench_session "$0" "$@"

echo "Building strata (release)..." >&2
cargo build --release --locked -p strata-cli >&2
strata="$root/target/release/strata"

work="$(mktemp -d)"
home="$work/home"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$strata" --home "$work/server-home" --json serve-local --dir "$work/store" > "$work/serve.json" 2>/dev/null &
server_pid=$!
for _ in $(seq 1 100); do [ -s "$work/serve.json" ] && break; sleep 0.1; done
read -r endpoint key secret < <(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["endpoint"], c["access_key_id"], c["secret_access_key"])' "$work/serve.json")
printf '%s\n' "$secret" | "$strata" --home "$home" profile add b --endpoint "$endpoint" \
  --path-style --access-key-id "$key" --secret-stdin >/dev/null

echo "Making the files..." >&2
mkdir -p "$work/big" "$work/small"
head -c "$((BIG_MIB * 1024 * 1024))" /dev/urandom > "$work/big/big.bin"
for i in $(seq -w 1 "$SMALL"); do head -c "$((SMALL_KIB * 1024))" /dev/urandom > "$work/small/IMG_$i.jpg"; done

export AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" AWS_DEFAULT_REGION=us-east-1
unset AWS_CA_BUNDLE  # rclone 1.60 cannot load it on these machines (plain HTTP here)
rclone_env=(env RCLONE_CONFIG_B_TYPE=s3 RCLONE_CONFIG_B_PROVIDER=Other RCLONE_CONFIG_B_ENDPOINT="$endpoint"
  RCLONE_CONFIG_B_ACCESS_KEY_ID="$key" RCLONE_CONFIG_B_SECRET_ACCESS_KEY="$secret"
  RCLONE_CONFIG_B_FORCE_PATH_STYLE=true rclone)
aws_clis=()
for cli in $(which -a aws | xargs -n1 readlink -f | awk '!seen[$0]++'); do aws_clis+=("$cli"); done

bucket=0
# Runs an upload into the fresh bucket NAME, checks what arrived, prints "seconds peak-MiB".
measure() {  # name expected-objects expected-bytes command... (BUCKET in the command is replaced)
  local name=$1 objects=$2 bytes=$3; shift 3
  "$strata" --home "$home" bucket mk "b:$name" >/dev/null
  local args=("${@//BUCKET/$name}")
  /usr/bin/time -f "%e %M" -o "$work/time" "${args[@]}" > "$work/out" 2> "$work/err" < /dev/null || {
    echo "failed: ${args[*]} ($(tail -3 "$work/err"))" >&2; return 1; }
  read -r got_objects got_bytes < <("$strata" --home "$home" --json ls "b:$name" --recursive |
    python3 -c 'import json,sys; rows=json.load(sys.stdin); print(len(rows), sum(r["size"] for r in rows))')
  if [ "$got_objects $got_bytes" != "$objects $bytes" ]; then
    echo "${args[*]} left $got_objects objects, $got_bytes bytes; expected $objects, $bytes" >&2; return 1
  fi
  awk '{ printf "%.2f %.0f\n", $1, $2 / 1024 }' "$work/time"
}

big_bytes=$((BIG_MIB * 1024 * 1024))
small_bytes=$((SMALL * SMALL_KIB * 1024))
declare -A secs rss
run() {  # label objects bytes command...
  local label=$1 objects=$2 bytes=$3; shift 3
  local t="" m=""
  for _ in $(seq 1 "$RUNS"); do
    bucket=$((bucket + 1))
    read -r s r < <(measure "run-$bucket" "$objects" "$bytes" "$@")
    t+="$s "; m+="$r "
  done
  # shellcheck disable=SC2086
  secs[$label]=$(median $t); rss[$label]=$(median $m)
}
run "big/strata" 1 "$big_bytes" "$strata" --home "$home" put "$work/big/big.bin" b:BUCKET/
run "big/rclone" 1 "$big_bytes" "${rclone_env[@]}" copy "$work/big/big.bin" b:BUCKET/
for i in "${!aws_clis[@]}"; do
  run "big/aws$i" 1 "$big_bytes" "${aws_clis[$i]}" --endpoint-url "$endpoint" s3 cp "$work/big/big.bin" s3://BUCKET/
done
# Downloads the large object into a fresh folder, checks it byte for byte, prints "seconds peak-MiB".
down=0
measure_down() {  # command... (DIR in the command is replaced)
  down=$((down + 1))
  local dir="$work/down-$down"
  mkdir -p "$dir"
  local args=("${@//DIR/$dir}")
  /usr/bin/time -f "%e %M" -o "$work/time" "${args[@]}" > "$work/out" 2> "$work/err" < /dev/null || {
    echo "failed: ${args[*]} ($(tail -3 "$work/err"))" >&2; return 1; }
  cmp -s "$work/big/big.bin" "$dir/big.bin" || { echo "${args[*]} did not bring the bytes back" >&2; return 1; }
  rm -rf "$dir"
  awk '{ printf "%.2f %.0f\n", $1, $2 / 1024 }' "$work/time"
}
run_down() {  # label command...
  local label=$1; shift
  local t="" m=""
  for _ in $(seq 1 "$RUNS"); do
    read -r s r < <(measure_down "$@")
    t+="$s "; m+="$r "
  done
  # shellcheck disable=SC2086
  secs[$label]=$(median $t); rss[$label]=$(median $m)
}
run_down "down/strata" "$strata" --home "$home" get b:run-1/big.bin DIR/
run_down "down/rclone" "${rclone_env[@]}" copy b:run-1/big.bin DIR/
for i in "${!aws_clis[@]}"; do
  run_down "down/aws$i" "${aws_clis[$i]}" --endpoint-url "$endpoint" s3 cp s3://run-1/big.bin DIR/
done

run "small/strata" "$SMALL" "$small_bytes" "$strata" --home "$home" put "$work/small" b:BUCKET/
run "small/rclone" "$SMALL" "$small_bytes" "${rclone_env[@]}" copy "$work/small" b:BUCKET/small/
for i in "${!aws_clis[@]}"; do
  run "small/aws$i" "$SMALL" "$small_bytes" "${aws_clis[$i]}" --endpoint-url "$endpoint" s3 cp --recursive "$work/small" s3://BUCKET/small/
done

printf '\nMedian of %s runs, built-in endpoint (release), %s cores, %s.\n\n' "$RUNS" "$(nproc)" "$(date +%F)"
echo "| transfer | tool | seconds | MiB/s | peak RSS MiB | time vs strata |"
echo "| --- | --- | --- | --- | --- | --- |"
for what in big small down; do
  case $what in
    big) label="1 file of $BIG_MIB MiB up"; total=$big_bytes ;;
    small) label="$SMALL files of $SMALL_KIB KiB up"; total=$small_bytes ;;
    down) label="1 file of $BIG_MIB MiB down"; total=$big_bytes ;;
  esac
  tools=(strata rclone)
  for i in "${!aws_clis[@]}"; do tools+=("aws$i"); done
  for tool in "${tools[@]}"; do
    case $tool in
      strata) [ "$what" = down ] && name="strata get" || name="strata put" ;;
      rclone) name="rclone copy ($(rclone version | head -1 | cut -d' ' -f2))" ;;
      aws*) cli=${aws_clis[${tool#aws}]}; name="aws s3 cp ($("$cli" --version 2>&1 | cut -d' ' -f1), $cli)" ;;
    esac
    s=${secs[$what/$tool]}
    awk -v l="$label" -v n="$name" -v s="$s" -v m="${rss[$what/$tool]}" -v b="$total" -v base="${secs[$what/strata]}" \
      'BEGIN { printf "| %s | %s | %s | %.0f | %s | %.2f× |\n", l, n, s, b / 1048576 / s, m, s / base }'
  done
done
