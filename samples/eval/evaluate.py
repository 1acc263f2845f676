#!/usr/bin/python3
"""Score detections against ground truth, PASCAL VOC style.

  evaluate.py GT.jsonl DETECTIONS.jsonl [--iou 0.5] [--threshold T]
              [--plot pr.png] [--json results.json] [--also GT2 DET2 ...]

Both files are JSON lines as the googlenetdetect element writes them, one
line per frame:

  {"timestamp": NS, "resolution": {"width": W, "height": H},
   "objects": [{"x": .., "y": .., "w": .., "h": .., "roi_type": "..",
                "detection": {"bounding_box": {"x_min": .., "y_min": ..,
                                               "x_max": .., "y_max": ..},
                              "confidence": .., "label": "..",
                              "label_id": N}}]}

A detection may also carry, inside "detection", "objectness" (how likely
the box holds an object of any class, 0..1) and "alternatives" (other
classes read on the same object: [{"label": .., "confidence": ..}, ..]),
as the element writes them.

Boxes are taken from the normalised bounding_box (times the resolution)
when present, else from x, y, w, h.  Classes are matched by label text.
Frames are matched by timestamp, exactly or else to the nearest ground-truth
frame within half a frame period; detection frames with no such partner are
reported and skipped.  Ground-truth objects with "difficult": true are
ignored: a detection on one is neither right nor wrong.

Printed: mAP (mean over classes with ground truth of the all-point
interpolated average precision, VOC 2010 onwards), class-agnostic AP (all
labels merged), per-class AP, and precision and recall of the detections at
or above the operating threshold.

Per class, an object's alternatives are detections of their classes, with
their own confidence and the object's box: the detector's answer to "is
there a shirt here" on an item it calls a T-shirt.  Class-agnostic AP takes
each object once, ranked by its objectness when it has one (else its
confidence): one object, not one per class read on it.  Precision and
recall at the threshold count what the element shows: each object's own
label, when its confidence reaches the threshold (alternatives never).  A detection is a true positive when its
IoU with a not yet matched ground-truth box of its class is >= --iou, the
box chosen being the one it overlaps most (as in the VOC devkit).

--also adds another video's pair of files (repeatable): the videos are
scored as one set, each detection frame matched within its own video, so
AP pools every video's detections (not a mean of per-video APs).

Exit status: 0 on success, 1 when a --require-* target is missed, 2 on bad
usage or malformed input (with a message naming file and line).
"""

import argparse
import json
import math
import signal
import sys

import numpy as np


class InputError(Exception):
    pass


def _num(v, where, what):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or \
            not math.isfinite(v):
        raise InputError("%s: %s is not a finite number: %r" % (where, what, v))
    return float(v)


def _object_box(o, res, where):
    det = o.get("detection")
    if det is not None and not isinstance(det, dict):
        raise InputError("%s: \"detection\" is not an object" % where)
    bb = det.get("bounding_box") if det else None
    if bb is not None:
        if not isinstance(bb, dict):
            raise InputError("%s: \"bounding_box\" is not an object" % where)
        if res is None:
            raise InputError("%s: normalised bounding_box but the frame has "
                             "no resolution" % where)
        try:
            x0, y0, x1, y1 = (_num(bb[k], where, "bounding_box." + k)
                              for k in ("x_min", "y_min", "x_max", "y_max"))
        except KeyError as e:
            raise InputError("%s: bounding_box has no %s" % (where, e))
        box = (x0 * res[0], y0 * res[1], x1 * res[0], y1 * res[1])
    else:
        try:
            x, y, w, h = (_num(o[k], where, k) for k in ("x", "y", "w", "h"))
        except KeyError as e:
            raise InputError("%s: object has neither detection.bounding_box "
                             "nor %s" % (where, e))
        box = (x, y, x + w, y + h)
    if box[2] < box[0] or box[3] < box[1]:
        raise InputError("%s: box has negative size: %r" % (where, box))
    return box


def _object_label(o, where):
    det = o.get("detection") or {}
    label = det.get("label", o.get("roi_type"))
    if label is None and "label_id" in det:
        label = "class %d" % det["label_id"]
    if not isinstance(label, str) or not label:
        raise InputError("%s: object has no label (detection.label or "
                         "roi_type)" % where)
    return label


def _probability(v, where, what):
    v = _num(v, where, what)
    if not 0 <= v <= 1:
        raise InputError("%s: %s is not in 0..1: %r" % (where, what, v))
    return v


def _object_alternatives(det, where):
    """Returns (objectness or None, [(label, confidence)])."""
    objectness = det.get("objectness")
    if objectness is not None:
        objectness = _probability(objectness, where, "objectness")
    alts = det.get("alternatives", [])
    if not isinstance(alts, list):
        raise InputError("%s: \"alternatives\" is not a list" % where)
    out = []
    for k, a in enumerate(alts):
        w = "%s: alternative %d" % (where, k)
        if not isinstance(a, dict):
            raise InputError("%s: not a JSON object" % w)
        label = a.get("label")
        if not isinstance(label, str) or not label:
            raise InputError("%s: no label" % w)
        if "confidence" not in a:
            raise InputError("%s: no confidence" % w)
        out.append((label, _num(a["confidence"], w, "confidence")))
    return objectness, out


def load_jsonl(path, is_gt):
    """Returns a list of frames: (timestamp, [(box, label, confidence,
    difficult, objectness or None, [(label, confidence)])])."""
    frames = []
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise InputError("%s: cannot open: %s" % (path, e.strerror))
    with f:
        for n, line in enumerate(f, 1):
            where = "%s:%d" % (path, n)
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except ValueError as e:
                raise InputError("%s: not valid JSON: %s" % (where, e))
            if not isinstance(d, dict):
                raise InputError("%s: a line must be a JSON object" % where)
            if "timestamp" not in d:
                raise InputError("%s: no \"timestamp\"" % where)
            ts = d["timestamp"]
            if isinstance(ts, bool) or not isinstance(ts, int) or ts < 0:
                raise InputError("%s: timestamp must be a non-negative "
                                 "integer (nanoseconds): %r" % (where, ts))
            res = d.get("resolution")
            if res is not None:
                try:
                    res = (_num(res["width"], where, "resolution.width"),
                           _num(res["height"], where, "resolution.height"))
                except (KeyError, TypeError):
                    raise InputError("%s: resolution needs width and height"
                                     % where)
            objs = d.get("objects", [])
            if not isinstance(objs, list):
                raise InputError("%s: \"objects\" is not a list" % where)
            out = []
            for k, o in enumerate(objs):
                w = "%s: object %d" % (where, k)
                if not isinstance(o, dict):
                    raise InputError("%s: not a JSON object" % w)
                box = _object_box(o, res, w)
                label = _object_label(o, w)
                det = o.get("detection") or {}
                objectness, alts = None, []
                if is_gt:
                    conf = 1.0
                else:
                    if "confidence" not in det:
                        raise InputError("%s: detection has no confidence" % w)
                    conf = _num(det["confidence"], w, "confidence")
                    objectness, alts = _object_alternatives(det, w)
                out.append((box, label, conf, bool(o.get("difficult", False)),
                            objectness, alts))
            frames.append((ts, out))
    if not frames:
        raise InputError("%s: no frames" % path)
    return frames


def match_frames(gt, det):
    """Maps each detection frame to a ground-truth frame index: the same
    timestamp, else the nearest within half the median frame period."""
    gts = np.array([t for t, _ in gt], dtype=np.int64)
    order = np.argsort(gts, kind="stable")
    sorted_ts = gts[order]
    if len(np.unique(gts)) != len(gts):
        raise InputError("ground truth has two frames with one timestamp")
    period = np.median(np.diff(sorted_ts)) if len(gts) > 1 else 0
    mapping, unmatched = [], 0
    for t, _ in det:
        i = np.searchsorted(sorted_ts, t)
        best = None
        for j in (i - 1, i):
            if 0 <= j < len(sorted_ts):
                d = abs(int(sorted_ts[j]) - t)
                if best is None or d < best[0]:
                    best = (d, j)
        if best is not None and (best[0] == 0 or 2 * best[0] < period):
            mapping.append(int(order[best[1]]))
        else:
            mapping.append(None)
            unmatched += 1
    return mapping, unmatched


def iou(a, b):
    """IoU of boxes (x0, y0, x1, y1), x1 and y1 exclusive."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])
             - inter)
    return inter / union if union > 0 else 0.0


def voc_ap(recall, precision):
    """All-point interpolated AP: the area under the precision envelope
    (precision made monotonically decreasing), as in the VOC 2010+ devkit."""
    mrec = np.concatenate(([0.0], recall, [1.0]))
    mpre = np.concatenate(([0.0], precision, [0.0]))
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    i = np.nonzero(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def score_class(gt_boxes, dets, iou_thr, threshold):
    """gt_boxes: {frame: [(box, difficult)]}; dets: [(score, frame, box,
    shown)], ranked by score; those with shown >= threshold count at the
    threshold.  Returns a dict with AP, the PR curve and counts at the
    threshold."""
    n_pos = sum(1 for boxes in gt_boxes.values() for _, d in boxes if not d)
    used = {f: [False] * len(b) for f, b in gt_boxes.items()}
    # stable sort: equal confidences keep file order, so results are exact
    dets = sorted(dets, key=lambda d: -d[0])
    tp = np.zeros(len(dets))
    fp = np.zeros(len(dets))
    keep = np.ones(len(dets), bool)
    for k, (_, frame, box, _) in enumerate(dets):
        best, best_j = -1.0, -1
        for j, (g, _) in enumerate(gt_boxes.get(frame, [])):
            o = iou(box, g)
            if o > best:
                best, best_j = o, j
        if best >= iou_thr:
            if gt_boxes[frame][best_j][1]:
                keep[k] = False  # on a difficult object: ignored
            elif not used[frame][best_j]:
                used[frame][best_j] = True
                tp[k] = 1
            else:
                fp[k] = 1  # a duplicate
        else:
            fp[k] = 1
    confs = np.array([d[3] for d in dets], dtype=float)[keep]
    tp, fp = tp[keep], fp[keep]
    ctp, cfp = np.cumsum(tp), np.cumsum(fp)
    recall = ctp / n_pos if n_pos else np.zeros_like(ctp)
    precision = ctp / np.maximum(ctp + cfp, np.finfo(float).eps)
    at = confs >= threshold
    n_tp, n_fp = int(tp[at].sum()), int(fp[at].sum())
    return dict(
        ap=voc_ap(recall, precision) if n_pos else float("nan"),
        n_gt=n_pos, n_det=int(len(confs)), recall=recall,
        precision=precision, tp=n_tp, fp=n_fp, fn=n_pos - n_tp,
        p_at=n_tp / (n_tp + n_fp) if n_tp + n_fp else float("nan"),
        r_at=n_tp / n_pos if n_pos else float("nan"))


def evaluate(gt, det, iou_thr=0.5, threshold=0.0, more=()):
    """Scores det against gt; `more` holds further (gt, det) pairs (other
    videos), pooled with the first as one set of frames."""
    all_gt, all_det, mapping, unmatched = [], [], [], 0
    for g, d in [(gt, det)] + list(more):
        m, u = match_frames(g, d)
        mapping += [None if f is None else f + len(all_gt) for f in m]
        unmatched += u
        all_gt += g
        all_det += d
    gt, det = all_gt, all_det
    classes = sorted({o[1] for _, objs in gt for o in objs if not o[3]})
    per_class_gt = {c: {} for c in classes}
    agn_gt = {}
    for f, (_, objs) in enumerate(gt):
        for box, label, _, diff, _, _ in objs:
            per_class_gt.setdefault(label, {}).setdefault(f, []).append(
                (box, diff))
            agn_gt.setdefault(f, []).append((box, diff))
    per_class_det = {}
    agn_det = []
    seen = set()
    for (_, objs), f in zip(det, mapping):
        if f is None:
            continue
        if f in seen:
            raise InputError("two detection frames map to ground-truth "
                             "frame %d (timestamp %d)" % (f, gt[f][0]))
        seen.add(f)
        for box, label, conf, _, objectness, alts in objs:
            per_class_det.setdefault(label, []).append((conf, f, box, conf))
            for alt, alt_conf in alts:
                per_class_det.setdefault(alt, []).append(
                    (alt_conf, f, box, -math.inf))
            agn_det.append((conf if objectness is None else objectness, f,
                            box, conf))
    results = {}
    for c in classes:
        results[c] = score_class(per_class_gt.get(c, {}),
                                 per_class_det.get(c, []), iou_thr, threshold)
    extra = sorted(set(per_class_det) - set(classes))
    agn = score_class(agn_gt, agn_det, iou_thr, threshold)
    # precision/recall at the threshold with labels required to match
    tp = sum(r["tp"] for r in results.values())
    fp = sum(r["fp"] for r in results.values()) + sum(
        1 for c in extra for d in per_class_det[c] if d[3] >= threshold)
    n_gt = sum(r["n_gt"] for r in results.values())
    aps = [r["ap"] for r in results.values()]
    return dict(
        map=float(np.mean(aps)) if aps else float("nan"),
        agnostic=agn, classes=results, extra_classes=extra,
        tp=tp, fp=fp, fn=n_gt - tp, n_gt=n_gt,
        precision=tp / (tp + fp) if tp + fp else float("nan"),
        recall=tp / n_gt if n_gt else float("nan"),
        n_gt_frames=len(gt), n_det_frames=len(det),
        n_det_frames_unmatched=unmatched,
        n_gt_frames_without_detections=len(gt) - len(seen))


def plot(res, path, iou_thr):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 6))
    for c, r in res["classes"].items():
        ax.plot(r["recall"], r["precision"], lw=1,
                label="%s (AP %.3f)" % (c, r["ap"]))
    a = res["agnostic"]
    ax.plot(a["recall"], a["precision"], "k", lw=2.5,
            label="class-agnostic (AP %.3f)" % a["ap"])
    ax.set_xlim(0, 1.01)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title("Precision-recall at IoU %.2f: mAP %.3f" % (iou_thr,
                                                            res["map"]))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def report(res, args, out=None):
    out = out or sys.stdout
    p = lambda *a: print(*a, file=out)  # noqa: E731
    p("frames: %d ground truth, %d detection (%d unmatched and skipped, "
      "%d ground-truth frames without a detection line)" %
      (res["n_gt_frames"], res["n_det_frames"], res["n_det_frames_unmatched"],
       res["n_gt_frames_without_detections"]))
    p("mAP@%.2g (VOC all-point): %.4f" % (args.iou, res["map"]))
    p("class-agnostic AP@%.2g: %.4f" % (args.iou, res["agnostic"]["ap"]))
    p("%-14s %8s %7s %7s %9s %7s" % ("class", "AP", "gt", "dets",
                                     "precision", "recall"))
    for c, r in res["classes"].items():
        p("%-14s %8.4f %7d %7d %9.4f %7.4f" % (c, r["ap"], r["n_gt"],
                                               r["n_det"], r["p_at"],
                                               r["r_at"]))
    for c in res["extra_classes"]:
        p("%-14s %8s (detections of a class with no ground truth)" % (c, "-"))
    a = res["agnostic"]
    p("at threshold %.3g: precision %.4f recall %.4f (tp %d, fp %d, fn %d); "
      "class-agnostic precision %.4f recall %.4f" %
      (args.threshold, res["precision"], res["recall"], res["tp"], res["fp"],
       res["fn"], a["p_at"], a["r_at"]))


def to_json(res):
    def clean(r):
        return {k: v for k, v in r.items()
                if k not in ("recall", "precision")}
    return dict(
        map=res["map"], agnostic_ap=res["agnostic"]["ap"],
        agnostic=clean(res["agnostic"]),
        classes={c: clean(r) for c, r in res["classes"].items()},
        **{k: res[k] for k in ("precision", "recall", "tp", "fp", "fn",
                               "n_gt", "extra_classes", "n_gt_frames",
                               "n_det_frames", "n_det_frames_unmatched",
                               "n_gt_frames_without_detections")})


def main(argv=None):
    p = argparse.ArgumentParser(
        description="PASCAL VOC mAP of detections (JSON lines) against "
                    "ground truth (JSON lines).")
    p.add_argument("gt", help="ground-truth JSON lines")
    p.add_argument("detections", help="detections JSON lines")
    p.add_argument("--iou", type=float, default=0.5,
                   help="IoU for a match (default 0.5)")
    p.add_argument("--threshold", type=float, default=0.0,
                   help="operating confidence threshold for precision and "
                        "recall (default 0: every detection in the file)")
    p.add_argument("--plot", metavar="PNG",
                   help="save precision-recall curves (needs matplotlib)")
    p.add_argument("--json", metavar="FILE",
                   help="also write the figures as JSON")
    p.add_argument("--also", nargs=2, action="append", default=[],
                   metavar=("GT", "DETECTIONS"),
                   help="another video's ground truth and detections, "
                        "scored together with the first (repeatable)")
    p.add_argument("--require-map", type=float, metavar="X",
                   help="exit 1 if mAP < X")
    p.add_argument("--require-agnostic-ap", type=float, metavar="X",
                   help="exit 1 if class-agnostic AP < X")
    args = p.parse_args(argv)
    if not 0 < args.iou <= 1:
        p.error("--iou must be in (0, 1]")
    try:
        gt = load_jsonl(args.gt, True)
        det = load_jsonl(args.detections, False)
        more = [(load_jsonl(g, True), load_jsonl(d, False))
                for g, d in args.also]
        res = evaluate(gt, det, args.iou, args.threshold, more)
    except InputError as e:
        print("evaluate.py: error: %s" % e, file=sys.stderr)
        return 2
    if res["n_det_frames_unmatched"]:
        print("evaluate.py: warning: %d detection frames match no "
              "ground-truth timestamp" % res["n_det_frames_unmatched"],
              file=sys.stderr)
    report(res, args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(to_json(res), f, indent=1)
    if args.plot:
        plot(res, args.plot, args.iou)
    status = 0
    if args.require_map is not None and not res["map"] >= args.require_map:
        print("evaluate.py: mAP %.4f is below %.4f" % (res["map"],
                                                      args.require_map),
              file=sys.stderr)
        status = 1
    if args.require_agnostic_ap is not None and \
            not res["agnostic"]["ap"] >= args.require_agnostic_ap:
        print("evaluate.py: class-agnostic AP %.4f is below %.4f" %
              (res["agnostic"]["ap"], args.require_agnostic_ap),
              file=sys.stderr)
        status = 1
    return status


if __name__ == "__main__":
    # `evaluate.py ... | head` ends quietly, as command-line tools do
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
