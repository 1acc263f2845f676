#!/bin/bash
# webcam.sh [DEVICE] [ELEMENT-PROPERTY=VALUE...]
#
# Live detection from a V4L2 camera (default /dev/video0) to the screen.
# The camera is a live source, so googlenetdetect detects in a worker thread
# on the newest frame and never delays the video: boxes follow with the
# inference time, frames never wait for them.
#
# Examples:
#   pipelines/webcam.sh
#   pipelines/webcam.sh /dev/video2 threshold=0.8 classes=sneaker,bag
set -euo pipefail

device=/dev/video0
if [ $# -gt 0 ] && [[ $1 != *=* ]]; then
  device=$1
  shift
fi
if [ ! -e "$device" ]; then
  echo "webcam.sh: no camera at $device" >&2
  exit 1
fi

exec gst-launch-1.0 -e \
  v4l2src device="$device" ! videoconvert \
  ! googlenetdetect "$@" \
  ! videoconvert ! autovideosink
