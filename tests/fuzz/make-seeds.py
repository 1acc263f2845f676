#!/usr/bin/python3
"""Seed corpora for the fuzz harnesses, from the repository and Debian's
libonnx-testdata (apt-get install libonnx-testdata):

    /usr/bin/python3 tests/fuzz/make-seeds.py SRCDIR OUTDIR

writes OUTDIR/model, OUTDIR/npy and OUTDIR/pb.  Not committed: the
committed regression corpus is what fuzzing found, minimized.
"""
import glob
import os
import shutil
import sys

import numpy as np
from numpy.lib import format as npf
from onnx import TensorProto, helper, numpy_helper

src, out = sys.argv[1], sys.argv[2]
testdata = "/usr/share/libonnx-testdata/data"


def copy(files, sub, prefix=""):
    d = os.path.join(out, sub)
    os.makedirs(d, exist_ok=True)
    for f in files:
        rel = os.path.relpath(f, src if f.startswith(src) else testdata)
        shutil.copy(f, os.path.join(d, prefix + rel.replace("/", "_")))


copy(glob.glob(src + "/samples/**/*.onnx", recursive=True)
     + glob.glob(src + "/tests/fixtures/**/*.onnx", recursive=True), "model")
copy(glob.glob(testdata + "/**/model.onnx", recursive=True), "model", "td_")

copy(glob.glob(src + "/samples/**/*.npy", recursive=True)
     + glob.glob(src + "/tests/fixtures/**/*.npy", recursive=True), "npy")
# Every dtype, rank and header version numpy writes, and some it cannot
# be read back by gnet (fortran order, float64, big-endian).
arrays = {
    "f4_scalar": np.float32(1.5), "f4_empty": np.zeros((0, 3), np.float32),
    "f4_1d": np.arange(5, dtype=np.float32),
    "i8_2d": np.arange(6, dtype=np.int64).reshape(2, 3),
    "b1_3d": np.array([[[True, False]]]),
    "f4_fortran": np.asfortranarray(np.ones((2, 3), np.float32)),
    "f8_1d": np.ones(3, np.float64), "be_f4": np.ones(2, ">f4"),
}
for name, a in arrays.items():
    for version in ((1, 0), (2, 0), (3, 0)):
        with open("%s/npy/%s_v%d.npy" % (out, name, version[0]), "wb") as f:
            npf.write_array(f, np.asanyarray(a), version=version)

copy([f for f in glob.glob(testdata + "/**/*.pb", recursive=True)
      if os.path.getsize(f) < 64 << 10], "pb", "td_")
tensors = {
    "raw_f4": numpy_helper.from_array(
        np.arange(6, dtype=np.float32).reshape(2, 3)),
    "float_data": helper.make_tensor("x", TensorProto.FLOAT, [2, 2],
                                     [1.0, 2.0, 3.0, 4.0]),
    "int64_data": helper.make_tensor("i", TensorProto.INT64, [3],
                                     [1, -2, 3]),
    "bool_data": helper.make_tensor("b", TensorProto.BOOL, [2], [1, 0]),
}
for name, t in tensors.items():
    with open("%s/pb/%s.pb" % (out, name), "wb") as f:
        f.write(t.SerializeToString())
for sub in ("model", "npy", "pb"):
    print(sub, len(os.listdir(os.path.join(out, sub))), "seeds")
