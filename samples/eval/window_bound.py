#!/usr/bin/python3
"""How well can plain windows (refine=none) fit the ground truth at all?

  window_bound.py GT.jsonl [--windows 80,128,208] [--step 0.3333] [--iou 0.5]

For every non-difficult ground-truth box, the best IoU of any square window
on the detector's grid (window sizes in frame pixels, step a fraction of the
window, windows inside the frame).  The share of boxes whose best IoU
reaches --iou bounds the recall, hence the AP, of refine=none from above:
a square cannot match a tall thin pair of trousers however it is placed.
"""

import argparse
import json
import sys

import numpy as np


def window_grid(windows, step, width, height):
    boxes = []
    for w in windows:
        s = max(1e-6, step * w)
        xs = np.arange(0, width - w + 1e-6, s)
        ys = np.arange(0, height - w + 1e-6, s)
        gx, gy = np.meshgrid(xs, ys)
        g = np.stack([gx.ravel(), gy.ravel()], 1)
        boxes.append(np.concatenate([g, g + w], 1))
    return np.concatenate(boxes)


def best_iou(box, grid):
    iw = np.clip(np.minimum(grid[:, 2], box[2]) -
                 np.maximum(grid[:, 0], box[0]), 0, None)
    ih = np.clip(np.minimum(grid[:, 3], box[3]) -
                 np.maximum(grid[:, 1], box[1]), 0, None)
    inter = iw * ih
    union = ((grid[:, 2] - grid[:, 0]) * (grid[:, 3] - grid[:, 1]) +
             (box[2] - box[0]) * (box[3] - box[1]) - inter)
    return float((inter / union).max())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("gt")
    p.add_argument("--windows", default="80,128,208")
    p.add_argument("--step", type=float, default=1.0 / 3.0,
                   help="window step as a fraction of the window "
                        "(the default model's dense step is 16/48)")
    p.add_argument("--iou", type=float, default=0.5)
    args = p.parse_args()
    windows = [int(w) for w in args.windows.split(",")]
    per = {}
    grid = None
    with open(args.gt) as f:
        for line in f:
            d = json.loads(line)
            if grid is None:
                r = d["resolution"]
                grid = window_grid(windows, args.step, r["width"],
                                   r["height"])
            for o in d["objects"]:
                if o.get("difficult"):
                    continue
                box = (o["x"], o["y"], o["x"] + o["w"], o["y"] + o["h"])
                per.setdefault(o["roi_type"], []).append(
                    best_iou(box, grid))
    if not per:
        sys.exit("window_bound.py: no ground-truth boxes")
    allv = np.concatenate([np.array(v) for v in per.values()])
    print("windows %s, step %.3g: share of boxes a window can match at "
          "IoU %.2g" % (args.windows, args.step, args.iou))
    for c in sorted(per):
        v = np.array(per[c])
        print("%-14s %5d boxes  %.3f  (median best IoU %.2f)" %
              (c, len(v), (v >= args.iou).mean(), np.median(v)))
    print("%-14s %5d boxes  %.3f" % ("all", len(allv),
                                     (allv >= args.iou).mean()))


if __name__ == "__main__":
    main()
