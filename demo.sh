#!/bin/bash
# The main job: installs what is missing, builds, annotates the sample video
# with the default model and prints the evaluation against ground truth.
#
# Usage: ./demo.sh [ELEMENT-PROPERTY=VALUE ...]   e.g. ./demo.sh mode=crops
# Outputs in out/: sample-annotated.mp4, sample-detections.jsonl,
# pr-curves.png.
set -euo pipefail
cd "$(dirname "$0")"

bash scripts/install-deps.sh
BUILD=${GNET_BUILD_DIR:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" ${GNET_MESON_ARGS:-}
fi
ninja -C "$BUILD"

mkdir -p out
export GST_PLUGIN_PATH="$PWD/$BUILD/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
# The video shows the detections at the element's threshold; the JSON lines
# also keep the weaker ones (results-threshold), so that mAP ranks them all
# as PASCAL VOC does, and precision and recall are given at the threshold.
threshold=0.5
for prop in "$@"; do
  case $prop in threshold=*) threshold=${prop#threshold=} ;; esac
done
pipelines/annotate.sh samples/video/sample.mp4 out/sample-annotated.mp4 \
  out/sample-detections.jsonl results-threshold=0.05 "$@"

echo
echo "Evaluation against samples/video/sample.gt.jsonl:"
/usr/bin/python3 samples/eval/evaluate.py samples/video/sample.gt.jsonl \
  out/sample-detections.jsonl --threshold "$threshold" \
  --plot out/pr-curves.png
echo
echo "Annotated video: out/sample-annotated.mp4"
echo "Detections:      out/sample-detections.jsonl"
echo "PR curves:       out/pr-curves.png"
