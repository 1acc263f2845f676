#!/bin/bash
# Builds everything with a sanitizer in a build directory of its own and
# runs the whole test suite there (./test.sh, so the same summary line).
#
#   scripts/sanitize.sh [address,undefined|thread] [meson test arguments]
#
# address,undefined (the default) builds in build-asan, thread in
# build-tsan.  The meson test setup of sanitizer builds (root meson.build)
# stops every test at its first finding and checks leaks at exit; see
# tests/SANITIZERS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

kind=${1:-address,undefined}
[ $# -gt 0 ] && shift
case $kind in
  address,undefined) dir=build-asan ;;
  thread) dir=build-tsan ;;
  *)
    echo "usage: $0 [address,undefined|thread] [meson test arguments]" >&2
    exit 2
    ;;
esac

# -O2 with debug information and assertions: readable reports at a speed
# that keeps the suite within minutes.
args=(-Dsanitize="$kind" -Dbuildtype=debugoptimized)
if [ -f "$dir/build.ninja" ]; then
  # An existing directory gets the same options (no-op when it has them).
  meson configure "$dir" "${args[@]}" > /dev/null
fi
GNET_BUILD_DIR=$dir GNET_MESON_ARGS="${args[*]}" exec ./test.sh "$@"
