#!/usr/bin/python3
"""Tests of samples/eval/evaluate.py on hand-made cases with known answers.

Needs python3 and numpy only.  Run directly or through `meson test`.
"""

import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("GNET_SRCDIR", os.path.join(HERE, "..", ".."))
EVAL = os.path.join(SRC, "samples", "eval", "evaluate.py")
sys.path.insert(0, os.path.dirname(EVAL))
import evaluate  # noqa: E402

W, H = 640, 480
NS = 1000000000


def ts(i, fps=30):
    return i * NS // fps


def obj(box, label, conf=None, difficult=False, pixels=False):
    """box in pixels (x0, y0, x1, y1).  pixels=True writes only x/y/w/h."""
    x0, y0, x1, y1 = box
    o = {"x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0, "roi_type": label}
    if not pixels:
        o["detection"] = {
            "bounding_box": {"x_min": x0 / W, "y_min": y0 / H,
                             "x_max": x1 / W, "y_max": y1 / H},
            "confidence": 1.0 if conf is None else conf,
            "label": label, "label_id": 0}
    elif conf is not None:
        o["detection"] = {"confidence": conf, "label": label}
    if difficult:
        o["difficult"] = True
    return o


def frame(i, objects, t=None):
    return {"timestamp": ts(i) if t is None else t,
            "resolution": {"width": W, "height": H}, "objects": objects}


class Files:
    def __init__(self):
        self.dir = tempfile.TemporaryDirectory()

    def write(self, name, frames=None, text=None):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as f:
            if text is not None:
                f.write(text)
            else:
                for fr in frames:
                    f.write(json.dumps(fr) + "\n")
        return path


def run(gt_frames, det_frames, *args):
    """Runs main() in-process; returns (status, stdout, json results)."""
    files = Files()
    g = files.write("gt.jsonl", gt_frames)
    d = files.write("det.jsonl", det_frames)
    j = os.path.join(files.dir.name, "res.json")
    out = io.StringIO()
    old = sys.stdout
    sys.stdout = out
    try:
        status = evaluate.main([g, d, "--json", j] + list(args))
    finally:
        sys.stdout = old
    res = None
    if os.path.exists(j):
        with open(j) as f:
            res = json.load(f)
    files.dir.cleanup()
    return status, out.getvalue(), res


def reference_ap(confs, is_tp, n_pos):
    """An independent formulation of all-point interpolated AP: the mean,
    over every ground-truth object, of the best precision reached at any
    rank at or below the rank where it was found (0 if never found)."""
    order = np.argsort(-np.asarray(confs), kind="stable")
    tp = np.asarray(is_tp, float)[order]
    prec = np.cumsum(tp) / np.arange(1, len(tp) + 1)
    total = 0.0
    for k in np.nonzero(tp)[0]:
        total += prec[k:].max()
    return total / n_pos


class TestAP(unittest.TestCase):
    def test_perfect(self):
        gt = [frame(0, [obj((10, 10, 60, 90), "Trouser"),
                        obj((100, 100, 200, 150), "Bag")]),
              frame(1, [obj((12, 10, 62, 90), "Trouser")])]
        status, text, r = run(gt, gt)
        self.assertEqual(status, 0)
        self.assertAlmostEqual(r["map"], 1.0)
        self.assertAlmostEqual(r["agnostic_ap"], 1.0)
        self.assertEqual((r["tp"], r["fp"], r["fn"]), (3, 0, 0))
        self.assertIn("mAP@0.5 (VOC all-point): 1.0000", text)

    def test_known_ap(self):
        # 2 objects; ranked detections: hit, miss, hit.
        # precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1:
        # AP = 1/2 * 1 + 1/2 * 2/3 = 5/6
        gt = [frame(0, [obj((0, 0, 100, 100), "Coat"),
                        obj((300, 300, 400, 400), "Coat")])]
        det = [frame(0, [obj((0, 0, 100, 100), "Coat", 0.9),
                         obj((500, 0, 600, 100), "Coat", 0.8),
                         obj((300, 300, 400, 400), "Coat", 0.7)])]
        status, _, r = run(gt, det)
        self.assertEqual(status, 0)
        self.assertAlmostEqual(r["map"], 5.0 / 6.0, places=9)
        self.assertAlmostEqual(r["classes"]["Coat"]["ap"], 5.0 / 6.0,
                               places=9)

    def test_envelope(self):
        # hit, miss, miss, hit, hit over 4 objects (one never found):
        # precisions at the hits 1, 2/4, 3/5; envelope keeps 3/5 for the
        # second hit: AP = (1 + 3/5 + 3/5) / 4 = 0.55
        gt = [frame(0, [obj((i * 100, 0, i * 100 + 50, 50), "Bag")
                        for i in range(4)])]
        det = [frame(0, [obj((0, 0, 50, 50), "Bag", 0.9),
                         obj((0, 300, 50, 350), "Bag", 0.8),
                         obj((100, 300, 150, 350), "Bag", 0.7),
                         obj((100, 0, 150, 50), "Bag", 0.6),
                         obj((200, 0, 250, 50), "Bag", 0.5)])]
        _, _, r = run(gt, det)
        self.assertAlmostEqual(r["map"], 0.55, places=9)
        self.assertEqual(r["fn"], 1)

    def test_duplicate_is_false_positive(self):
        gt = [frame(0, [obj((0, 0, 100, 100), "Coat")])]
        det = [frame(0, [obj((0, 0, 100, 100), "Coat", 0.9),
                         obj((2, 2, 100, 100), "Coat", 0.8)])]
        _, _, r = run(gt, det)
        self.assertAlmostEqual(r["map"], 1.0)  # the duplicate ranks last
        self.assertEqual((r["tp"], r["fp"]), (1, 1))
        self.assertAlmostEqual(r["precision"], 0.5)
        # ranked first, the duplicate halves the precision at full recall
        det = [frame(0, [obj((0, 0, 100, 100), "Coat", 0.8),
                         obj((2, 2, 100, 100), "Coat", 0.9)])]
        _, _, r = run(gt, det)
        self.assertAlmostEqual(r["map"], 1.0)  # first one still matches
        det = [frame(0, [obj((30, 30, 100, 100), "Coat", 0.95),
                         obj((0, 0, 100, 100), "Coat", 0.9)])]
        _, _, r = run(gt, det)
        self.assertAlmostEqual(r["map"], 0.5)  # IoU 0.49 miss, then hit

    def test_wrong_label_counts_only_class_agnostic(self):
        gt = [frame(0, [obj((0, 0, 100, 100), "Shirt"),
                        obj((200, 0, 300, 100), "Sandal")])]
        det = [frame(0, [obj((0, 0, 100, 100), "T-shirt/top", 0.9),
                         obj((200, 0, 300, 100), "Sandal", 0.8)])]
        _, text, r = run(gt, det)
        self.assertAlmostEqual(r["classes"]["Shirt"]["ap"], 0.0)
        self.assertAlmostEqual(r["classes"]["Sandal"]["ap"], 1.0)
        self.assertAlmostEqual(r["map"], 0.5)
        self.assertAlmostEqual(r["agnostic_ap"], 1.0)
        self.assertEqual(r["extra_classes"], ["T-shirt/top"])
        self.assertEqual((r["tp"], r["fp"], r["fn"]), (1, 1, 1))
        self.assertIn("T-shirt/top", text)

    def test_alternatives_count_per_class(self):
        # an item read as T-shirt 0.6 with Shirt 0.3 as its alternative:
        # the alternative finds the shirt for Shirt's AP (with the
        # object's box), but is not shown, so not counted at threshold
        t = obj((0, 0, 100, 100), "T-shirt/top", 0.6)
        t["detection"]["alternatives"] = [
            {"label": "Shirt", "label_id": 6, "confidence": 0.3}]
        gt = [frame(0, [obj((0, 0, 100, 100), "Shirt"),
                        obj((200, 0, 300, 100), "Shirt")])]
        det = [frame(0, [t, obj((200, 0, 300, 100), "Shirt", 0.4)])]
        _, _, r = run(gt, det, "--threshold", "0.35")
        self.assertAlmostEqual(r["classes"]["Shirt"]["ap"], 1.0)
        self.assertEqual(r["classes"]["Shirt"]["n_det"], 2)
        self.assertEqual(r["extra_classes"], ["T-shirt/top"])
        # at 0.35: the second shirt (tp) and the T-shirt (fp) are shown
        self.assertEqual((r["tp"], r["fp"], r["fn"]), (1, 1, 1))
        # the alternative's own confidence ranks it: under a false shirt
        # at 0.35 it halves the precision at full recall
        det[0]["objects"].append(obj((400, 0, 500, 100), "Shirt", 0.35))
        _, _, r = run(gt, det)
        self.assertAlmostEqual(r["classes"]["Shirt"]["ap"],
                               reference_ap([0.4, 0.35, 0.3], [1, 0, 1], 2))
        # class-agnostic: one object per item, however many classes
        self.assertEqual(r["agnostic"]["n_det"], 3)

    def test_objectness_ranks_class_agnostic(self):
        # a hesitant but real item (confidence 0.4, objectness 0.9) and a
        # confident false one (0.5, 0.5): by objectness the item ranks
        # first (AP 1); by confidence, second (AP 1/2)
        gt = [frame(0, [obj((0, 0, 100, 100), "Coat")])]
        item = obj((0, 0, 100, 100), "Coat", 0.4)
        item["detection"]["objectness"] = 0.9
        false = obj((300, 0, 400, 100), "Bag", 0.5)
        false["detection"]["objectness"] = 0.5
        _, _, r = run(gt, [frame(0, [false, item])], "--threshold", "0.45")
        self.assertAlmostEqual(r["agnostic_ap"], 1.0)
        self.assertAlmostEqual(r["map"], 1.0)
        # at the threshold, what is shown: the false Bag only
        self.assertEqual((r["agnostic"]["tp"], r["agnostic"]["fp"]), (0, 1))
        del item["detection"]["objectness"]
        del false["detection"]["objectness"]
        _, _, r = run(gt, [frame(0, [false, item])])
        self.assertAlmostEqual(r["agnostic_ap"], 0.5)

    def test_iou_threshold(self):
        # IoU exactly 0.5 (100 / 200) matches; --iou 0.6 does not
        gt = [frame(0, [obj((0, 0, 10, 10), "Bag")])]
        det = [frame(0, [obj((0, 0, 10, 20), "Bag", 0.5)])]
        self.assertAlmostEqual(run(gt, det)[2]["map"], 1.0)
        self.assertAlmostEqual(run(gt, det, "--iou", "0.6")[2]["map"], 0.0)

    def test_difficult_ignored(self):
        gt = [frame(0, [obj((0, 0, 100, 100), "Bag"),
                        obj((0, 200, 100, 300), "Bag", difficult=True)])]
        # a detection on the difficult object is neither hit nor miss
        det = [frame(0, [obj((0, 200, 100, 300), "Bag", 0.9),
                         obj((0, 0, 100, 100), "Bag", 0.8)])]
        _, _, r = run(gt, det)
        self.assertAlmostEqual(r["map"], 1.0)
        self.assertEqual((r["n_gt"], r["tp"], r["fp"]), (1, 1, 0))
        # and missing it costs nothing
        det = [frame(0, [obj((0, 0, 100, 100), "Bag", 0.8)])]
        self.assertAlmostEqual(run(gt, det)[2]["map"], 1.0)

    def test_threshold_precision_recall(self):
        gt = [frame(0, [obj((0, 0, 100, 100), "Coat"),
                        obj((200, 0, 300, 100), "Coat")])]
        det = [frame(0, [obj((0, 0, 100, 100), "Coat", 0.9),
                         obj((400, 0, 500, 100), "Coat", 0.6),
                         obj((200, 0, 300, 100), "Coat", 0.4)])]
        _, _, r = run(gt, det, "--threshold", "0.5")
        self.assertEqual((r["tp"], r["fp"], r["fn"]), (1, 1, 1))
        self.assertAlmostEqual(r["precision"], 0.5)
        self.assertAlmostEqual(r["recall"], 0.5)
        _, _, r = run(gt, det)
        self.assertAlmostEqual(r["precision"], 2 / 3)
        self.assertAlmostEqual(r["recall"], 1.0)
        # AP does not depend on the operating threshold
        self.assertAlmostEqual(r["map"], 5 / 6, places=9)

    def test_pixels_and_map_average(self):
        # x/y/w/h only (no bounding_box) is read too; mAP is the mean over
        # classes of their AP (here 1 and 0)
        gt = [frame(0, [obj((0, 0, 100, 100), "Coat", pixels=True),
                        obj((200, 0, 300, 100), "Bag", pixels=True)])]
        det = [frame(0, [obj((0, 0, 100, 100), "Coat", 0.9, pixels=True)])]
        _, _, r = run(gt, det)
        self.assertAlmostEqual(r["map"], 0.5)
        self.assertAlmostEqual(r["agnostic_ap"], 0.5)

    def test_random_against_reference(self):
        rng = np.random.default_rng(1)
        for trial in range(20):
            n_frames = 5
            gt, det = [], []
            is_tp, confs, n_pos = [], [], 0
            for f in range(n_frames):
                g, d = [], []
                for k in range(rng.integers(0, 4)):
                    box = (k * 150, 10, k * 150 + 100, 110)
                    g.append(obj(box, "Bag"))
                    n_pos += 1
                    if rng.random() < 0.7:  # found, with some jitter
                        c = float(rng.random())
                        j = int(rng.integers(-5, 6))
                        d.append(obj((box[0] + j, 10, box[2] + j, 110),
                                     "Bag", c))
                        is_tp.append(True)
                        confs.append(c)
                for k in range(rng.integers(0, 3)):  # clutter
                    c = float(rng.random())
                    d.append(obj((k * 150, 300, k * 150 + 100, 400), "Bag",
                                 c))
                    is_tp.append(False)
                    confs.append(c)
                gt.append(frame(f, g))
                det.append(frame(f, d))
            if n_pos == 0:
                continue
            _, _, r = run(gt, det)
            self.assertAlmostEqual(r["map"], reference_ap(confs, is_tp,
                                                          n_pos), places=9)


class TestFrames(unittest.TestCase):
    def test_nearest_timestamp(self):
        gt = [frame(i, [obj((0, 0, 100, 100), "Bag")]) for i in range(3)]
        # timestamps off by a few ms (well within half a frame, 16.7 ms)
        det = [frame(i, [obj((0, 0, 100, 100), "Bag", 0.9)],
                     t=ts(i) + 3000000) for i in range(3)]
        _, _, r = run(gt, det)
        self.assertAlmostEqual(r["map"], 1.0)
        self.assertEqual(r["n_det_frames_unmatched"], 0)

    def test_unmatched_frames_skipped(self):
        gt = [frame(i, [obj((0, 0, 100, 100), "Bag")]) for i in range(3)]
        det = [frame(0, [obj((0, 0, 100, 100), "Bag", 0.9)]),
               frame(0, [obj((0, 0, 100, 100), "Bag", 0.9)],
                     t=ts(10))]  # far past the end
        status, _, r = run(gt, det)
        self.assertEqual(status, 0)
        self.assertEqual(r["n_det_frames_unmatched"], 1)
        self.assertEqual(r["n_gt_frames_without_detections"], 2)
        self.assertAlmostEqual(r["map"], 1.0 / 3.0)

    def test_empty_frames(self):
        gt = [frame(0, []), frame(1, [obj((0, 0, 50, 50), "Bag")])]
        det = [frame(0, [obj((0, 0, 50, 50), "Bag", 0.9)]), frame(1, [])]
        _, _, r = run(gt, det)
        self.assertAlmostEqual(r["map"], 0.0)
        self.assertEqual((r["tp"], r["fp"], r["fn"]), (0, 1, 1))

    def test_videos_pooled(self):
        # two videos with the same timestamps, one Coat each.  Video B also
        # has a box where video A's coat is: a miss, as B has nothing
        # there.  Pooled ranking: 0.95 miss (B), 0.9 hit (A), 0.8 miss
        # (A), 0.7 hit (B): precision 1/2 and 2/4 at the hits, AP 0.5
        # (each video alone would score 1.0 and 0.5).
        files = Files()
        ga = files.write("a.gt", [frame(0, [obj((0, 0, 100, 100), "Coat")])])
        da = files.write("a.det", [frame(0, [
            obj((0, 0, 100, 100), "Coat", 0.9),
            obj((500, 0, 600, 100), "Coat", 0.8)])])
        gb = files.write("b.gt", [frame(0, [
            obj((300, 300, 400, 400), "Coat")])])
        db = files.write("b.det", [frame(0, [
            obj((0, 0, 100, 100), "Coat", 0.95),
            obj((300, 300, 400, 400), "Coat", 0.7)])])
        j = os.path.join(files.dir.name, "res.json")
        out = io.StringIO()
        old = sys.stdout
        sys.stdout = out
        try:
            status = evaluate.main([ga, da, "--also", gb, db, "--json", j])
            single = evaluate.main([ga, da, "--json", j + ".a"])
        finally:
            sys.stdout = old
        self.assertEqual((status, single), (0, 0))
        with open(j) as f:
            r = json.load(f)
        with open(j + ".a") as f:
            ra = json.load(f)
        files.dir.cleanup()
        self.assertAlmostEqual(r["map"], 0.5, places=9)
        self.assertEqual((r["tp"], r["fp"], r["fn"]), (2, 2, 0))
        self.assertEqual(r["n_gt_frames"], 2)
        self.assertAlmostEqual(ra["map"], 1.0, places=9)


class TestErrors(unittest.TestCase):
    def expect_error(self, text, fragment, gt_text=None):
        files = Files()
        good = json.dumps(frame(0, [obj((0, 0, 10, 10), "Bag")])) + "\n"
        g = files.write("gt.jsonl", text=gt_text if gt_text else good)
        d = files.write("det.jsonl", text=text)
        p = subprocess.run([sys.executable, EVAL, g, d],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(fragment, p.stderr)
        self.assertEqual(p.stdout, "")
        files.dir.cleanup()

    def test_malformed(self):
        ok = json.dumps(frame(0, [])) + "\n"
        self.expect_error(ok + "{not json\n", "det.jsonl:2: not valid JSON")
        self.expect_error("[1, 2]\n", "det.jsonl:1: a line must be")
        self.expect_error('{"objects": []}\n', 'det.jsonl:1: no "timestamp"')
        self.expect_error('{"timestamp": -1}\n', "non-negative integer")
        self.expect_error('{"timestamp": 1.5}\n', "non-negative integer")
        self.expect_error('{"timestamp": 0, "objects": {}}\n',
                          '"objects" is not a list')
        bad = frame(0, [obj((0, 0, 10, 10), "Bag", 0.5)])
        del bad["objects"][0]["detection"]["confidence"]
        self.expect_error(json.dumps(bad), "object 0: detection has no "
                                           "confidence")
        bad = frame(0, [obj((0, 0, 10, 10), "Bag", 0.5)])
        bad["objects"][0]["detection"]["bounding_box"]["x_max"] = "wide"
        self.expect_error(json.dumps(bad), "bounding_box.x_max is not a "
                                           "finite number")
        bad = frame(0, [obj((0, 0, 10, 10), "Bag", 0.5)])
        del bad["resolution"]
        self.expect_error(json.dumps(bad), "no resolution")
        self.expect_error('{"timestamp": 0, "objects": [{"roi_type": "x"}]}',
                          "neither detection.bounding_box nor")
        self.expect_error('{"timestamp": 0, "objects": [{"x": 0, "y": 0, '
                          '"w": 1, "h": 1, "detection": {"confidence": 1}}]}',
                          "has no label")
        self.expect_error('{"timestamp": 0, "objects": [{"x": 0, "y": 0, '
                          '"w": -4, "h": 1, "roi_type": "Bag", '
                          '"detection": {"confidence": 1}}]}',
                          "negative size")
        bad = frame(0, [obj((0, 0, 10, 10), "Bag", 0.5)])
        bad["objects"][0]["detection"]["objectness"] = 1.5
        self.expect_error(json.dumps(bad), "objectness is not in 0..1")
        bad["objects"][0]["detection"]["objectness"] = 0.5
        bad["objects"][0]["detection"]["alternatives"] = {"label": "Coat"}
        self.expect_error(json.dumps(bad), '"alternatives" is not a list')
        bad["objects"][0]["detection"]["alternatives"] = [{"label": "Coat"}]
        self.expect_error(json.dumps(bad), "alternative 0: no confidence")
        bad["objects"][0]["detection"]["alternatives"] = [{"confidence": 1}]
        self.expect_error(json.dumps(bad), "alternative 0: no label")
        self.expect_error("", "det.jsonl: no frames")
        self.expect_error(ok, "ground truth has two frames",
                          gt_text=ok + ok)

    def test_missing_file(self):
        p = subprocess.run([sys.executable, EVAL, "/nonexistent/gt.jsonl",
                            "/nonexistent/d.jsonl"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("/nonexistent/gt.jsonl: cannot open", p.stderr)

    def test_require(self):
        gt = [frame(0, [obj((0, 0, 100, 100), "Coat"),
                        obj((300, 300, 400, 400), "Coat")])]
        det = [frame(0, [obj((0, 0, 100, 100), "Coat", 0.9)])]
        self.assertEqual(run(gt, det, "--require-map", "0.5")[0], 0)
        self.assertEqual(run(gt, det, "--require-map", "0.6")[0], 1)
        self.assertEqual(run(gt, det, "--require-agnostic-ap", "0.6")[0], 1)


class TestSample(unittest.TestCase):
    """The shipped ground truth follows the schema and scores perfectly
    against itself."""

    GT = os.path.join(SRC, "samples", "video", "sample.gt.jsonl")

    @unittest.skipUnless(os.path.exists(GT), "no sample ground truth")
    def test_sample_ground_truth(self):
        with open(self.GT) as f:
            frames = [json.loads(line) for line in f]
        self.assertGreaterEqual(len(frames), 300)
        for i, f in enumerate(frames):
            self.assertEqual(f["timestamp"], ts(i))
            self.assertEqual(f["resolution"], {"width": W, "height": H})
            for o in f["objects"]:
                bb = o["detection"]["bounding_box"]
                self.assertAlmostEqual(bb["x_min"] * W, o["x"], delta=0.01)
                self.assertAlmostEqual(bb["y_max"] * H, o["y"] + o["h"],
                                       delta=0.01)
                self.assertEqual(o["roi_type"], o["detection"]["label"])
                self.assertTrue(0 <= o["detection"]["label_id"] < 10)
        p = subprocess.run([sys.executable, EVAL, self.GT, self.GT,
                            "--require-map", "1", "--require-agnostic-ap",
                            "1"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
