#!/bin/sh
# Runs googlenetdetect on the sample video with the default model in both
# modes, with and without CAM refinement, and scores each run.
#
#   samples/eval/run-sample.sh [BUILD_DIR] [element properties...]
#
# The detections written go down to results-threshold=0.05, so that mAP
# ranks them all as PASCAL VOC does; precision and recall are given at the
# element's threshold (0.5 unless a threshold= property says otherwise).
#
# BUILD_DIR (default: build) holds plugin/libgstgooglenet.so.  Results,
# JSON lines and precision-recall plots go to BUILD_DIR/sample-eval/.
# Exits non-zero if a run fails or misses the targets (mAP@0.5 >= 0.85,
# class-agnostic AP@0.5 >= 0.95).
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
[ $# -gt 0 ] && shift
out=$build/sample-eval
mkdir -p "$out"
export GST_PLUGIN_PATH="$build/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
threshold=0.5
for prop in "$@"; do
  case $prop in threshold=*) threshold=${prop#threshold=} ;; esac
done
status=0
for mode in dense crops; do
  for refine in none cam; do
    name=$mode-$refine
    gst-launch-1.0 -q filesrc location="$src/samples/video/sample.mp4" ! \
      qtdemux ! h264parse ! avdec_h264 ! videoconvert ! \
      googlenetdetect mode=$mode refine=$refine \
        results-file="$out/$name.jsonl" results-threshold=0.05 "$@" ! fakesink
    echo "== $name"
    /usr/bin/python3 "$src/samples/eval/evaluate.py" \
      "$src/samples/video/sample.gt.jsonl" "$out/$name.jsonl" \
      --threshold "$threshold" --plot "$out/$name-pr.png" \
      --json "$out/$name.json" \
      --require-map 0.85 --require-agnostic-ap 0.95 || status=1
  done
done
exit $status
