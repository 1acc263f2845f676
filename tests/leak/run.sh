#!/bin/bash
# Leak check of the googlenetdetect element: its GstCheck tests and a
# 300-frame pipeline in each strategy (mode=dense, mode=crops, async=true).
# Exits non-zero if any block leaked at exit was allocated by our code
# (libgnet or the plugin); prints the figures of every run.
#
#   tests/leak/run.sh [--valgrind] [BUILD_DIR]
#
# By default LeakSanitizer, in an AddressSanitizer build (BUILD_DIR,
# default build-asan, is set up with -Dsanitize=address,undefined if it does
# not exist).  With --valgrind, valgrind memcheck --leak-check=full on a
# normal build (default build); about 50 times slower, so set FRAMES lower.
# Environment: FRAMES (default 300), WIDTH x HEIGHT (640 x 480), MODEL
# (default: the element's default model), RUNS (default "plugin-tests
# dense crops async"), KEEP=1 keeps the logs.
#
# Suppressions: tests/lsan.supp (LeakSanitizer) and tests/valgrind.supp
# with GLib's glib.supp (valgrind), each entry a documented one-time
# allocation of GLib, GStreamer or a system library; none covers our code.
set -uo pipefail

tool=lsan
if [ "${1:-}" = "--valgrind" ]; then
  tool=valgrind
  shift
fi
src=$(cd "$(dirname "$0")/../.." && pwd)
if [ $tool = lsan ]; then
  build=${1:-build-asan}
else
  build=${1:-build}
fi
case $build in /*) ;; *) build=$src/$build ;; esac
frames=${FRAMES:-300}
width=${WIDTH:-640}
height=${HEIGHT:-480}

cd "$src" || exit 2
if [ ! -f "$build/build.ninja" ]; then
  if [ $tool = lsan ]; then
    meson setup "$build" -Dsanitize=address,undefined \
      -Dbuildtype=debugoptimized || exit 2
  else
    meson setup "$build" -Dbuildtype=debugoptimized || exit 2
  fi
fi
ninja -C "$build" || exit 2
sanitize=$(meson introspect --buildoptions "$build" |
  /usr/bin/python3 -c 'import json, sys
print([o["value"] for o in json.load(sys.stdin) if o["name"] == "sanitize"][0])')
if [ $tool = lsan ] && [ "$sanitize" != "address,undefined" ]; then
  echo "$build is not an AddressSanitizer build (sanitize=$sanitize)" >&2
  exit 2
fi
if [ $tool = valgrind ] && [ "$sanitize" != none ]; then
  echo "valgrind needs a build without sanitizers ($build: $sanitize)" >&2
  exit 2
fi

tmp=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then
  echo "logs in $tmp"
else
  trap 'rm -rf "$tmp"' EXIT
fi

export GST_PLUGIN_PATH=$build/plugin GST_PLUGIN_PATH_1_0=$build/plugin
export GST_REGISTRY=$tmp/registry.bin GST_REGISTRY_1_0=$tmp/registry.bin
export GST_REGISTRY_FORK=no
export GNET_SRCDIR=$src GNET_BUILDDIR=$build
# Every GLib allocation through malloc, freed memory cleared.
export G_SLICE=always-malloc G_DEBUG=gc-friendly
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-2}
unset GST_DEBUG

if [ $tool = lsan ]; then
  preload=$(for l in libasan.so libubsan.so; do
    cc -print-file-name=$l; done | paste -sd:)
  export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:allocator_may_return_null=1:fast_unwind_on_malloc=0
  export LSAN_OPTIONS=suppressions=$src/tests/lsan.supp:print_suppressions=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
fi

# The registry is built once, without leak checking: scanning every
# installed plugin is not what is being checked.
if [ $tool = lsan ]; then
  LD_PRELOAD=$preload ASAN_OPTIONS=detect_leaks=0 \
    gst-inspect-1.0 googlenetdetect > "$tmp/inspect.out" 2>&1
else
  gst-inspect-1.0 googlenetdetect > "$tmp/inspect.out" 2>&1
fi
if [ $? -ne 0 ]; then
  echo "googlenetdetect not found in $build/plugin:" >&2
  tail -n 5 "$tmp/inspect.out" >&2
  exit 2
fi

# run NAME COMMAND...: runs under the checker, its report in $tmp/NAME.log.
run() {
  local name=$1
  shift
  if [ $tool = lsan ]; then
    # Programs we build are instrumented; gst-launch-1.0 needs the runtime
    # preloaded.
    if [ "${1##*/}" = gst-launch-1.0 ]; then
      LD_PRELOAD=$preload ASAN_OPTIONS=$ASAN_OPTIONS:log_path=$tmp/$name.log \
        "$@" > "$tmp/$name.out" 2>&1
    else
      ASAN_OPTIONS=$ASAN_OPTIONS:log_path=$tmp/$name.log \
        "$@" > "$tmp/$name.out" 2>&1
    fi
  else
    valgrind --leak-check=full --show-leak-kinds=definite,indirect \
      --errors-for-leak-kinds=definite,indirect --num-callers=50 \
      --trace-children=no --child-silent-after-fork=yes \
      --suppressions=/usr/share/glib-2.0/valgrind/glib.supp \
      --suppressions="$src/tests/valgrind.supp" \
      --log-file="$tmp/$name.log.%p" "$@" > "$tmp/$name.out" 2>&1
  fi
}

# Figures and verdict for one run from its logs; "ours" are leaks with a
# frame in libgnet (core/) or the plugin (plugin/, libgstgooglenet).
ours_total=0
report() {
  local name=$1 rc=$2 logs
  logs=$(ls "$tmp/$name".log.* 2>/dev/null)
  /usr/bin/python3 - "$tool" "$name" "$rc" $logs <<'PY'
import re, sys
tool, name, rc, logs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
ours_re = re.compile(r"(/|\.\./)(core|plugin)/[\w/.-]+\.c|libgstgooglenet")
direct = indirect = possibly = suppressed = 0
ours = []
other = 0
for path in logs:
    text = open(path, errors="replace").read()
    if tool == "lsan":
        blocks = re.split(r"\n(?=(?:Direct|Indirect) leak of)", text)
        for b in blocks:
            m = re.match(r"(Direct|Indirect) leak of (\d+) byte", b)
            if not m:
                continue
            n = int(m.group(2))
            if m.group(1) == "Direct":
                direct += n
            else:
                indirect += n
            stack = b.split("\n\n")[0]
            if ours_re.search(stack):
                ours.append(stack)
            else:
                other += n
        for m in re.finditer(r"^\s*\d+\s+(\d+)\s+\S+$",
                             text.split("Suppressions used:")[-1]
                             if "Suppressions used:" in text else "", re.M):
            suppressed += int(m.group(1))
    else:
        def grab(kind):
            m = re.search(kind + r": ([\d,]+) bytes", text)
            return int(m.group(1).replace(",", "")) if m else 0
        direct += grab("definitely lost")
        indirect += grab("indirectly lost")
        possibly += grab("possibly lost")
        suppressed += grab("suppressed")
        for b in re.split(r"\n==\d+== \n", text):
            if re.search(r"are (definitely|indirectly) lost", b):
                if ours_re.search(b):
                    ours.append(b)
                else:
                    m = re.search(r"([\d,]+) bytes in", b)
                    other += int(m.group(1).replace(",", "")) if m else 0
line = (f"{name}: exit {rc}, definitely lost {direct} B, indirectly lost "
        f"{indirect} B" + (f", possibly lost {possibly} B"
                          if tool == "valgrind" else "") +
        f", suppressed {suppressed} B; from our code: {len(ours)} leak(s)")
if other:
    line += f"; outside our code: {other} B"
print(line)
for s in ours[:5]:
    print(s)
sys.exit(1 if ours else 0)
PY
}

failed=0
check() {
  local name=$1 rc
  shift
  run "$name" "$@"
  rc=$?
  if ! report "$name" $rc; then
    failed=1
  elif [ $rc -ne 0 ]; then
    echo "$name: failed (exit $rc), last lines:"
    tail -n 15 "$tmp/$name.out"
    failed=1
  fi
}

model=()
[ -n "${MODEL:-}" ] && model=(model="$MODEL")
pipeline() {
  local name=$1
  shift
  check "$name" "$(command -v gst-launch-1.0)" -q \
    videotestsrc num-buffers="$frames" pattern=ball \
    ! "video/x-raw,width=$width,height=$height,framerate=30/1" \
    ! videoconvert ! googlenetdetect "${model[@]}" "$@" message=true \
    results-file="$tmp/$name.jsonl" ! videoconvert ! fakesink
  echo "$name: $(wc -l < "$tmp/$name.jsonl" 2>/dev/null || echo 0) result lines for $frames frames"
}

echo "leak check with $tool, $build, $frames frames of ${width}x$height"
for r in ${RUNS:-plugin-tests dense crops async}; do
  case $r in
    plugin-tests)
      # All GstCheck tests in one process, so that what one test leaves
      # behind is seen too.
      CK_FORK=no CK_DEFAULT_TIMEOUT=3600 \
        check plugin-tests "$build/tests/plugin/test-googlenetdetect"
      ;;
    dense) pipeline dense mode=dense ;;
    crops) pipeline crops mode=crops ;;
    async) pipeline async async=true ;;
    *) echo "unknown run $r" >&2; exit 2 ;;
  esac
done

if [ $failed -ne 0 ]; then
  echo "FAIL: leaks from our code or failed runs (KEEP=1 keeps the logs)"
  exit 1
fi
echo "OK: no leak from our code"
