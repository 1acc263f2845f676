#!/bin/bash
# Soak test of googlenetdetect: a live 640x480 30 fps pipeline in async mode
# for DURATION seconds (default 600), resident memory sampled every 5 s,
# frames counted in and out, output timestamps checked.  Prints the figures
# and PASS/FAIL (exit status 0/1).  See RELIABILITY.md.
#
#   tests/soak/soak.sh [DURATION] [more options of the soak program]
#
#   tests/soak/soak.sh                       # the 10-minute soak
#   tests/soak/soak.sh 60 --warmup 20        # a quick one
#   tests/soak/soak.sh 30 --streams 4 --width 224 --height 224
#   tests/soak/soak.sh --help                # every option
#
# BUILD_DIR (default ./build) must hold a build of the project (meson setup
# build && ninja -C build); the element is loaded from it, with a registry
# of its own.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
soak=$build/tests/soak/soak
if [ ! -x "$soak" ] || [ ! -d "$build/plugin" ]; then
    echo "no build in $build: run meson setup build && ninja -C build" >&2
    exit 2
fi

duration=600
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]]; then
    duration=$1
    shift
fi

registry=$(mktemp -d)
trap 'rm -rf "$registry"' EXIT
export GST_PLUGIN_PATH_1_0=$build/plugin
export GST_REGISTRY_1_0=$registry/registry.bin
export GST_REGISTRY_FORK=no

echo "machine: $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
exec "$soak" --duration "$duration" --props "async=true" "$@"
