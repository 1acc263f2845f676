#!/bin/bash
# Resident memory of one process running 1 and 4 live streams of
# videotestsrc ! googlenetdetect ! fakesink, the 4 streams either naming
# the same model file (one shared copy of the weights) or each its own copy
# of it (--copies: same bytes, another file, nothing shared).  Prints a
# Markdown table; see RELIABILITY.md.
#
#   tests/soak/streams-rss.sh MODEL... [-- more options of the soak program]
#
#   tests/soak/streams-rss.sh samples/models/default.onnx /tmp/tv-googlenet.onnx
#
# Full-size GoogLeNets come from bench/make_models.py.  Each row is a 30 s
# run (RSS sampled every 5 s; the figure is the last sample) of 224x224 I420
# frames at 30 fps, small enough that the weights, not the working memory,
# dominate.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
models=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    models+=("$1")
    shift
done
[ "${1:-}" = "--" ] && shift
if [ ${#models[@]} -eq 0 ]; then
    echo "usage: $0 MODEL... [-- soak options]" >&2
    exit 2
fi

run() {
    "$here/soak.sh" 30 --warmup 20 --width 224 --height 224 "$@" 2>&1 |
        tee -a "${LOG:-/dev/null}" |
        sed -n 's/^rss min\/max after warm-up: .* at end \([0-9]*\) kB$/\1/p'
}

params() {
    /usr/bin/python3 -c "import onnx, numpy, sys
m = onnx.load(sys.argv[1])
print(sum(int(numpy.prod(t.dims)) for t in m.graph.initializer))" "$1" \
        2>/dev/null || echo "?"
}

echo "| model | weights | 1 stream | 4 streams, one file | 4 streams, 4 copies | saved by sharing |"
echo "|---|---|---|---|---|---|"
for m in "${models[@]}"; do
    n=$(params "$m")
    one=$(run --streams 1 --model "$m" "$@")
    shared=$(run --streams 4 --model "$m" "$@")
    copies=$(run --streams 4 --model "$m" --copies "$@")
    if [ "$n" != "?" ]; then
        w=$(awk -v n="$n" 'BEGIN { printf "%.1f MB (%d floats)", n * 4 / 1048576, n }')
    else
        w="?"
    fi
    awk -v m="$(basename "$m")" -v w="$w" -v a="$one" -v b="$shared" -v c="$copies" 'BEGIN {
        printf "| %s | %s | %.1f MB | %.1f MB | %.1f MB | %.1f MB |\n",
            m, w, a / 1024, b / 1024, c / 1024, (c - b) / 1024 }'
done
