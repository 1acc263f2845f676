#!/bin/sh
# Scores the detector on more scenes than the shipped sample: N further
# videos made by samples/scenes/generate.py with other seeds (Fashion-MNIST
# test items, like the sample), pooled into one score per mode.  The sample
# shows 18 items, so one misclassified item moves its mAP by about 0.07;
# use this to tell whether a change to the model or the detector helps.
#
#   samples/eval/heldout.sh [BUILD_DIR] [element properties...]
#
# Environment: N (videos, default 4), SEED (first seed, default 101; the
# sample is seed 3), MODES (default "dense-none crops-none"; also
# dense-cam, crops-cam).  The videos are generated once into
# BUILD_DIR/heldout/ (about a minute each) and reused; JSON lines and
# figures go next to them.  Crops mode runs at about 3 frames per second.
# As in run-sample.sh, the JSON lines go down to results-threshold=0.05 and
# precision and recall are given at the element's threshold.
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
[ $# -gt 0 ] && shift
props="$*"      # element properties (no spaces inside one)
threshold=0.5
for prop in "$@"; do
  case $prop in threshold=*) threshold=${prop#threshold=} ;; esac
done
n=${N:-4}
seed=${SEED:-101}
modes=${MODES:-dense-none crops-none}
out=$build/heldout
mkdir -p "$out"
export GST_PLUGIN_PATH="$build/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

videos=""
i=0
while [ "$i" -lt "$n" ]; do
  s=$((seed + i))
  if [ ! -s "$out/scene-$s.gt.jsonl" ]; then
    # written under other names first, so an interrupted run is redone
    /usr/bin/python3 "$src/samples/scenes/generate.py" --seed "$s" \
      --output "$out/partial-$s.mp4" --gt "$out/partial-$s.gt.jsonl" \
      >/dev/null
    mv "$out/partial-$s.mp4" "$out/scene-$s.mp4"
    mv "$out/partial-$s.gt.jsonl" "$out/scene-$s.gt.jsonl"
  fi
  videos="$videos $s"
  i=$((i + 1))
done

for mr in $modes; do
  mode=${mr%-*}
  refine=${mr#*-}
  set --
  first=1
  for s in $videos; do
    gst-launch-1.0 -q filesrc location="$out/scene-$s.mp4" ! \
      qtdemux ! h264parse ! avdec_h264 ! videoconvert ! \
      googlenetdetect mode=$mode refine=$refine \
        results-file="$out/scene-$s.$mr.jsonl" results-threshold=0.05 \
        $props ! fakesink
    if [ $first = 1 ]; then
      set -- "$out/scene-$s.gt.jsonl" "$out/scene-$s.$mr.jsonl"
      first=0
    else
      set -- "$@" --also "$out/scene-$s.gt.jsonl" "$out/scene-$s.$mr.jsonl"
    fi
  done
  echo "== $mr ($n videos, seeds$videos)"
  /usr/bin/python3 "$src/samples/eval/evaluate.py" "$@" \
    --threshold "$threshold" --json "$out/$mr.json"
done
