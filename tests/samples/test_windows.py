#!/usr/bin/python3
"""Training windows (samples/train/windows.py) on hand-made items: the
accuracy test's rendering (single_window) and the share of windows
train.py --single draws that way.  Needs numpy and OpenCV (python3-opencv).
"""

import os
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("GNET_SRCDIR", os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "samples", "train"))
import windows  # noqa: E402


def items():
    """Ten distinct 28x28 items, one per class: bars of different widths
    and heights."""
    out = np.zeros((10, 28, 28), np.uint8)
    for k in range(10):
        out[k, 2 + k:26, 4:8 + 2 * k] = 120 + 12 * k
    return out, np.arange(10, dtype=np.int64)


class TestSingleWindow(unittest.TestCase):
    def test_full_item_fills_the_centre(self):
        # 36 px in 48, 6 px of black all round, box (6, 6, 42, 42)
        w, box = windows.single_window(np.full((28, 28), 200, np.uint8))
        self.assertEqual(w.shape, (48, 48, 3))
        self.assertTrue((w[6:42, 6:42] == 200).all())
        self.assertEqual(int(w.sum()), 200 * 36 * 36 * 3)
        np.testing.assert_allclose(box, np.array([6, 6, 42, 42]) / 48.0)

    def test_box_of_right_half(self):
        im = np.zeros((28, 28), np.uint8)
        im[:, 14:] = 255
        w, box = windows.single_window(im)
        self.assertTrue((w[..., 0] == w[..., 1]).all())
        # Linear resize 28 -> 36: output column 17 samples input column
        # (17.5 * 28 / 36 - 0.5) = 13.11, 0.11 * 255 = 28 >= 16 (visible);
        # column 16 samples 12.33, all black.  So x0 = 6 + 17.
        self.assertAlmostEqual(box[0] * 48, 23, places=4)
        np.testing.assert_allclose(box[1:], np.array([6, 42, 42]) / 48.0)

    def test_batch_matches_single(self):
        ims, _ = items()
        x = windows.single_windows(ims)
        b = windows.single_window_boxes(ims)
        for k in range(len(ims)):
            w, box = windows.single_window(ims[k])
            self.assertTrue(np.array_equal(x[k], w))
            np.testing.assert_array_equal(b[k], box)


class TestSingleShare(unittest.TestCase):
    N = 600

    def draw(self, single):
        ims, labels = items()
        return ims, windows.make_windows(ims, labels, self.N, 7,
                                         single=single)

    def test_share_and_background(self):
        ims, (x, y, b) = self.draw(0.4)
        single = sum(np.array_equal(x[k], windows.single_window(ims[y[k]])[0])
                     for k in range(self.N) if y[k] != windows.BACKGROUND)
        # binomial, 600 draws: 0.4 +- 0.06 and 0.32 +- 0.06 are 3 sd
        self.assertAlmostEqual(single / self.N, 0.4, delta=0.06)
        bg = (y == windows.BACKGROUND).mean()
        self.assertAlmostEqual(bg, 1 - windows.ITEMS, delta=0.06)
        # positives carry a box inside the window, background none
        pos = y != windows.BACKGROUND
        self.assertTrue(np.isfinite(b[pos]).all())
        self.assertTrue(np.isnan(b[~pos]).all())

    def test_none_without_share(self):
        ims, (x, y, _) = self.draw(0.0)
        for k in range(self.N):
            if y[k] != windows.BACKGROUND:
                self.assertFalse(np.array_equal(
                    x[k], windows.single_window(ims[y[k]])[0]))


if __name__ == "__main__":
    unittest.main()
