#!/bin/bash
# Frames per second of the googlenetdetect element on the sample video
# (640x480, 30 fps), offline (every frame processed, in order), as fast as
# it goes (fakesink sync=false).  Decoding alone is measured in the same run
# so the element's own rate can be separated from the decoder's.
#
# Usage: bench/element.sh [BUILD_DIR] [ELEMENT-PROPERTY=VALUE ...]
#   ROUNDS=3 (median of rounds), MODES="dense crops", REFINES="none cam"
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
shift || true
export GST_PLUGIN_PATH="$PWD/$BUILD/plugin"
VIDEO=${VIDEO:-samples/video/sample.mp4}
ROUNDS=${ROUNDS:-3}
MODES=${MODES:-dense crops}
REFINES=${REFINES:-none cam}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

now() { date +%s.%N; }

# Seconds for one run of a pipeline description (median of ROUNDS).
run_median() {
  local times=()
  for _ in $(seq "$ROUNDS"); do
    local t0 t1
    t0=$(now)
    gst-launch-1.0 -q filesrc location="$VIDEO" ! decodebin ! videoconvert \
      ! "$@" ! fakesink sync=false > /dev/null
    t1=$(now)
    times+=("$(echo "$t1 - $t0" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

n=$(gst-launch-1.0 -q filesrc location="$VIDEO" ! decodebin ! videoconvert \
  ! googlenetdetect draw=false results-file="$TMP/count.jsonl" ! fakesink \
  > /dev/null && wc -l < "$TMP/count.jsonl")
echo "video: $VIDEO, $n frames"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
base=$(run_median identity)
printf '%-28s %8s %8s %10s\n' "pipeline" "seconds" "fps" "element fps"
printf '%-28s %8.2f %8.1f %10s\n' "decode only" "$base" "$(echo "$n / $base" | bc -l)" "-"
for mode in $MODES; do
  for refine in $REFINES; do
    s=$(run_median googlenetdetect mode="$mode" refine="$refine" "$@")
    el=$(echo "$s - $base" | bc -l)
    printf '%-28s %8.2f %8.1f %10.1f\n' "mode=$mode refine=$refine" "$s" \
      "$(echo "$n / $s" | bc -l)" "$(echo "$n / $el" | bc -l)"
  done
done
