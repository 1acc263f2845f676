#!/usr/bin/python3
"""Which items of a scene the model gets right shown alone, and how often
the detector names them right in the video.

  scene_items.py [--seed 3] [--seconds S] [--model MODEL] [--build DIR]
                 [--gt GT.jsonl --detections DETS.jsonl]

For every item of the scene samples/scenes/generate.py makes with --seed
(the shipped sample is seed 3, the held-out scenes 101 on): its ground-truth
id, Fashion-MNIST test index and class, and the model's three best classes
with the item shown alone as the accuracy test shows it
(windows.single_windows), run by gnet's own engine (`gnet run`).  With the
element's JSON lines and the scene's ground truth, also the share of the
item's frames in which the most confident detection on it (IoU >= 0.5, any
class) names its class, and the classes named most.

A scene's mAP is mostly a matter of which items it drew: an item the model
misclassifies alone is misclassified in most of its frames too.
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

SRC = os.path.normpath(os.path.join(os.path.dirname(
    os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(SRC, "samples", "eval"))
import evaluate  # noqa: E402


def model_metadata(gnet, model):
    """mean, std, input size and background class from `gnet info`."""
    out = subprocess.run([gnet, "info", model], check=True,
                         capture_output=True, text=True).stdout
    meta = {}
    for line in out.split("metadata:", 1)[-1].splitlines():
        key, sep, value = line.strip().partition(": ")
        if sep:
            meta[key] = value
    try:
        mean = np.array([float(v) for v in meta["mean"].split(",")])
        std = np.array([float(v) for v in meta["std"].split(",")])
        size = int(meta["input_size"].split(",")[0])
        background = int(meta.get("background_class", -1))
    except (KeyError, ValueError) as e:
        sys.exit("scene_items.py: %s: no usable metadata (%s)" % (model, e))
    if meta.get("color_order", "RGB") != "RGB" or \
            meta.get("input_range", "0,1") != "0,1":
        sys.exit("scene_items.py: %s: only RGB models on 0..1 input" % model)
    return mean, std, size, background


def classify_alone(gnet, model, images):
    """Class probabilities of each 28x28 image shown alone."""
    import windows   # OpenCV: only here, so the rest needs NumPy alone
    mean, std, size, background = model_metadata(gnet, model)
    x = windows.single_windows(images, size).astype(np.float32) / 255.0
    x = ((x - mean) / std).transpose(0, 3, 1, 2).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, "data.npy"), np.ascontiguousarray(x))
        subprocess.run([gnet, "run", model, os.path.join(tmp, "data.npy"),
                        "-o", tmp], check=True, stdout=subprocess.DEVNULL)
        path = os.path.join(tmp, "prob.npy")
        if not os.path.exists(path):
            sys.exit("scene_items.py: %s has no output named prob (the "
                     "class probabilities of the models train/export.py "
                     "writes)" % model)
        prob = np.load(path)
    if background >= 0:   # the accuracy test is 10-way
        prob[:, background] = 0.0
        prob /= np.maximum(prob.sum(1, keepdims=True), 1e-30)
    return prob


def named_in_video(gt_path, det_path):
    """id -> Counter of the class named on that item, frame by frame:
    frames and boxes read and matched as evaluate.py does."""
    gt = evaluate.load_jsonl(gt_path, True)
    det = evaluate.load_jsonl(det_path, False)
    with open(gt_path, encoding="utf-8") as f:
        ids = [[o.get("id") for o in json.loads(line).get("objects", [])]
               for line in f if line.strip()]
    mapping, _ = evaluate.match_frames(gt, det)
    named = collections.defaultdict(collections.Counter)
    for f, (_, dets) in zip(mapping, det):
        if f is None:
            continue
        for obj_id, (box, _, _, difficult, _, _) in zip(ids[f], gt[f][1]):
            if difficult:
                continue
            on = [d for d in dets if evaluate.iou(box, d[0]) >= 0.5]
            named[obj_id][max(on, key=lambda d: d[2])[1] if on
                          else "(missed)"] += 1
    return named


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--seconds", type=float,
                   help="the scene's length (default: generate.py's)")
    p.add_argument("--model", default=os.path.join(
        SRC, "samples", "models", "default.onnx"))
    p.add_argument("--build", default=os.path.join(SRC, "build"),
                   help="build directory holding tools/gnet")
    p.add_argument("--gt", help="the scene's ground truth (JSON lines)")
    p.add_argument("--detections", help="the element's JSON lines on it")
    args = p.parse_args(argv)
    if (args.gt is None) != (args.detections is None):
        p.error("give --gt and --detections together")
    gnet = os.path.join(args.build, "tools", "gnet")
    if not os.access(gnet, os.X_OK):
        p.error("%s: not built" % gnet)

    sys.path.insert(0, os.path.join(SRC, "samples", "scenes"))
    sys.path.insert(0, os.path.join(SRC, "samples", "train"))
    import generate
    import render

    # the scene as generate.py makes it by default, but for the seed
    fps = generate.FPS
    seconds = generate.SECONDS if args.seconds is None else args.seconds
    _, images, _, items = generate.plan_scene(
        args.seed, generate.WIDTH, generate.HEIGHT,
        int(round(seconds * fps)), fps, generate.MIN_SIZE, generate.MAX_SIZE)
    prob = classify_alone(gnet, args.model,
                          images[[it.index for it in items]])
    named = (named_in_video(args.gt, args.detections) if args.gt else None)

    right = 0
    print("%3s %6s %-12s %-40s %s" % ("id", "index", "class",
                                      "shown alone (10-way)",
                                      "named in the video" if named else ""))
    for it, pr in zip(items, prob):
        label = render.LABELS[it.label]
        top = np.argsort(-pr)[:3]
        right += top[0] == it.label
        alone = " ".join("%s %.2f" % (render.LABELS[k], pr[k]) for k in top)
        video = ""
        if named is not None:
            c = named.get(it.id, collections.Counter())
            n = sum(c.values())
            video = "%.2f of %d frames: %s" % (
                c[label] / n if n else 0.0, n,
                ", ".join("%s %d" % kv for kv in c.most_common(3)))
        print("%3d %6d %-12s %-40s %s" % (it.id, it.index, label, alone,
                                          video))
    total = [0, 0]
    if named is not None:
        for it in items:
            c = named.get(it.id, collections.Counter())
            total[0] += c[render.LABELS[it.label]]
            total[1] += sum(c.values())
    print("seed %d: %d of %d items right shown alone (%.3f)%s" % (
        args.seed, right, len(items), right / max(1, len(items)),
        "; named right in %d of %d item-frames (%.3f)" % (
            total[0], total[1], total[0] / max(1, total[1]))
        if named is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
