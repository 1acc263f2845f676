#!/bin/sh
# Times gnet against ONNX Runtime (npm onnxruntime-node) and OpenCV DNN on
# full-size GoogLeNets of both layouts, in one run on one machine.
#
#   bench/run.sh [BUILDDIR]            (default: ./build)
#
# Environment: OUT (models and the ORT install, default /tmp/gnet-bench),
# RUNS (default 20), WARMUP (default 5), ROUNDS (default 3), THREADS
# (default "1 2"), CASES (substrings of case labels, default all),
# ORT_VERSION (default 1.30.0).  Needs /usr/bin/python3 with torch, onnx
# and cv2 (python3-torch python3-onnx python3-opencv), node and npm.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
out=${OUT:-${TMPDIR:-/tmp}/gnet-bench}
ort_version=${ORT_VERSION:-1.30.0}

if [ ! -x "$build/tools/gnet" ]; then
  echo "run.sh: $build/tools/gnet not found; build first" >&2
  exit 1
fi

mkdir -p "$out"
if [ ! -f "$out/tv-googlenet.onnx" ] || [ ! -f "$out/caffe-googlenet.onnx" ] \
    || [ ! -f "$out/caffe-googlenet-features.onnx" ] \
    || [ ! -f "$out/default-features.onnx" ]; then
  /usr/bin/python3 "$here/make_models.py" "$out"
fi

# The CPU binaries ship inside the npm package; its install script only
# fetches optional GPU providers, so it is skipped.
if [ ! -d "$out/ort/node_modules/onnxruntime-node" ]; then
  mkdir -p "$out/ort"
  (cd "$out/ort" && npm init -y >/dev/null \
    && npm install --ignore-scripts --no-audit --no-fund \
      "onnxruntime-node@$ort_version")
fi

# Which gnet: the tool's version and, when there is one, the commit of
# the tree this script is in (the build directory may hold another).
echo "# $("$build/tools/gnet" --version) ($build/tools/gnet; this tree at" \
  "$(git -C "$here/.." describe --always --dirty 2>/dev/null || echo '?'))"
NODE_PATH="$out/ort/node_modules" exec /usr/bin/python3 "$here/run.py" \
  --gnet "$build/tools/gnet" --models "$out" \
  --runs "${RUNS:-20}" --warmup "${WARMUP:-5}" --rounds "${ROUNDS:-3}" \
  --threads "${THREADS:-1 2}" --cases "${CASES:-}"
