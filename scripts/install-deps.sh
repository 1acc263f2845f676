#!/bin/bash
# Installs the Debian 12 packages gnet needs to build, test and run the demo.
# Only what is missing is installed; nothing else is downloaded.
set -euo pipefail

PACKAGES=(
  # build
  build-essential meson ninja-build pkg-config
  libglib2.0-dev libopenblas-dev
  protobuf-c-compiler libprotobuf-c-dev libonnx-dev
  # the GStreamer element
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libcairo2-dev libpango1.0-dev libjson-glib-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  # tests: ONNX conformance data, evaluation and training-window tests
  libonnx-testdata python3 python3-numpy python3-opencv
  # demo: evaluation plots
  python3-matplotlib
)
if [ "${GNET_EXTRA_PACKAGES:-}" ]; then
  read -r -a extra <<< "$GNET_EXTRA_PACKAGES"
  PACKAGES+=("${extra[@]}")
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
