#!/usr/bin/python3
"""Labels of dense-mode training canvases (samples/train/targets.py) on
hand-made layouts whose answers are worked out by hand.  Needs numpy only.

Unless a test says otherwise: scale 1 (frame pixel = level pixel), 48-pixel
windows stepping 16 pixels, 4 x 4 positions (a 96-pixel level); position
(r, c) is the window x 16c..16c+48, y 16r..16r+48.
"""

import os
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("GNET_SRCDIR", os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "samples", "train"))
import targets  # noqa: E402

BG, IGN = targets.BACKGROUND, targets.IGNORE


def run(full, cls, visible=None, scale=1.0):
    return targets.window_targets(full, visible or full, cls, scale, 48, 16,
                                  4)


class TestWindowTargets(unittest.TestCase):
    def test_empty_is_background(self):
        y, b = run([], [])
        self.assertTrue((y == BG).all())
        self.assertTrue(np.isnan(b).all())

    def test_one_item(self):
        # 30 x 30 box: ratio 0.625, a positive size
        y, b = run([(8, 8, 38, 38)], [3])
        self.assertEqual(y[0, 0], 3)
        np.testing.assert_allclose(b[0, 0], np.array([8, 8, 38, 38]) / 48.0,
                                   rtol=1e-6)
        # x 16..64: 22 of 30 columns inside, frac 0.733: neither
        self.assertEqual(y[0, 1], IGN)
        # 22 x 22 of 30 x 30 = 0.538: neither
        self.assertEqual(y[1, 1], IGN)
        # x 32..80: 6 of 30 columns, frac 0.2: background
        self.assertEqual(y[0, 2], BG)
        self.assertEqual(y[3, 3], BG)
        self.assertEqual(int((y == 3).sum()), 1)
        self.assertTrue(np.isnan(b[y != 3]).all())

    def test_fraction_of_the_full_box(self):
        # 40 x 40 box with its left 10 columns off the canvas: the window
        # at (0, 0) holds all that is visible but 0.75 of the item
        y, b = run([(-10, 0, 30, 40)], [1], visible=[(0, 0, 30, 40)])
        self.assertEqual(y[0, 0], IGN)
        # the same item fully inside is a positive, its box the visible one
        y, b = run([(20, 4, 56, 44)], [1])
        self.assertEqual(y[0, 1], 1)
        np.testing.assert_allclose(b[0, 1], [4 / 48, 4 / 48, 40 / 48,
                                             44 / 48], rtol=1e-6)
        # window x 0..48: 28 of 36 columns = 0.7778, just under 0.78
        self.assertEqual(y[0, 0], IGN)

    def test_too_small_and_too_big(self):
        # ratio 10/48 = 0.21 < 0.27: background everywhere
        y, _ = run([(20, 20, 30, 30)], [0])
        self.assertTrue((y == BG).all())
        # ratio 0.30 (between 0.27 and 0.38), fully inside: ignored
        y, _ = run([(20, 20, 34.4, 30)], [0])
        self.assertEqual(y[0, 0], IGN)
        # 80 x 80 (ratio 1.67 > 1.5) covering the level: background
        y, _ = run([(0, 0, 80, 80)], [4])
        self.assertTrue((y == BG).all())
        # ratio 1.0 (between 0.95 and 1.5) with half inside: ignored
        y, _ = run([(0, 0, 48, 24)], [4])
        self.assertEqual(y[0, 0], IGN)

    def test_two_items_in_one_window(self):
        # two positives in window (0, 0) side by side: ignored there; the
        # second alone is the positive of window (0, 1)
        y, _ = run([(2, 4, 22, 44), (24, 4, 44, 44)], [5, 7])
        self.assertEqual(y[0, 0], IGN)
        self.assertEqual(y[0, 1], 7)

    def test_a_neighbour_peeking_in(self):
        # the item of window (0, 0) and a neighbour with 10% of its box
        # inside: still the first item's class
        y, _ = run([(4, 4, 34, 44), (44, 4, 84, 44)], [2, 9])
        self.assertEqual(y[0, 0], 2)

    def test_scale(self):
        # frame pixels at twice the level's: the window is 96 frame pixels
        # and steps 32; a 60-pixel item (ratio 0.625) at 40..100 is wholly
        # in window (1, 1) (32..128) and 56/60 per side in (0, 0), (0, 1)
        # and (1, 0) (frac 0.871 or 0.933); window (1, 2) (64..160) has
        # 36/60 of it: ignored
        y, b = run([(40, 40, 100, 100)], [8], scale=2.0)
        self.assertEqual(y[:2, :2].tolist(), [[8, 8], [8, 8]])
        self.assertEqual(int((y == 8).sum()), 4)
        self.assertEqual(y[1, 2], IGN)
        np.testing.assert_allclose(b[1, 1], np.array([8, 8, 68, 68]) / 96.0,
                                   rtol=1e-6)
        np.testing.assert_allclose(b[0, 0],
                                   np.array([40, 40, 100, 100]) / 96.0,
                                   rtol=1e-6)

if __name__ == "__main__":
    unittest.main()
