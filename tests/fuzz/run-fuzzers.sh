#!/bin/sh
# Runs the libFuzzer harnesses side by side, then merges what they found
# into the committed regression corpus.
#
#   CC=clang meson setup build-fuzz -Dfuzzing=true -Dplugin=disabled
#   ninja -C build-fuzz
#   tests/fuzz/run-fuzzers.sh build-fuzz 1800          # 30 min each
#   tests/fuzz/run-fuzzers.sh build-fuzz 600 npy pb    # some of them
#
# Work files go to BUILD/fuzz-work/: seeds/<harness>/ (made once by
# make-seeds.py from the repository and Debian's libonnx-testdata), and
# <harness>/corpus/ (grows across runs), <harness>/crashes/, fuzz.log.  Afterwards, minimize into the committed corpus
# with:
#   tests/fuzz/run-fuzzers.sh BUILD merge
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "$1" && pwd)
shift
work="$build/fuzz-work"

# Minimizes what fuzzing found into the committed corpus: only inputs under
# 64 KiB are candidates (the corpus stays a few hundred KiB; the big models
# are in tests/fixtures anyway), and every crash reproducer stays whatever
# its coverage.
merge() {
    for h in model npy pb; do
        out="$src/tests/fuzz/corpus/$h"
        cand="$work/$h/merge-candidates"
        rm -rf "$cand" "$out.new"
        mkdir -p "$cand" "$out.new"
        find "$out" "$work/$h/corpus" -type f -size -64k \
            -exec cp {} "$cand/" \;
        "$build/tests/fuzz/fuzz-$h" -merge=1 -rss_limit_mb=2048 \
            -malloc_limit_mb=1024 -timeout=10 "$out.new" "$cand" \
            > "$work/$h/merge.log" 2>&1
        for f in "$out"/crash-* "$out"/leak-* "$out"/oom-* "$out"/timeout-* \
            "$work/$h"/crashes/*; do
            [ -f "$f" ] && cp "$f" "$out.new/"
        done
        rm -rf "$out"
        mv "$out.new" "$out"
        echo "$h: $(ls "$cand" | wc -l) candidates -> $(ls "$out" | wc -l)" \
            "files, $(du -sk "$out" | cut -f1) KiB"
    done
}

if [ "${1:-}" = merge ]; then
    merge
    exit 0
fi
seconds=$1
shift
harnesses=${*:-model npy pb}

[ -d "$work/seeds" ] || /usr/bin/python3 "$here/make-seeds.py" "$src" "$work/seeds"
for h in $harnesses; do
    mkdir -p "$work/$h/corpus" "$work/$h/crashes"
    dict=
    [ "$h" = model ] && dict="-dict=$here/onnx.dict"
    # Fork mode keeps fuzzing after a crash, saving each one.
    nice -n 5 "$build/tests/fuzz/fuzz-$h" $dict -rss_limit_mb=2048 \
        -malloc_limit_mb=1024 -timeout=10 -max_total_time="$seconds" \
        -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
        -artifact_prefix="$work/$h/crashes/" \
        "$work/$h/corpus" "$work/seeds/$h" "$src/tests/fuzz/corpus/$h" \
        > "$work/$h/fuzz.log" 2>&1 &
done
wait
for h in $harnesses; do
    echo "== $h"
    grep -E '^#[0-9]+: cov' "$work/$h/fuzz.log" | tail -1
    grep -hE 'SUMMARY|runtime error|==ERROR' "$work/$h/fuzz.log" | sort | uniq -c
    ls "$work/$h/crashes"
done
