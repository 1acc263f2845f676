#!/usr/bin/python3
"""Tests of samples/eval/scene_items.py's reading of the video: which class
the detector names on each ground-truth item, on hand-made cases.

Needs python3 and numpy only.  Run directly or through `meson test`.
"""

import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("GNET_SRCDIR", os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "samples", "eval"))
import scene_items  # noqa: E402

NS = 1000000000


def obj(box, label, conf=1.0, obj_id=None, difficult=False):
    x0, y0, x1, y1 = box
    o = {"x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0, "roi_type": label,
         "detection": {"confidence": conf, "label": label}}
    if obj_id is not None:
        o["id"] = obj_id
    if difficult:
        o["difficult"] = True
    return o


def write(path, frames):
    with open(path, "w") as f:
        for t, objects in frames:
            f.write(json.dumps({"timestamp": t, "objects": objects}) + "\n")


class NamedInVideo(unittest.TestCase):
    def test_cases(self):
        a, b, c = (10, 10, 60, 90), (200, 200, 260, 250), (400, 0, 440, 30)
        gt = [(i * NS // 30, [obj(a, "Coat", obj_id=0),
                              obj(b, "Bag", obj_id=1),
                              obj(c, "Dress", obj_id=2, difficult=True)])
              for i in range(3)]
        det = [
            # the most confident box on an item names it; one at IoU < 0.5
            # (a quarter of the item) does not count
            (0, [obj(a, "Pullover", 0.9), obj(a, "Coat", 0.6),
                 obj((10, 10, 35, 50), "Coat", 0.99),
                 obj(b, "Bag", 0.7), obj(c, "Dress", 0.9)]),
            # a nanosecond off the ground truth's timestamp: same frame
            (NS // 30 + 1, [obj(a, "Coat", 0.8),
                            obj((205, 205, 262, 252), "Bag", 0.5)]),
            (2 * NS // 30, [obj(b, "Trouser", 0.4)]),
        ]
        with tempfile.TemporaryDirectory() as d:
            g, p = os.path.join(d, "gt.jsonl"), os.path.join(d, "det.jsonl")
            write(g, gt)
            write(p, det)
            named = scene_items.named_in_video(g, p)
        self.assertEqual(dict(named[0]),
                         {"Pullover": 1, "Coat": 1, "(missed)": 1})
        self.assertEqual(dict(named[1]), {"Bag": 2, "Trouser": 1})
        self.assertNotIn(2, named)   # difficult: not counted


if __name__ == "__main__":
    unittest.main()
