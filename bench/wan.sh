#!/usr/bin/env bash
# Transfers on shaped links, side by side with rclone and both aws clis of this machine kind
# (the pip one earlier on PATH, and /usr/bin/aws), each at its defaults. Every tool talks to
# the server through the testkit's shaped link (`shaped-link`: one bandwidth per direction
# shared by all connections, a fixed one-way delay), against each server in SERVERS (default:
# the built-in endpoint and s3s-fs 0.14.1), on each link in LINKS:
#   a  100 Mbit/s each way, 50 ms round trip (a good home or office line);
#   b  8 Mbit/s up, 40 Mbit/s down, 30 ms round trip (a common home or 4G uplink);
#   c  1 Gbit/s each way, 100 ms round trip (a far region: latency, not bandwidth, limits).
# Transfers: one file of BIG_MIB MiB (default 256) up and down, and SMALL files of SMALL_KIB
# KiB (default 400 × 256 KiB) up. Each row: seconds (median of RUNS, default 1), the share of
# the link's bandwidth used, files a second, and the best peer's time ÷ Strata's (above 1:
# Strata is faster). Every transfer is checked (objects and bytes up, bytes down); a tool
# that fails shows as "failed". Runs on demand, never in CI; link (b) at the default sizes
# takes about an hour for all tools and both servers.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIG_MIB="${BIG_MIB:-256}"
SMALL="${SMALL:-400}"
SMALL_KIB="${SMALL_KIB:-256}"
RUNS="${RUNS:-1}"
SERVERS="${SERVERS:-builtin s3s-fs}"
LINKS="${LINKS:-a b c}"
cd "$root"

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_start "$0" "$@"
cargo build --release --locked -p strata-testkit --bin shaped-link >&2
shaper="$root/target/release/shaped-link"

# A link's bytes a second up and down, and its one-way delay in milliseconds.
link_shape() {  # a | b | c
  case $1 in
    a) echo "$((100000000 / 8)) $((100000000 / 8)) 25" ;;
    b) echo "$((8000000 / 8)) $((40000000 / 8)) 15" ;;
    c) echo "$((1000000000 / 8)) $((1000000000 / 8)) 50" ;;
  esac
}

link_words() {
  case $1 in
    a) echo "(a) 100 Mbit/s, 50 ms" ;;
    b) echo "(b) 8/40 Mbit/s, 30 ms" ;;
    c) echo "(c) 1 Gbit/s, 100 ms" ;;
  esac
}

echo "Making the files..." >&2
mkdir -p "$work/big" "$work/small"
head -c "$((BIG_MIB * 1024 * 1024))" /dev/urandom > "$work/big/big.bin"
for i in $(seq -w 1 "$SMALL"); do head -c "$((SMALL_KIB * 1024))" /dev/urandom > "$work/small/IMG_$i.jpg"; done
big_bytes=$((BIG_MIB * 1024 * 1024))
small_bytes=$((SMALL * SMALL_KIB * 1024))

# Starts the shaped link to the running server; sets link_pid and shaped (its endpoint), and
# points profile s of $home, the aws clis and rclone_s at it.
start_link() {  # a | b | c
  read -r up down delay < <(link_shape "$1")
  "$shaper" "$endpoint" "$up" "$down" "$delay" > "$work/link" &
  link_pid=$!
  for _ in $(seq 1 100); do [ -s "$work/link" ] && break; sleep 0.1; done
  shaped=$(cat "$work/link")
  "$strata" --home "$home" profile rm s >/dev/null 2>&1 || true
  printf '%s\n' "$secret" | "$strata" --home "$home" profile add s --endpoint "$shaped" \
    --path-style --access-key-id "$key" --secret-stdin >/dev/null
  rclone_s=(env RCLONE_CONFIG_S_TYPE=s3 RCLONE_CONFIG_S_PROVIDER=Other RCLONE_CONFIG_S_ENDPOINT="$shaped"
    RCLONE_CONFIG_S_ACCESS_KEY_ID="$key" RCLONE_CONFIG_S_SECRET_ACCESS_KEY="$secret"
    RCLONE_CONFIG_S_FORCE_PATH_STYLE=true rclone)
}
stop_link() { kill "$link_pid" 2>/dev/null || true; wait "$link_pid" 2>/dev/null || true; }

bucket=0
# An upload through the link into a fresh bucket (made directly), checked by what it left.
measure_up() {  # objects bytes command... (BUCKET in the command is replaced)
  local objects=$1 bytes=$2; shift 2
  bucket=$((bucket + 1))
  "$strata" --home "$home" bucket mk "b:wan-$bucket" >/dev/null
  local seconds; seconds=$(timed "${@//BUCKET/wan-$bucket}") || return 1
  read -r got_objects got_bytes < <("$strata" --home "$home" --json ls "b:wan-$bucket" --recursive |
    python3 -c 'import json,sys; rows=json.load(sys.stdin); print(len(rows), sum(r["size"] for r in rows))')
  "$strata" --home "$home" bucket rm --force "b:wan-$bucket" >/dev/null
  if [ "$got_objects $got_bytes" != "$objects $bytes" ]; then
    echo "$* left $got_objects objects, $got_bytes bytes; expected $objects, $bytes" >&2; return 1
  fi
  echo "$seconds"
}

# A download through the link of the object `wan-source/big.bin`, checked byte for byte.
measure_down() {  # command... (DIR in the command is replaced)
  local dir="$work/down"
  rm -rf "$dir"; mkdir -p "$dir"
  local seconds; seconds=$(timed "${@//DIR/$dir}") || return 1
  cmp -s "$work/big/big.bin" "$dir/big.bin" || { echo "$* did not bring the bytes back" >&2; return 1; }
  echo "$seconds"
}

declare -A secs
run() {  # label measure args...
  local label=$1 t="" s; shift
  for _ in $(seq 1 "$RUNS"); do
    if s=$("$@"); then t+="$s "; else t=""; break; fi
  done
  # shellcheck disable=SC2086
  if [ -z "$t" ]; then secs[$label]=failed; else secs[$label]=$(median $t); fi
}

tools=(strata rclone)
for i in "${!aws_clis[@]}"; do tools+=("aws$i"); done

for server in $SERVERS; do
  start_server "$server"
  "$strata" --home "$home" bucket mk b:wan-source >/dev/null
  "$strata" --home "$home" put "$work/big/big.bin" b:wan-source/ >/dev/null
  for link in $LINKS; do
    echo "Measuring $server on link $link..." >&2
    start_link "$link"
    for tool in "${tools[@]}"; do
      case $tool in
        strata)
          up=("$strata" --home "$home" put "$work/big/big.bin" s:BUCKET/)
          small=("$strata" --home "$home" put "$work/small" s:BUCKET/)
          down=("$strata" --home "$home" get s:wan-source/big.bin DIR/) ;;
        rclone)
          up=("${rclone_s[@]}" copy "$work/big/big.bin" s:BUCKET/)
          small=("${rclone_s[@]}" copy "$work/small" s:BUCKET/small/)
          down=("${rclone_s[@]}" copy s:wan-source/big.bin DIR/) ;;
        aws*)
          cli=(env "${aws_clis[${tool#aws}]}" --endpoint-url "$shaped" s3 cp)
          up=("${cli[@]}" "$work/big/big.bin" s3://BUCKET/)
          small=("${cli[@]}" --recursive "$work/small" s3://BUCKET/small/)
          down=("${cli[@]}" s3://wan-source/big.bin DIR/) ;;
      esac
      run "$server/$link/up/$tool" measure_up 1 "$big_bytes" "${up[@]}"
      run "$server/$link/down/$tool" measure_down "${down[@]}"
      run "$server/$link/small/$tool" measure_up "$SMALL" "$small_bytes" "${small[@]}"
    done
    stop_link
  done
  stop_server
done

printf '\nMedian of %s run(s), release build, %s cores, %s.\n\n' "$RUNS" "$(nproc)" "$(date +%F)"
echo "| server | link | transfer | tool | seconds | link used | files/s | best peer ÷ Strata |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for server in $SERVERS; do
  for link in $LINKS; do
    read -r up_rate down_rate _ < <(link_shape "$link")
    for what in up down small; do
      case $what in
        up) label="$BIG_MIB MiB up"; total=$big_bytes files=1 rate=$up_rate ;;
        down) label="$BIG_MIB MiB down"; total=$big_bytes files=1 rate=$down_rate ;;
        small) label="$SMALL × $SMALL_KIB KiB up"; total=$small_bytes files=$SMALL rate=$up_rate ;;
      esac
      best=""
      for tool in "${tools[@]:1}"; do
        s=${secs[$server/$link/$what/$tool]}
        [ "$s" = failed ] || best=$(printf '%s\n' $best "$s" | sort -g | head -1)
      done
      for tool in "${tools[@]}"; do
        case $tool in
          strata) [ "$what" = down ] && name="strata get" || name="strata put" ;;
          rclone) name="rclone copy ($(rclone_version))" ;;
          aws*) cli=${aws_clis[${tool#aws}]}; name="aws s3 cp ($("$cli" --version 2>&1 | cut -d' ' -f1))" ;;
        esac
        s=${secs[$server/$link/$what/$tool]}
        if [ "$s" = failed ]; then
          echo "| $server | $(link_words "$link") | $label | $name | failed | | | |"
          continue
        fi
        ratio="—"
        [ "$tool" != strata ] || [ -z "$best" ] || ratio=$(awk -v b="$best" -v s="$s" 'BEGIN { printf "%.2f×", b / s }')
        awk -v sv="$server" -v l="$(link_words "$link")" -v w="$label" -v n="$name" -v s="$s" -v b="$total" \
          -v r="$rate" -v f="$files" -v ratio="$ratio" \
          'BEGIN { printf "| %s | %s | %s | %s | %s | %.0f%% | %.1f | %s |\n", sv, l, w, n, s, 100 * b / r / s, f / s, ratio }'
      done
    done
  done
done
