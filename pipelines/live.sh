#!/bin/bash
# live.sh [SECONDS] [ELEMENT-PROPERTY=VALUE...]
#
# Shows that detection keeps up with a live source: a live 640x480 30 fps
# test pattern goes through googlenetdetect into a clock-synchronised sink,
# and fpsdisplaysink reports frames rendered and dropped.  With a model
# slower than the frame rate, frames still render at 30 fps with none
# dropped; only the boxes are refreshed less often.
#
# Set SINK=fakesink to run without a display (CI, ssh).
#
# Examples:
#   pipelines/live.sh 10
#   SINK=fakesink pipelines/live.sh 5 model=my.onnx async=true
set -euo pipefail

seconds=10
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
sink=${SINK:-autovideosink}

# fpsdisplaysink's last-message ("rendered: N, dropped: D, current: F,
# average: A") is printed by -v; keep only those lines and the last one.
set +e
gst-launch-1.0 -v -e \
  videotestsrc is-live=true pattern=ball num-buffers=$((seconds * 30)) \
  ! video/x-raw,width=640,height=480,framerate=30/1 \
  ! googlenetdetect "$@" \
  ! videoconvert \
  ! fpsdisplaysink name=fps text-overlay=false sync=true \
      video-sink="$sink" 2>&1 |
  grep --line-buffered -E 'fps: last-message|ERROR|WARNING|error' |
  sed -u 's/.*last-message = /  /'
rc=${PIPESTATUS[0]}
exit "$rc"
