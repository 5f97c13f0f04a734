#!/usr/bin/env bash
# The bucket catalog at 100,000 buckets, on this machine:
#   1. listing every bucket of an account: `strata bucket refresh` (paginated ListBuckets,
#      1,000 per page, saved to the catalog) against `aws s3api list-buckets` (paginated the
#      same way) and `rclone lsd`, all three against one built-in endpoint;
#   2. what the other tools have no answer for but re-listing: letter pages, scrolling and
#      searches from the catalog (median and p99 of 200 runs, crates/core/examples/catalog_bench.rs);
#   3. the app's time to first render of the list, and to re-render after a search or an
#      A–Z jump (bench/catalog_ui.py, the release app under Xvfb through tauri-driver).
# Runs on demand (never in CI). BUCKETS (default 100000) and RUNS (default 3) can be set.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUCKETS="${BUCKETS:-100000}"
RUNS="${RUNS:-3}"
cd "$root"

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
in_bench_session --xvfb "$0" "$@"

echo "Building strata, the app and the catalog benchmark (release)..." >&2
(cd ui && npm run --silent build) >&2
cargo build --release --locked -p strata-cli -p strata-app >&2
cargo build --release --locked -p strata-core --example catalog_bench >&2
strata="$root/target/release/strata"

work="$(mktemp -d)"
home="$work/home"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$strata" --home "$home" --json serve-local > "$work/serve.json" 2>/dev/null &
server_pid=$!
for _ in $(seq 1 100); do [ -s "$work/serve.json" ] && break; sleep 0.1; done
read -r endpoint key secret < <(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["endpoint"], c["access_key_id"], c["secret_access_key"])' "$work/serve.json")

echo "Creating $BUCKETS buckets..." >&2
.venv/bin/python - "$endpoint" "$key" "$secret" "$BUCKETS" <<'PY'
import sys
from concurrent.futures import ThreadPoolExecutor
import boto3
endpoint, key, secret, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
names = [f"{alphabet[i % 36]}{'photo' if i % 10 == 0 else 'bucket'}-{i:06d}" for i in range(count)]
def make(chunk):
    s3 = boto3.session.Session().client("s3", endpoint_url=endpoint, region_name="us-east-1",
                                        aws_access_key_id=key, aws_secret_access_key=secret)
    for name in chunk:
        s3.create_bucket(Bucket=name)
with ThreadPoolExecutor(16) as pool:
    list(pool.map(make, [names[i::16] for i in range(16)]))
PY

seconds() {
  local t0=$EPOCHREALTIME
  "$@" > /dev/null 2> "$work/last.err" < /dev/null || { echo "failed: $* ($(cat "$work/last.err"))" >&2; return 1; }
  awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'
}

# The listing phase of a refresh ends when the details phase (regions, public status, best
# effort, after the list is saved) begins: read from the JSON progress lines.
strata_listing() {
  python3 - "$strata" "$home" <<'PY'
import json, subprocess, sys, time
start = time.monotonic()
proc = subprocess.Popen([sys.argv[1], "--home", sys.argv[2], "--json", "bucket", "refresh", "local"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
listed = None
for line in proc.stderr:
    try:
        event = json.loads(line)
    except ValueError:
        continue
    if listed is None and event.get("phase") == "details":
        listed = time.monotonic() - start
proc.wait()
print(f"{listed:.2f} {time.monotonic() - start:.2f}")
PY
}

export AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" AWS_DEFAULT_REGION=us-east-1
# rclone 1.60 cannot load the CA bundle this variable names on these machines (plain HTTP here).
unset AWS_CA_BUNDLE
export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other RCLONE_CONFIG_BENCH_ENDPOINT="$endpoint" \
  RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$key" RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$secret" \
  RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true
# Every tool must see every bucket before it is timed.
seen_aws=$(aws --endpoint-url "$endpoint" s3api list-buckets --page-size 1000 --query 'length(Buckets)')
seen_rclone=$(rclone lsd bench: | wc -l)
[ "$seen_aws" = "$BUCKETS" ] && [ "$seen_rclone" = "$BUCKETS" ] || {
  echo "aws saw $seen_aws buckets, rclone $seen_rclone; expected $BUCKETS" >&2; exit 1; }
strata_list=() strata_total=() aws_paged=() aws_one=() rclone_list=()
for _ in $(seq 1 "$RUNS"); do
  read -r listed total < <(strata_listing)
  strata_list+=("$listed"); strata_total+=("$total")
  t=$(seconds aws --endpoint-url "$endpoint" s3api list-buckets --page-size 1000 --query 'length(Buckets)'); aws_paged+=("$t")
  t=$(seconds aws --endpoint-url "$endpoint" s3api list-buckets --no-paginate --query 'length(Buckets)'); aws_one+=("$t")
  t=$(seconds rclone lsd bench:); rclone_list+=("$t")
done
count=$("$strata" --home "$home" --json bucket ls local | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$count" = "$BUCKETS" ] || { echo "the catalog holds $count buckets, not $BUCKETS" >&2; exit 1; }

kill "$server_pid"; server_pid=""
printf '\nMedian of %s runs, %s buckets, %s cores, %s.\n\n' "$RUNS" "$BUCKETS" "$(nproc)" "$(date +%F)"
echo "| listing every bucket | seconds |"
echo "| --- | --- |"
echo "| strata bucket refresh: listed and saved to the catalog ($(( (BUCKETS + 999) / 1000 )) pages) | $(median "${strata_list[@]}") |"
echo "| strata bucket refresh: with regions and public status of every bucket | $(median "${strata_total[@]}") |"
echo "| aws s3api list-buckets --page-size 1000 ($(aws --version 2>&1 | cut -d' ' -f1)) | $(median "${aws_paged[@]}") |"
echo "| aws s3api list-buckets --no-paginate (one call) | $(median "${aws_one[@]}") |"
echo "| rclone lsd ($(rclone_version)) | $(median "${rclone_list[@]}") |"
echo
"$root/target/release/examples/catalog_bench" "$home" local
echo
.venv/bin/python bench/catalog_ui.py "$root/target/release/strata-app" "$home"
