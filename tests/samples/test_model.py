#!/usr/bin/python3
"""The shipped default model: its metadata, and the C engine (the `gnet run`
tool) against the probabilities PyTorch computed at export
(samples/models/reference-*.npy): probabilities and the box head's
boxes.  Needs python3 and numpy only; the ONNX
file is read through the tool, so no onnx module is needed either.
"""

import os
import subprocess
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("GNET_SRCDIR", os.path.join(HERE, "..", ".."))
MODELS = os.path.join(SRC, "samples", "models")
MODEL = os.path.join(MODELS, "default.onnx")
TOOL = os.environ.get("GNET_TOOL", "")
# float32 with summation orders that differ (OpenBLAS vs PyTorch)
TOLERANCE = 1e-4


@unittest.skipUnless(os.path.exists(TOOL), "GNET_TOOL not set or missing")
class TestDefaultModel(unittest.TestCase):
    def test_metadata(self):
        p = subprocess.run([TOOL, "info", MODEL], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        for line in ("color_order: RGB", "input_range: 0,1",
                     "background_class: 10", "input_size: 48,48",
                     "windows: 80,128,208"):
            self.assertIn(line, p.stdout)
        self.assertIn("prob", p.stdout)
        self.assertIn("box", p.stdout)

    def test_engine_matches_pytorch(self):
        inp = os.path.join(MODELS, "reference-input.npy")
        want = np.load(os.path.join(MODELS, "reference-prob.npy"))
        self.assertEqual(want.shape, (8, 11))
        with tempfile.TemporaryDirectory() as out:
            p = subprocess.run([TOOL, "run", "-t", "1", "-o", out, MODEL,
                                inp], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            got = np.load(os.path.join(out, "prob.npy"))
            got_box = np.load(os.path.join(out, "box.npy"))
        want_box = np.load(os.path.join(MODELS, "reference-box.npy"))
        self.assertEqual(got_box.shape, (8, 4))
        np.testing.assert_allclose(got_box, want_box, rtol=0, atol=TOLERANCE)
        self.assertEqual(got.shape, want.shape)
        np.testing.assert_allclose(got, want, rtol=0, atol=TOLERANCE)
        np.testing.assert_allclose(got.sum(1), 1.0, atol=1e-5)
        # the references are one item of each of the first 8 classes
        self.assertEqual(got[:, :10].argmax(1).tolist(),
                         want[:, :10].argmax(1).tolist())


if __name__ == "__main__":
    unittest.main(verbosity=2)
