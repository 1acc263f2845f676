#!/bin/bash
# The test suite under ThreadSanitizer (build-tsan): the core tests, the
# tool's tests and the element's tests, in-process and under gst-launch-1.0.
# Everything instrumented runs 5 to 15 times slower, hence the longer
# timeouts.
#   scripts/tsan.sh [meson test arguments, e.g. a test name]
#
# The tests run with address-space randomisation off (setarch -R, which
# their gst-launch-1.0 children inherit), where the kernel allows it:
# ThreadSanitizer maps its shadow memory at fixed addresses, and once in
# a few runs a randomised layout made that fail before any test code ran
# ("ThreadSanitizer failed to allocate 0x1ec300005b000 bytes ...
# (errno: 12)", plugin/streams, 2026-11-29; the same build passed it six
# times in a row straight after).
wrapper=()
if setarch "$(uname -m)" -R true 2>/dev/null; then
  wrapper=(--wrapper "setarch $(uname -m) -R")
fi
exec "$(dirname "$0")/sanitize.sh" thread --timeout-multiplier 4 \
  "${wrapper[@]}" "$@"
