"""Shared drawing code for the training windows and the sample scenes.

Both sides must draw items and backgrounds the same way, otherwise the model
learns one look and is tested on another.  Everything takes a numpy
Generator so results are reproducible from a seed.
"""

import gzip
import os

import cv2
import numpy as np

DATA_DIR = "/usr/share/datasets/fashion-mnist"
LABELS = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
# Item pixels at or above this grey level (of 255) count as visible: the
# ground-truth box is the tight box around them, the way a person would draw
# it around what they see.
VISIBLE_LEVEL = 16


def load_split(split):
    """Fashion-MNIST idx files: split is "train" or "t10k"."""
    with gzip.open(os.path.join(DATA_DIR, split + "-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(os.path.join(DATA_DIR, split + "-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return images, labels.astype(np.int64)


def tight_box(gray, level=VISIBLE_LEVEL):
    """(x0, y0, x1, y1), exclusive, of pixels >= level; None if empty."""
    ys, xs = np.nonzero(gray >= level)
    if len(xs) == 0:
        return None
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


def random_color(rng, lo=0, hi=255):
    return rng.uniform(lo, hi, 3)


def texture(rng, h, w, kinds=None):
    """A random background: smooth colour noise, stripes, checks, a gradient,
    plain, fine noise, or a blend of two, with grain.  `kinds` limits the
    choice (indices as below).  Float32 RGB in 0..255."""
    kind = rng.integers(0, 6) if kinds is None else rng.choice(kinds)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == 0:  # smooth colour blobs
        cell = rng.uniform(12, 80)
        gh, gw = int(h / cell) + 2, int(w / cell) + 2
        small = rng.uniform(0, 255, (gh, gw, 3)).astype(np.float32)
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    elif kind == 1:  # stripes at any angle
        a = rng.uniform(0, np.pi)
        period = rng.uniform(6, 60)
        t = (np.cos(a) * xx + np.sin(a) * yy) * (2 * np.pi / period)
        m = (0.5 + 0.5 * np.sin(t))[..., None]
        if rng.random() < 0.5:
            m = (m > 0.5).astype(np.float32)
        img = m * random_color(rng) + (1 - m) * random_color(rng)
    elif kind == 2:  # checks
        c = rng.uniform(8, 48)
        m = (((xx // c) + (yy // c)) % 2)[..., None]
        img = m * random_color(rng) + (1 - m) * random_color(rng)
    elif kind == 3:  # gradient
        a = rng.uniform(0, 2 * np.pi)
        t = np.cos(a) * xx / max(w, 1) + np.sin(a) * yy / max(h, 1)
        t = ((t - t.min()) / (np.ptp(t) + 1e-6))[..., None]
        img = t * random_color(rng) + (1 - t) * random_color(rng)
    elif kind == 4:  # plain, dark or light
        img = np.broadcast_to(random_color(rng), (h, w, 3)).copy()
    else:  # fine noise texture (fabric, gravel)
        s = rng.uniform(1.5, 4)
        gh, gw = int(h / s) + 2, int(w / s) + 2
        small = rng.normal(0, 1, (gh, gw, 1)).astype(np.float32)
        m = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)[..., None]
        img = random_color(rng, 40, 215) + m * rng.uniform(10, 50)
    img = img.astype(np.float32)
    if kind != 4 and rng.random() < 0.3:
        other = texture(rng, h, w)
        t = rng.uniform(0.3, 0.7)
        img = t * img + (1 - t) * other
    img += rng.normal(0, rng.uniform(0, 8), (h, w, 1)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.float32)


def item_style(rng, bg_mean=None):
    """Tint and contrast of an item: colour = lo + (hi - lo) * gray/255 per
    channel.  Chooses an item that stands out from bg_mean (the mean colour
    behind it) so that it is visible, as real objects usually are."""
    for _ in range(20):
        hi = random_color(rng, 60, 255)
        lo = hi * rng.uniform(0.0, 0.45)
        if bg_mean is None:
            break
        mid = 0.3 * lo + 0.7 * hi
        if np.abs(mid - bg_mean).mean() > 45:
            break
    return lo.astype(np.float32), hi.astype(np.float32)


def scale_item(gray, box_side):
    """Resize a 28x28 item so its tight box's longer side is box_side
    pixels.  Returns (gray float32 0..1, tight box in the resized image)."""
    x0, y0, x1, y1 = tight_box(gray)
    s = box_side / max(x1 - x0, y1 - y0)
    n = max(2, int(round(28 * s)))
    g = cv2.resize(gray.astype(np.float32) / 255.0, (n, n),
                   interpolation=cv2.INTER_LINEAR if s > 1 else cv2.INTER_AREA)
    g = np.clip(g, 0, 1)
    return g, tight_box(g * 255.0)


def paste(canvas, g, ox, oy, lo, hi):
    """Composite item g (0..1 grey, top-left at ox, oy, may be partly off
    canvas) onto canvas in place.  Alpha rises over the faint edge pixels so
    outlines are soft like a real photograph.  Returns the visible alpha
    mask (same size as the canvas window it covered) and its offset."""
    H, W = canvas.shape[:2]
    n_h, n_w = g.shape
    cx0, cy0 = max(ox, 0), max(oy, 0)
    cx1, cy1 = min(ox + n_w, W), min(oy + n_h, H)
    if cx1 <= cx0 or cy1 <= cy0:
        return None
    sub = g[cy0 - oy:cy1 - oy, cx0 - ox:cx1 - ox]
    a = np.clip(sub * (255.0 / 32.0), 0, 1)[..., None]
    col = lo + (hi - lo) * sub[..., None]
    region = canvas[cy0:cy1, cx0:cx1]
    region[:] = a * col + (1 - a) * region
    return sub
