#!/bin/bash
# check() evaluates its second argument later, hence the single quotes:
# shellcheck disable=SC2016,SC2034
# Tests of the pipelines/ scripts and of googlenetdetect under
# gst-launch-1.0: documented properties, errors that end gst-launch with a
# non-zero status, bus messages, a results file that stays valid on Ctrl-C,
# and annotate.sh end to end on a libavcodec-encoded file.
# Run by meson test (tests/plugin/meson.build sets GNET_SRCDIR and the
# plugin path); prints TAP.
set -uo pipefail

src=${GNET_SRCDIR:?GNET_SRCDIR not set}
red=$src/tests/fixtures/plugin/red.onnx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

check() {
  n=$((n + 1))
  if eval "$2"; then
    echo "ok $n - $1"
  else
    echo "not ok $n - $1"
    failed=$((failed + 1))
  fi
}

# Every line of $1 is a JSON object in the gvametaconvert schema; prints
# the number of lines, the number of objects and whether timestamps grow.
jsonl_summary() {
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[-1] == "", "file does not end with a newline"
objs, last = 0, -1
for line in lines[:-1]:
    d = json.loads(line)
    assert d["timestamp"] > last
    last = d["timestamp"]
    assert d["resolution"]["width"] > 0 and d["resolution"]["height"] > 0
    for o in d["objects"]:
        bb = o["detection"]["bounding_box"]
        assert 0 <= bb["x_min"] <= bb["x_max"] <= 1
        assert 0 <= bb["y_min"] <= bb["y_max"] <= 1
        assert o["roi_type"] == o["detection"]["label"]
        assert abs(o["x"] - bb["x_min"] * d["resolution"]["width"]) <= 1
        objs += 1
print(len(lines) - 1, objs)
PY
}

# --- gst-inspect-1.0 documents properties with ranges and defaults
gst-inspect-1.0 googlenetdetect > "$tmp/inspect.txt" 2>&1
rc=$?
check "gst-inspect-1.0 finds the element" '[ $rc -eq 0 ]'
check "threshold documented with range and default" \
  'grep -A3 "^  threshold " "$tmp/inspect.txt" | grep -Eq "Range: +0 - +1 Default: +0.5"'
check "threshold changeable while playing" \
  'grep -A2 "^  threshold " "$tmp/inspect.txt" | grep -q "PAUSED or PLAYING state"'
check "mode enum documented" \
  'grep -A6 "^  mode " "$tmp/inspect.txt" | grep -q "(1): crops"'

# --- errors end gst-launch-1.0 with a non-zero status and say what is wrong
gst-launch-1.0 videotestsrc num-buffers=2 ! googlenetdetect model=/nonexistent.onnx \
  ! fakesink > "$tmp/out.txt" 2>&1
rc=$?
check "missing model: non-zero exit" '[ $rc -ne 0 ]'
check "missing model: message names the file" \
  'grep -q "Could not read model file \"/nonexistent.onnx\"" "$tmp/out.txt"'

printf 'not an onnx file at all' > "$tmp/junk.onnx"
gst-launch-1.0 videotestsrc num-buffers=2 ! googlenetdetect model="$tmp/junk.onnx" \
  ! fakesink > "$tmp/out.txt" 2>&1
rc=$?
check "corrupt model: non-zero exit" '[ $rc -ne 0 ]'
check "corrupt model: says corrupt" 'grep -q "corrupt" "$tmp/out.txt"'

gst-launch-1.0 videotestsrc num-buffers=2 ! googlenetdetect model="$red" \
  mean=1,2 ! fakesink > "$tmp/out.txt" 2>&1
rc=$?
check "bad mean: non-zero exit and message" \
  '[ $rc -ne 0 ] && grep -q "Invalid mean" "$tmp/out.txt"'

# --- no properties at all: the shipped default model
if [ -f "$src/samples/models/default.onnx" ]; then
  gst-launch-1.0 videotestsrc num-buffers=3 ! googlenetdetect ! fakesink \
    > "$tmp/out.txt" 2>&1
  rc=$?
  check "works with no properties (default model)" '[ $rc -eq 0 ]'
else
  gst-launch-1.0 videotestsrc num-buffers=3 ! googlenetdetect ! fakesink \
    > "$tmp/out.txt" 2>&1
  rc=$?
  check "default model absent: clean failure naming it" \
    '[ $rc -ne 0 ] && grep -q "default.onnx" "$tmp/out.txt"'
fi

# --- one element message per frame, visible with -m
gst-launch-1.0 -m videotestsrc num-buffers=7 ! googlenetdetect model="$red" \
  message=true ! fakesink > "$tmp/out.txt" 2>&1
rc=$?
check "message=true: one element message per frame" \
  '[ $rc -eq 0 ] && [ "$(grep -c "googlenetdetect, timestamp=" "$tmp/out.txt")" -eq 7 ]'

# --- Ctrl-C with -e leaves a complete, valid results file
gst-launch-1.0 -e videotestsrc is-live=true pattern=ball \
  ! video/x-raw,width=160,height=120,framerate=30/1 \
  ! googlenetdetect model="$red" results-file="$tmp/live.jsonl" ! fakesink \
  > "$tmp/out.txt" 2>&1 &
pid=$!
for _ in $(seq 300); do
  [ -f "$tmp/live.jsonl" ] && [ "$(wc -l < "$tmp/live.jsonl")" -ge 10 ] && break
  sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
check "Ctrl-C (-e): gst-launch exits 0" '[ $rc -eq 0 ]'
summary=$(jsonl_summary "$tmp/live.jsonl")
check "Ctrl-C (-e): results file complete and valid ($summary)" \
  '[ -n "$summary" ] && [ "${summary% *}" -ge 10 ]'

# --- annotate.sh end to end on an MPEG-4 (libavcodec) file with a red ball
gst-launch-1.0 -q videotestsrc num-buffers=45 pattern=ball \
  foreground-color=0xffff0000 background-color=0xff808080 \
  ! video/x-raw,width=160,height=120,framerate=30/1 ! videoconvert \
  ! avenc_mpeg4 ! matroskamux ! filesink location="$tmp/in.mkv"
"$src/pipelines/annotate.sh" "$tmp/in.mkv" "$tmp/out.mp4" "$tmp/out.jsonl" \
  model="$red" > "$tmp/annotate.txt" 2>&1
rc=$?
check "annotate.sh exits 0" '[ $rc -eq 0 ]'
summary=$(jsonl_summary "$tmp/out.jsonl")
check "annotate.sh: one valid JSON line per frame ($summary)" \
  '[ "${summary% *}" -eq 45 ]'
check "annotate.sh: the red ball is found" '[ "${summary#* }" -ge 1 ]'
check "annotate.sh: progress shown" 'grep -q "frames .* fps" "$tmp/annotate.txt"'
gst-launch-1.0 -q filesrc location="$tmp/out.mp4" ! qtdemux ! h264parse \
  ! avdec_h264 ! fakesink > "$tmp/out.txt" 2>&1
rc=$?
check "annotate.sh: the MP4 decodes as H.264" '[ $rc -eq 0 ]'

"$src/pipelines/annotate.sh" "$tmp/in.mkv" "$tmp/bad.mp4" "$tmp/bad.jsonl" \
  model=/nonexistent.onnx > "$tmp/out.txt" 2>&1
rc=$?
check "annotate.sh: bad model exits non-zero" '[ $rc -ne 0 ]'
"$src/pipelines/annotate.sh" "$tmp/nothing.mkv" "$tmp/bad.mp4" \
  "$tmp/bad.jsonl" > "$tmp/out.txt" 2>&1
rc=$?
check "annotate.sh: missing input exits non-zero" '[ $rc -ne 0 ]'

# --- live.sh runs headless
SINK=fakesink "$src/pipelines/live.sh" 2 model="$red" > "$tmp/out.txt" 2>&1
rc=$?
check "live.sh runs and reports rendered frames" \
  '[ $rc -eq 0 ] && grep -q "rendered:" "$tmp/out.txt"'

echo "1..$n"
[ "$failed" -eq 0 ]
