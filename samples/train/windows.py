"""Training windows: Fashion-MNIST items composited onto textures, as the
detector will see them through a sliding window.

A window of W frame pixels (W varies, 88..192) is drawn at frame scale and
resized to the network input, as the detector's pyramid does.  Classes 0-9
are items whose tight box's longer side is 40-90% of the window (up to 12%
of the box cut at the border allowed); class 10, background, is texture
alone, an item cut badly (less than 40% of its box inside), an item too
small (under 25%), or a window inside an item too large to fit.  Items
close together are imitated by a second item peeking in from a side.

Each positive window also carries its box target: the item's tight box
(x0, y0, x1, y1) in units of the window side, which the box head learns to
regress (OverFeat); the detector's windows step by a third of their side,
so the box, not the window, has to say where the item is.
"""

import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "scenes"))
import render  # noqa: E402

BACKGROUND = 10
POSITIVE_RANGE = (0.4, 0.9)
POSITIVE_CUT = 0.12
PLAIN = 0.2
ITEMS = 0.68  # share of the windows showing an item; the rest: background


def _texture_pool(rng, n=192, side=400):
    return [render.texture(rng, side, side) for _ in range(n)]


def _crop(rng, pool, w):
    t = pool[rng.integers(len(pool))]
    y = rng.integers(0, t.shape[0] - w + 1)
    x = rng.integers(0, t.shape[1] - w + 1)
    c = t[y:y + w, x:x + w]
    c = np.rot90(c, rng.integers(4))
    return np.ascontiguousarray(c)


def _place_inside(rng, w, box, g_shape, cut=0.08):
    """Top-left of the item image so its tight box lies inside the window,
    up to `cut` of the box's side over an edge."""
    bx0, by0, bx1, by1 = box
    bw, bh = bx1 - bx0, by1 - by0
    lx, hx = -cut * bw, w - bw + cut * bw
    ly, hy = -cut * bh, w - bh + cut * bh
    x = rng.uniform(lx, max(lx, hx))
    y = rng.uniform(ly, max(ly, hy))
    return int(round(x - bx0)), int(round(y - by0))


def _visible_fraction(w, box, ox, oy):
    bx0, by0, bx1, by1 = box
    x0, y0 = max(bx0 + ox, 0), max(by0 + oy, 0)
    x1, y1 = min(bx1 + ox, w), min(by1 + oy, w)
    if x1 <= x0 or y1 <= y0:
        return 0.0
    return (x1 - x0) * (y1 - y0) / float((bx1 - bx0) * (by1 - by0))


def _place_cut(rng, w, box, lo, hi):
    """Top-left so that between lo and hi of the item's box is inside."""
    bx0, by0, bx1, by1 = box
    bw, bh = bx1 - bx0, by1 - by0
    for _ in range(40):
        x = rng.uniform(-bw, w)
        y = rng.uniform(-bh, w)
        ox, oy = int(round(x - bx0)), int(round(y - by0))
        f = _visible_fraction(w, box, ox, oy)
        if lo <= f <= hi:
            return ox, oy
    return None


def _item(rng, images, side):
    i = rng.integers(len(images))
    g, box = render.scale_item(images[i], side)
    return i, g, box


def _paste_styled(rng, canvas, g, ox, oy, box, plain=False):
    bx0, by0, bx1, by1 = box
    w = canvas.shape[0]
    x0, y0 = min(max(bx0 + ox, 0), w - 1), min(max(by0 + oy, 0), w - 1)
    x1, y1 = max(min(bx1 + ox, w), x0 + 1), max(min(by1 + oy, w), y0 + 1)
    bg_mean = canvas[y0:y1, x0:x1].reshape(-1, 3).mean(0)
    if plain:
        lo, hi = np.zeros(3, np.float32), np.full(3, rng.uniform(180, 255),
                                                  np.float32)
    else:
        lo, hi = render.item_style(rng, bg_mean)
    render.paste(canvas, g, ox, oy, lo, hi)


def _distractor(rng, canvas, images):
    w = canvas.shape[0]
    _, g, box = _item(rng, images, rng.uniform(0.3, 1.0) * w)
    pos = _place_cut(rng, w, box, 0.05, 0.3)
    if pos is not None:
        _paste_styled(rng, canvas, g, pos[0], pos[1], box)


def make_window(rng, pool, images, labels, size, single=0.0):
    """One window: (uint8 HxWx3 RGB, class, box).  The box is the item's
    tight box in units of the window for a positive, NaN for background.
    A share `single` of the windows (taken from the items' share, so
    that background keeps its share) are items drawn as the accuracy test
    draws them (single_window(): grey on black, no texture, tint, blur or
    compression); the training batches' flips, shifts and photometric
    changes still apply to them."""
    w = int(rng.integers(88, 193))
    r = rng.random()
    target = np.full(4, np.nan, np.float32)
    if r < ITEMS and single and rng.random() < single / ITEMS:
        i = rng.integers(len(images))
        out, box = single_window(images[i], size)
        return out, int(labels[i]), box
    if r < ITEMS:  # an item
        plain = rng.random() < PLAIN
        if plain:
            canvas = np.full((w, w, 3), rng.uniform(0, 30), np.float32)
        else:
            canvas = _crop(rng, pool, w)
            if rng.random() < 0.3:
                _distractor(rng, canvas, images)
        i, g, box = _item(rng, images, rng.uniform(*POSITIVE_RANGE) * w)
        if rng.random() < 0.5:
            g = g[:, ::-1]
            box = (g.shape[1] - box[2], box[1], g.shape[1] - box[0], box[3])
        ox, oy = _place_inside(rng, w, box, g.shape, POSITIVE_CUT)
        _paste_styled(rng, canvas, g, ox, oy, box, plain)
        label = int(labels[i])
        target[:] = (box[0] + ox, box[1] + oy, box[2] + ox, box[3] + oy)
        target /= w
    else:
        canvas = _crop(rng, pool, w)
        label = BACKGROUND
        kind = rng.random()
        if kind < 0.35:
            if rng.random() < 0.4:
                _distractor(rng, canvas, images)
        elif kind < 0.68:  # badly cut item
            _, g, box = _item(rng, images, rng.uniform(0.4, 1.3) * w)
            pos = _place_cut(rng, w, box, 0.04, 0.4)
            if pos is not None:
                _paste_styled(rng, canvas, g, pos[0], pos[1], box)
        elif kind < 0.84:  # too small: a larger window will take it
            _, g, box = _item(rng, images, rng.uniform(0.12, 0.25) * w)
            ox, oy = _place_inside(rng, w, box, g.shape, 0.0)
            _paste_styled(rng, canvas, g, ox, oy, box)
        else:  # inside an item far too big for the window
            _, g, box = _item(rng, images, rng.uniform(1.6, 2.6) * w)
            bx0, by0, bx1, by1 = box
            # a thin item (trousers) may still be narrower than the window
            ox = int(rng.uniform(*sorted((-(bx1 - w), -bx0))))
            oy = int(rng.uniform(*sorted((-(by1 - w), -by0))))
            _paste_styled(rng, canvas, g, ox, oy, box)
    if rng.random() < 0.25:
        canvas = cv2.GaussianBlur(canvas, (0, 0), rng.uniform(0.5, 1.5))
    interp = cv2.INTER_AREA if rng.random() < 0.5 else cv2.INTER_LINEAR
    out = np.clip(cv2.resize(canvas, (size, size), interpolation=interp),
                  0, 255).astype(np.uint8)
    if rng.random() < 0.25:  # compression artefacts, as in the H.264 video
        ok, buf = cv2.imencode(".jpg", out,
                               [cv2.IMWRITE_JPEG_QUALITY,
                                int(rng.integers(35, 90))])
        out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return out, label, target


def make_windows(images, labels, n, seed, size=48, single=0.0):
    rng = np.random.default_rng(seed)
    pool = _texture_pool(rng)
    x = np.empty((n, size, size, 3), np.uint8)
    y = np.empty(n, np.int64)
    b = np.empty((n, 4), np.float32)
    for k in range(n):
        x[k], y[k], b[k] = make_window(rng, pool, images, labels, size,
                                       single)
    return x, y, b


def single_window(image, size=48):
    """One 28x28 item as the accuracy test shows it: grey on black, scaled
    by size*0.75/28 and centred, so the item fills the window about as the
    training positives do.  Returns (uint8 HxWx3 window, the item's tight
    box in window units)."""
    side = int(round(size * 0.75))
    pad0 = (size - side) // 2
    g = cv2.resize(image, (side, side), interpolation=cv2.INTER_LINEAR)
    out = np.zeros((size, size, 3), np.uint8)
    out[pad0:pad0 + side, pad0:pad0 + side] = g[..., None]
    x0, y0, x1, y1 = render.tight_box(g)
    box = np.array((pad0 + x0, pad0 + y0, pad0 + x1, pad0 + y1), np.float32)
    return out, box / size


def single_window_boxes(images, size=48):
    """Tight boxes (window units) of the items in single_windows."""
    return np.stack([single_window(im, size)[1] for im in images])


def single_windows(images, size=48):
    """The accuracy test: each item as single_window() draws it."""
    out = np.empty((len(images), size, size, 3), np.uint8)
    for k, im in enumerate(images):
        out[k] = single_window(im, size)[0]
    return out
