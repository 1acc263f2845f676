#!/bin/bash
# Installs what is missing, builds, and runs the whole test suite.
# Usage: ./test.sh [extra meson test arguments]
set -euo pipefail
cd "$(dirname "$0")"

bash scripts/install-deps.sh
BUILD=${GNET_BUILD_DIR:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" ${GNET_MESON_ARGS:-}
fi
ninja -C "$BUILD"

set +e
meson test -C "$BUILD" --print-errorlogs "$@" | tee "$BUILD/test-summary.txt"
rc=${PIPESTATUS[0]}
set -e
ok=$(awk '/^Ok:/ {print $2}' "$BUILD/test-summary.txt")
fail=$(awk '/^Fail:/ {print $2}' "$BUILD/test-summary.txt")
skip=$(awk '/^Skipped:/ {print $2}' "$BUILD/test-summary.txt")
timeout=$(awk '/^Timeout:/ {print $2}' "$BUILD/test-summary.txt")
echo "${ok:-0} passed, $(( ${fail:-0} + ${timeout:-0} )) failed, ${skip:-0} skipped"
exit "$rc"
