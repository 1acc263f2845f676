#!/bin/bash
# annotate.sh INPUT OUTPUT_VIDEO OUTPUT_JSONL [ELEMENT-PROPERTY=VALUE...]
#
# Detects objects in every frame of any video GStreamer can read (decodebin
# picks libavcodec's avdec_* through gst-libav), draws them, encodes H.264
# into MP4 and writes one JSON line per frame.  Shows progress while it
# runs; exits non-zero on any error.  Ctrl-C stops cleanly: the MP4 and the
# JSON lines written so far stay valid.
#
# Example:
#   pipelines/annotate.sh in.mkv out.mp4 out.jsonl threshold=0.7 mode=crops
set -euo pipefail

if [ $# -lt 3 ]; then
  sed -n '2,12s/^# \{0,1\}//p' "$0" >&2
  exit 2
fi
input=$1
output=$2
jsonl=$3
shift 3

if [ ! -r "$input" ]; then
  echo "annotate.sh: cannot read $input" >&2
  exit 1
fi

# x264enc (plugins-ugly) when present, else libavcodec's encoder.
if gst-inspect-1.0 x264enc >/dev/null 2>&1; then
  encoder="x264enc speed-preset=faster"
elif gst-inspect-1.0 avenc_h264 >/dev/null 2>&1; then
  encoder="avenc_h264"
else
  echo "annotate.sh: no H.264 encoder (install gstreamer1.0-plugins-ugly)" >&2
  exit 1
fi

rm -f "$jsonl"
start=$(date +%s.%N)
frames_done() {
  if [ -f "$jsonl" ]; then wc -l < "$jsonl"; else echo 0; fi
}

# progressreport prints "progress (00:00:05): 12 / 60 seconds (20.0 %)";
# frames done are the lines of the results file (written and flushed per
# frame), which gives the frames per second.
set +e
# shellcheck disable=SC2086
gst-launch-1.0 -q -e \
  filesrc location="$input" ! decodebin ! videoconvert \
  ! progressreport name=progress update-freq=1 silent=false \
  ! googlenetdetect results-file="$jsonl" "$@" \
  ! videoconvert ! $encoder ! h264parse ! mp4mux \
  ! filesink location="$output" 2>&1 |
  while IFS= read -r line; do
    if [[ $line =~ ^progress\ \(.*\):\ (.*)$ ]]; then
      where=${BASH_REMATCH[1]}
      if [[ $where =~ \(\ *([0-9.]+)\ %\) ]]; then
        where="${BASH_REMATCH[1]} %"
      elif [[ $where == Could* ]]; then
        where="position unknown"
      fi
      frames=$(frames_done)
      awk -v w="$where" -v f="$frames" -v t="$(date +%s.%N)" -v s="$start" \
        'BEGIN { printf "\r%-18s %7d frames %7.1f fps ", w, f, f / (t - s) }'
    else
      printf '%s\n' "$line"
    fi
  done
rc=${PIPESTATUS[0]}
set -e
echo

frames=$(frames_done)
if [ "$rc" -ne 0 ]; then
  echo "annotate.sh: failed after $frames frames" >&2
  exit "$rc"
fi
echo "annotate.sh: $frames frames -> $output, $jsonl"
