#!/bin/bash
# Milliseconds per frame of the detector alone (gnet-detect-bench: no
# GStreamer, no decoding), default model and settings, on frame 150 of the
# sample video, for one or more builds taking turns, so that load from
# other work on the machine falls on all of them alike.
#
# Usage: bench/detect.sh BUILD_DIR [BUILD_DIR ...]
#   ROUNDS=5 (rounds of RUNS=100 frames each), THREADS=0 (all cores),
#   MODE=dense, MODEL=samples/models/default.onnx
# Prints, per build, the round whose median wall time per frame is the
# median over rounds: that wall time, and its CPU time per frame (all
# threads).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: bench/detect.sh BUILD_DIR [BUILD_DIR ...]" >&2; exit 2; }
ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-100}
THREADS=${THREADS:-0}
MODE=${MODE:-dense}
MODEL=${MODEL:-samples/models/default.onnx}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

/usr/bin/python3 - "$TMP/frame.rgb" <<'EOF'
import sys
import cv2
cap = cv2.VideoCapture("samples/video/sample.mp4")
cap.set(cv2.CAP_PROP_POS_FRAMES, 150)
ok, frame = cap.read()
assert ok and frame.shape == (480, 640, 3), "cannot read frame 150"
open(sys.argv[1], "wb").write(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB).tobytes())
EOF

echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $MODEL, 640x480, mode=$MODE threads=$THREADS; $ROUNDS rounds x $RUNS frames"
for r in $(seq "$ROUNDS"); do
  for b in "$@"; do
    "$b/tools/gnet-detect-bench" "$MODEL" "$TMP/frame.rgb" 640 480 \
      "$THREADS" "$RUNS" "$MODE" |
      awk -v b="$b" '/^median/ {m=$2} /^cpu/ {c=$2} END {print b, m, c}' \
      >> "$TMP/results"
  done
done
printf '%-32s %10s %10s %8s\n' "build" "wall ms" "cpu ms" "fps"
for b in "$@"; do
  awk -v b="$b" '$1 == b {print $2, $3}' "$TMP/results" | sort -n |
    awk -v b="$b" '{w[NR]=$1; c[NR]=$2} END {
      m = int((NR + 1) / 2)
      printf "%-32s %10.2f %10.2f %8.1f\n", b, w[m], c[m], 1000 / w[m] }'
done
