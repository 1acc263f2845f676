"""What each window position of a dense-mode canvas should answer.

A window position's label, from the items under it (each item's full tight
box, `frac` = share of that box inside the window, `ratio` = its longer
side over the window's side):
  - an item's class when exactly one item has frac >= 0.78 and
    0.38 <= ratio <= 0.95 (what windows.py draws as a positive: 40-90% of
    the window, up to 12% of the box cut);
  - background when every item has frac < 0.35, ratio < 0.27 or
    ratio > 1.5 (cut badly, too small, or far too big: another window or
    level takes it);
  - ignored (IGNORE) in between, and when two items both qualify.
Positives carry the item's visible box (clipped to the canvas) in units of
the window, as windows.py does.
"""

import numpy as np

BACKGROUND = 10
IGNORE = -1
POS_FRAC, POS_RATIO = 0.78, (0.38, 0.95)
NEG_FRAC, NEG_SMALL, NEG_BIG = 0.35, 0.27, 1.5


def window_targets(full, visible, cls, scale, size, stride, n):
    """Labels and boxes of the n x n window positions.  Boxes are in frame
    pixels; scale is frame pixels per level pixel."""
    y = np.full((n, n), BACKGROUND, np.int64)
    b = np.full((n, n, 4), np.nan, np.float32)
    if not full:
        return y, b
    win = size * scale
    f = np.asarray(full, np.float64)
    v = np.asarray(visible, np.float64)
    area = (f[:, 2] - f[:, 0]) * (f[:, 3] - f[:, 1])
    ratio = np.maximum(f[:, 2] - f[:, 0], f[:, 3] - f[:, 1]) / win
    for r in range(n):
        wy = r * stride * scale
        for c in range(n):
            wx = c * stride * scale
            iw = np.clip(np.minimum(f[:, 2], wx + win) -
                         np.maximum(f[:, 0], wx), 0, None)
            ih = np.clip(np.minimum(f[:, 3], wy + win) -
                         np.maximum(f[:, 1], wy), 0, None)
            frac = iw * ih / area
            pos = ((frac >= POS_FRAC) & (ratio >= POS_RATIO[0]) &
                   (ratio <= POS_RATIO[1]))
            neg = ((frac < NEG_FRAC) | (ratio < NEG_SMALL) |
                   (ratio > NEG_BIG))
            if pos.sum() == 1:
                k = int(np.nonzero(pos)[0][0])
                y[r, c] = cls[k]
                b[r, c] = ((v[k, 0] - wx) / win, (v[k, 1] - wy) / win,
                           (v[k, 2] - wx) / win, (v[k, 3] - wy) / win)
            elif pos.any() or not neg.all():
                y[r, c] = IGNORE
    return y, b
