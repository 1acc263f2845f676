#!/usr/bin/python3
"""Deterministic sample scenes with ground truth for the gnet detector.

Fashion-MNIST items from the test split (never used in training) move,
appear and leave over textured, slowly panning backgrounds.  Writes an
H.264 MP4 (through gst-launch-1.0 and x264enc) and a ground-truth JSON lines
file in the schema the googlenetdetect element writes: one line per frame,
frames without objects included, timestamps as GStreamer computes them.

  /usr/bin/python3 samples/scenes/generate.py            # the shipped sample

A ground-truth box is the tight box around the item's visible pixels
(grey level >= 16 of 255, where the item is at least half opaque) inside
the frame, the way a person would label it.  Items cut by the frame edge so
that less than 70% of their box shows are marked "difficult": true, and the
evaluation ignores them (as PASCAL VOC does).
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GST_SECOND = 1000000000
GAP = 6            # minimum pixels between two items' boxes
DIFFICULT_BELOW = 0.7


def frame_timestamp(i, fps):
    # gst_util_uint64_scale (i, GST_SECOND, fps) rounds down
    return i * GST_SECOND // fps


class Item:
    pass


def _boxes_at(item, frames):
    """Full (unclipped) tight boxes of an item at the given frames, Nx4."""
    t = frames - item.t0
    ox = np.round(item.p0[0] + item.v[0] * t)
    oy = np.round(item.p0[1] + item.v[1] * t)
    bx0, by0, bx1, by1 = item.box
    return np.stack([ox + bx0, oy + by0, ox + bx1, oy + by1], 1)


def _collides(a, items, gap):
    for b in items:
        lo, hi = max(a.t0, b.t0), min(a.t1, b.t1)
        if lo >= hi:
            continue
        f = np.arange(lo, hi)
        ba, bb = _boxes_at(a, f), _boxes_at(b, f)
        sep = ((ba[:, 2] + gap <= bb[:, 0]) | (bb[:, 2] + gap <= ba[:, 0]) |
               (ba[:, 3] + gap <= bb[:, 1]) | (bb[:, 3] + gap <= ba[:, 1]))
        if not sep.all():
            return True
    return False


def _leave_frame(item, W, H, n_frames):
    """First frame (after t0) at which the item's box is wholly outside."""
    f = np.arange(item.t0, n_frames)
    b = _boxes_at(item, f)
    out = (b[:, 2] <= 0) | (b[:, 0] >= W) | (b[:, 3] <= 0) | (b[:, 1] >= H)
    idx = np.nonzero(out & (f > item.t0 + 5))[0]
    return int(f[idx[0]]) if len(idx) else n_frames


def plan_items(rng, images, labels, W, H, n_frames, min_side, max_side):
    """Trajectories with no two items overlapping (occlusion would make the
    visible-pixel box ambiguous), some of them close together."""
    items = []
    target = 4
    by_class = [np.nonzero(labels == c)[0] for c in range(10)]
    for t in range(n_frames):
        if t % 60 == 0:
            target = int(rng.integers(4, 8))
        active = [it for it in items if it.t0 <= t < it.t1]
        if len(active) >= target or (t > 0 and rng.random() > 0.15):
            continue
        # the first frame starts full, later frames add one at a time
        n_new = target - len(active) if t == 0 else 1
        for _ in range(30 * n_new):
            if n_new == 0:
                break
            it = Item()
            # classes in turn (fewest so far first) so that all ten appear
            counts = np.bincount([o.label for o in items], minlength=10)
            least = np.nonzero(counts == counts.min())[0]
            it.label = int(least[rng.integers(len(least))])
            pool = by_class[it.label]
            it.index = int(pool[rng.integers(len(pool))])
            side = float(np.exp(rng.uniform(np.log(min_side),
                                            np.log(max_side))))
            it.gray, it.box = render.scale_item(images[it.index], side)
            if rng.random() < 0.5:
                it.gray = np.ascontiguousarray(it.gray[:, ::-1])
                n = it.gray.shape[1]
                it.box = (n - it.box[2], it.box[1], n - it.box[0], it.box[3])
            bx0, by0, bx1, by1 = it.box
            bw, bh = bx1 - bx0, by1 - by0
            speed = rng.uniform(0.2, 1.6) if rng.random() < 0.85 else 0.0
            ang = rng.uniform(0, 2 * np.pi)
            it.v = (speed * np.cos(ang), speed * np.sin(ang))
            it.t0 = t
            mode = rng.random()
            if mode < 0.25 and active:  # next to an item, moving with it
                other = active[int(rng.integers(len(active)))]
                ob = _boxes_at(other, np.array([t]))[0]
                side_ = rng.integers(4)
                g = rng.uniform(GAP, 18)
                if side_ == 0:
                    x, y = ob[2] + g, rng.uniform(ob[1] - bh / 2, ob[3] - bh / 2)
                elif side_ == 1:
                    x, y = ob[0] - g - bw, rng.uniform(ob[1] - bh / 2,
                                                       ob[3] - bh / 2)
                elif side_ == 2:
                    x, y = rng.uniform(ob[0] - bw / 2, ob[2] - bw / 2), ob[3] + g
                else:
                    x, y = rng.uniform(ob[0] - bw / 2,
                                       ob[2] - bw / 2), ob[1] - g - bh
                it.v = other.v
            elif mode < 0.5 and t > 0:  # enter from an edge
                e = rng.integers(4)
                speed = max(speed, 1.0)
                if e == 0:
                    x, y, it.v = -bw + 1, rng.uniform(0, H - bh), (speed, 0.0)
                elif e == 1:
                    x, y, it.v = W - 1, rng.uniform(0, H - bh), (-speed, 0.0)
                elif e == 2:
                    x, y, it.v = rng.uniform(0, W - bw), -bh + 1, (0.0, speed)
                else:
                    x, y, it.v = rng.uniform(0, W - bw), H - 1, (0.0, -speed)
                it.v = (it.v[0] + rng.uniform(-0.4, 0.4),
                        it.v[1] + rng.uniform(-0.4, 0.4))
            else:  # appear inside the frame
                x, y = rng.uniform(0, W - bw), rng.uniform(0, H - bh)
            it.p0 = (x - bx0, y - by0)
            life = int(rng.integers(90, 240))
            it.t1 = min(t + life, _leave_frame(it, W, H, n_frames))
            if it.t1 - it.t0 < 30 or _collides(it, items, GAP):
                continue
            it.id = len(items)
            items.append(it)
            active.append(it)
            n_new -= 1
    return items


def backgrounds(rng, W, H, n_frames, segment, pan):
    """One texture per segment, panned a little every frame."""
    segs = []
    for s in range(0, n_frames, segment):
        # anything but plain: a sample should show textured backgrounds
        tex = render.texture(rng, H + pan, W + pan, kinds=(0, 1, 2, 3, 5))
        d = rng.uniform(-1, 1, 2)
        d /= np.abs(d).max()
        segs.append((tex, d))
    return segs


SEGMENT_SECONDS, PAN = 5, 80   # one background per 5 s, panned 80 px
# The shipped sample's scene: the command line's defaults.
SECONDS, FPS, WIDTH, HEIGHT, MIN_SIZE, MAX_SIZE = 15, 30, 640, 480, 48, 160


def plan_scene(seed, W, H, n_frames, fps, min_side, max_side):
    """The scene of a seed, before colouring: the random generator (to go
    on drawing from), the test split's images, the backgrounds and the
    items (test-split index, label, trajectory; .id is the ground truth's
    "id")."""
    rng = np.random.default_rng(seed)
    images, labels = render.load_split("t10k")
    segs = backgrounds(rng, W, H, n_frames, SEGMENT_SECONDS * fps, PAN)
    items = plan_items(rng, images, labels, W, H, n_frames, min_side,
                       max_side)
    return rng, images, segs, items


def render_frame(i, segs, segment, pan, items, W, H):
    tex, d = segs[i // segment]
    k = i % segment
    ox = int(round(pan / 2 + d[0] * (k * 0.4 % (pan / 2))))
    oy = int(round(pan / 2 + d[1] * (k * 0.4 % (pan / 2))))
    frame = tex[oy:oy + H, ox:ox + W].copy()
    objects = []
    for it in items:
        if not (it.t0 <= i < it.t1):
            continue
        t = i - it.t0
        ox = int(round(it.p0[0] + it.v[0] * t))
        oy = int(round(it.p0[1] + it.v[1] * t))
        sub = render.paste(frame, it.gray, ox, oy, it.lo, it.hi)
        if sub is None:
            continue
        vb = render.tight_box(sub * 255.0)
        if vb is None:
            continue
        cx0, cy0 = max(ox, 0), max(oy, 0)
        x0, y0 = cx0 + int(vb[0]), cy0 + int(vb[1])
        x1, y1 = cx0 + int(vb[2]), cy0 + int(vb[3])
        bx0, by0, bx1, by1 = it.box
        full = float((bx1 - bx0) * (by1 - by0))
        objects.append(dict(it=it, box=(x0, y0, x1, y1),
                            difficult=(x1 - x0) * (y1 - y0) / full
                            < DIFFICULT_BELOW))
    return np.clip(frame + 0.5, 0, 255).astype(np.uint8), objects


def gt_line(i, fps, W, H, objects):
    objs = []
    for o in objects:
        x0, y0, x1, y1 = o["box"]
        it = o["it"]
        d = {
            "x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0,
            "roi_type": render.LABELS[it.label],
            "id": it.id,
            "detection": {
                "bounding_box": {
                    "x_min": round(x0 / W, 6), "y_min": round(y0 / H, 6),
                    "x_max": round(x1 / W, 6), "y_max": round(y1 / H, 6),
                },
                "confidence": 1.0,
                "label": render.LABELS[it.label],
                "label_id": it.label,
            },
        }
        if o["difficult"]:
            d["difficult"] = True
        objs.append(d)
    return json.dumps({"timestamp": frame_timestamp(i, fps),
                       "resolution": {"width": W, "height": H},
                       "objects": objs}, separators=(",", ":"))


def encoder(path, W, H, fps, bitrate):
    cmd = ["gst-launch-1.0", "-q", "fdsrc", "fd=0", "!",
           "rawvideoparse", "width=%d" % W, "height=%d" % H, "format=rgb",
           "framerate=%d/1" % fps, "!", "videoconvert", "!",
           "video/x-raw,format=I420", "!",
           # one thread and fixed settings: the same frames give the same
           # bytes on every run
           "x264enc", "threads=1", "bitrate=%d" % bitrate,
           "speed-preset=medium", "key-int-max=%d" % (2 * fps), "!",
           "video/x-h264,profile=high", "!", "mp4mux", "!",
           "filesink", "location=" + path]
    return subprocess.Popen(cmd, stdin=subprocess.PIPE)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=SECONDS)
    p.add_argument("--fps", type=int, default=FPS)
    p.add_argument("--width", type=int, default=WIDTH)
    p.add_argument("--height", type=int, default=HEIGHT)
    p.add_argument("--min-size", type=float, default=MIN_SIZE)
    p.add_argument("--max-size", type=float, default=MAX_SIZE)
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--bitrate", type=int, default=1500, help="kbit/s")
    p.add_argument("--output", default=os.path.normpath(
        os.path.join(HERE, "..", "video", "sample.mp4")))
    p.add_argument("--gt", default=None,
                   help="ground truth (default: OUTPUT with .gt.jsonl)")
    p.add_argument("--frames-dir", default=None,
                   help="also save every frame as PNG here (debugging)")
    args = p.parse_args()
    gt = args.gt or os.path.splitext(args.output)[0] + ".gt.jsonl"
    W, H, fps = args.width, args.height, args.fps
    n_frames = int(round(args.seconds * fps))

    rng, _, segs, items = plan_scene(args.seed, W, H, n_frames, fps,
                                     args.min_size, args.max_size)
    segment, pan = SEGMENT_SECONDS * fps, PAN
    for it in items:  # colour against the background where the item starts
        tex = segs[it.t0 // segment][0]
        bx0, by0, bx1, by1 = (np.array(_boxes_at(it, np.array([it.t0]))[0])
                              + pan // 2).astype(int)
        hh, ww = tex.shape[:2]
        region = tex[max(by0, 0):min(max(by1, 1), hh),
                     max(bx0, 0):min(max(bx1, 1), ww)].reshape(-1, 3)
        mean = region.mean(0) if len(region) else tex.reshape(-1, 3).mean(0)
        it.lo, it.hi = render.item_style(rng, mean)

    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    enc = encoder(args.output, W, H, fps, args.bitrate)
    n_obj = 0
    with open(gt, "w") as f:
        for i in range(n_frames):
            frame, objects = render_frame(i, segs, segment, pan, items, W, H)
            enc.stdin.write(frame.tobytes())
            f.write(gt_line(i, fps, W, H, objects) + "\n")
            n_obj += len(objects)
            if args.frames_dir:
                import cv2
                os.makedirs(args.frames_dir, exist_ok=True)
                cv2.imwrite(os.path.join(args.frames_dir, "%04d.png" % i),
                            frame[..., ::-1])
    enc.stdin.close()
    if enc.wait() != 0:
        sys.exit("generate.py: gst-launch-1.0 failed")
    counts = np.bincount([it.label for it in items], minlength=10)
    print("%s: %d frames, %d items (per class %s), %d boxes, %.1f per frame"
          % (args.output, n_frames, len(items), counts.tolist(), n_obj,
             n_obj / n_frames))
    print("%s: ground truth" % gt)


if __name__ == "__main__":
    main()
