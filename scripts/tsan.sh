#!/bin/bash
# The test suite under ThreadSanitizer (build-tsan): the core tests, the
# tool's tests and the element's tests, in-process and under gst-launch-1.0.
# Everything instrumented runs 5 to 15 times slower, hence the longer
# timeouts.
#   scripts/tsan.sh [meson test arguments, e.g. a test name]
exec "$(dirname "$0")/sanitize.sh" thread --timeout-multiplier 4 "$@"
