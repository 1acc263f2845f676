"""Build and load the training's C kernels (fastpool.c, fastbn.c) with the
system's C compiler (cc or $CC) and ctypes.  No PyTorch here: fastops.py
wraps the kernels for PyTorch, and tests/samples/test_fastops.py checks
them against numpy on machines without PyTorch."""

import ctypes
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = ("fastpool.c", "fastbn.c")
HEADERS = ("bf16.h",)


def load(work_dir, flags=("-O3", "-march=native")):
    """Compile the kernels into work_dir/fastops.so unless it is newer than
    the sources, load it and declare the functions' arguments.  Raises
    OSError or subprocess.CalledProcessError if the compiler fails."""
    srcs = [os.path.join(HERE, s) for s in SOURCES]
    deps = srcs + [os.path.join(HERE, h) for h in HEADERS]
    so = os.path.join(work_dir, "fastops.so")
    if (not os.path.exists(so) or os.path.getmtime(so)
            < max(os.path.getmtime(s) for s in deps)):
        os.makedirs(work_dir, exist_ok=True)
        tmp = "%s.%d" % (so, os.getpid())
        cmd = (os.environ.get("CC", "cc").split() + list(flags)
               + ["-shared", "-fPIC", "-o", tmp] + srcs)
        subprocess.run(cmd, check=True)
        os.replace(tmp, so)
    lib = ctypes.CDLL(so)
    i, l, d, p = ctypes.c_int, ctypes.c_long, ctypes.c_double, ctypes.c_void_p
    # the pool's functions return 0, or -1 when out of memory
    lib.fastpool_forward.argtypes = [p, p, p] + [i] * 8
    lib.fastpool_backward.argtypes = [p, p, p, p] + [i] * 8
    lib.fastbn_forward.argtypes = [p, p, l, i, p, p, p, p, p, i, d, p, p]
    lib.fastbn_backward.argtypes = [p, p, p, p, l, i, p, p, p, i, p, p,
                                    p, p]
    lib.fastbn_forward.restype = None
    lib.fastbn_backward.restype = None
    return lib
