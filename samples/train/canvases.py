"""Scene canvases for dense training: what one pyramid level of a frame
looks like to the network, with a label and a box for every window.

The detector's default mode runs a whole pyramid level through the network
at once, so the cells of a window also see the pixels around it: other
items, the texture, and the zero padding only at the frame's edge.  Windows
cut out alone (windows.py) never show that, and a network trained only on
them loses much of its accuracy in dense mode.  Training on one window with
a little context was tried and failed: the network learnt to use the
padding just beyond that context as a landmark (samples/README.md).  Here
the network sees what dense mode sees: a canvas of LEVEL x LEVEL input
pixels (a piece of a frame, resampled as the pyramid does for a window of
W frame pixels), items scattered over it as in the sample scenes, and the
loss on every window position of the level's grid (OverFeat, YOLO).

Labels and boxes of the window positions: targets.py.
"""

import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "scenes"))
import render  # noqa: E402
from targets import BACKGROUND, IGNORE, window_targets  # noqa: E402,F401

LEVEL = 160          # canvas side in network input pixels
STRIDE = 16          # network stride: windows step one cell
TEXTURE_SIDE = 512


def positions(level=LEVEL, size=48, stride=STRIDE):
    """Window positions along one side of a canvas."""
    return (level - size) // stride + 1


def _texture_pool(rng, n=96):
    return [render.texture(rng, TEXTURE_SIDE, TEXTURE_SIDE) for _ in range(n)]


def _background(rng, pool, side):
    t = pool[rng.integers(len(pool))]
    c = min(side, TEXTURE_SIDE)
    y = rng.integers(0, TEXTURE_SIDE - c + 1)
    x = rng.integers(0, TEXTURE_SIDE - c + 1)
    img = np.ascontiguousarray(np.rot90(t[y:y + c, x:x + c], rng.integers(4)))
    if c < side:
        img = cv2.resize(img, (side, side), interpolation=cv2.INTER_LINEAR)
    return img.copy()


def _ratio(rng):
    """Item size over the window side: mostly what a window should take,
    also smaller (a smaller window's item) and larger ones."""
    r = rng.random()
    if r < 0.6:
        return rng.uniform(0.35, 1.0)
    if r < 0.85:
        return rng.uniform(0.15, 0.35)
    return rng.uniform(1.0, 2.2)


def _overlaps(a, boxes, gap):
    for b in boxes:
        if not (a[2] + gap <= b[0] or b[2] + gap <= a[0] or
                a[3] + gap <= b[1] or b[3] + gap <= a[1]):
            return True
    return False


def make_canvas(rng, pool, images, labels, level=LEVEL, size=48,
                stride=STRIDE):
    """One canvas: (uint8 level x level x 3 RGB, labels n x n int64,
    boxes n x n x 4 float32 in window units, NaN unless positive)."""
    win = float(np.exp(rng.uniform(np.log(64), np.log(240))))
    side = int(round(level * win / size))      # canvas side in frame pixels
    plain = rng.random() < 0.1
    if plain:
        canvas = np.full((side, side, 3), rng.uniform(0, 30), np.float32)
    else:
        canvas = _background(rng, pool, side)
    full, visible, cls = [], [], []
    for _ in range(int(rng.integers(0, 6))):
        for _try in range(20):
            i = int(rng.integers(len(images)))
            g, box = render.scale_item(images[i], _ratio(rng) * win)
            if rng.random() < 0.5:
                g = np.ascontiguousarray(g[:, ::-1])
                n = g.shape[1]
                box = (n - box[2], box[1], n - box[0], box[3])
            bw, bh = box[2] - box[0], box[3] - box[1]
            x = rng.uniform(-0.3 * bw, side - 0.7 * bw)
            y = rng.uniform(-0.3 * bh, side - 0.7 * bh)
            ox, oy = int(round(x - box[0])), int(round(y - box[1]))
            fb = (box[0] + ox, box[1] + oy, box[2] + ox, box[3] + oy)
            gap = rng.uniform(2, 10)
            if _overlaps(fb, full, gap):
                continue
            cx0, cy0 = max(ox, 0), max(oy, 0)
            sub = canvas[max(fb[1], 0):max(min(fb[3], side), 1),
                         max(fb[0], 0):max(min(fb[2], side), 1)]
            bg = sub.reshape(-1, 3).mean(0) if sub.size else None
            if plain:
                lo = np.zeros(3, np.float32)
                hi = np.full(3, rng.uniform(180, 255), np.float32)
            else:
                lo, hi = render.item_style(rng, bg)
            drawn = render.paste(canvas, g, ox, oy, lo, hi)
            vb = None if drawn is None else render.tight_box(drawn * 255.0)
            if vb is None:
                break
            full.append(fb)
            visible.append((cx0 + vb[0], cy0 + vb[1], cx0 + vb[2],
                            cy0 + vb[3]))
            cls.append(int(labels[i]))
            break
    if rng.random() < 0.25:
        canvas = cv2.GaussianBlur(canvas, (0, 0), rng.uniform(0.5, 1.5))
    interp = cv2.INTER_AREA if side > level else cv2.INTER_LINEAR
    out = np.clip(cv2.resize(canvas, (level, level), interpolation=interp),
                  0, 255).astype(np.uint8)
    if rng.random() < 0.25:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY,
                                             int(rng.integers(35, 90))])
        out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    y, b = window_targets(full, visible, cls, side / level, size, stride,
                          positions(level, size, stride))
    return out, y, b


def make_canvases(images, labels, n, seed, level=LEVEL, size=48):
    rng = np.random.default_rng(seed)
    pool = _texture_pool(rng)
    k = positions(level, size)
    x = np.empty((n, level, level, 3), np.uint8)
    y = np.empty((n, k, k), np.int64)
    b = np.empty((n, k, k, 4), np.float32)
    for i in range(n):
        x[i], y[i], b[i] = make_canvas(rng, pool, images, labels, level, size)
    return x, y, b
