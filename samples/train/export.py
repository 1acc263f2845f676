#!/usr/bin/python3
"""Export the trained GoogLeNet to ONNX for gnet, and measure it.

  /usr/bin/python3 samples/train/export.py [--checkpoint build-train/checkpoint.pt]

Writes samples/models/default.onnx (no auxiliary heads, softmax included,
opset 13, input "data" Nx3xHxW, outputs "prob" Nx11 and "box" Nx4, the
item's box in units of the window, from the box head) with the metadata the
detector reads, so the element needs no other file; default.json with the
test-split accuracy; and a small reference for cross-checking the C engine:
reference-windows.npy (uint8 RGB windows), reference-input.npy (the
normalised network input) and reference-prob.npy (PyTorch's
probabilities).

Accuracy "as single windows": each of the 10,000 test items, grey on black,
scaled by 0.75 x input / 28 and centred in one input window (about how an
item fills a window in training and in the detector), classified 10-way:
argmax over the ten clothing classes, background excluded.  The 11-way
figure (background counted as wrong) is reported too.
"""

import argparse
import json
import os
import sys

import numpy as np
import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model  # noqa: E402
import windows  # noqa: E402
import render  # noqa: E402
import train  # noqa: E402

SUPPORTED = {"Conv", "Relu", "MaxPool", "AveragePool", "GlobalAveragePool",
             "LRN", "Concat", "Gemm", "MatMul", "Flatten", "Reshape",
             "Dropout", "Softmax", "BatchNormalization", "Add", "Clip",
             "Sigmoid", "Identity", "Constant"}
WINDOWS = train.WINDOWS


def load(path):
    ck = torch.load(path, map_location="cpu")
    net = model.GoogLeNet(n_classes=11, width=ck["width"], size=ck["size"],
                          stem_pool=ck.get("stem_pool", "early"))
    net.load_state_dict(ck["state"])
    net.eval()
    return net, ck


def normalise(x, mean, std):
    t = torch.from_numpy(x).permute(0, 3, 1, 2).float().div(255.0)
    return ((t - torch.tensor(mean).view(1, 3, 1, 1))
            / torch.tensor(std).view(1, 3, 1, 1)).contiguous()


def probabilities(exp, x, mean, std, bs=500):
    """(class probabilities, boxes) of the exported graph."""
    prob, box = [], []
    with torch.no_grad():
        for i in range(0, len(x), bs):
            p, b = exp(normalise(x[i:i + bs], mean, std))
            prob.append(p.numpy())
            box.append(b.numpy())
    return np.concatenate(prob), np.concatenate(box)


def export(exp, ck, path, extra):
    size = ck["size"]
    torch.onnx.export(
        exp, torch.zeros(1, 3, size, size), path, opset_version=13,
        input_names=["data"], output_names=["prob", "box"],
        dynamic_axes={"data": {0: "N"}, "prob": {0: "N"}, "box": {0: "N"}},
        do_constant_folding=True)
    m = onnx.load(path)
    ops = {n.op_type for n in m.graph.node}
    if not ops <= SUPPORTED:
        sys.exit("export.py: operators gnet lacks: %s" % (ops - SUPPORTED))
    meta = {
        "labels": "\n".join(render.LABELS + ["background"]),
        "mean": ",".join("%.6g" % v for v in ck["mean"]),
        "std": ",".join("%.6g" % v for v in ck["std"]),
        "color_order": "RGB",
        "input_range": "0,1",
        "background_class": str(windows.BACKGROUND),
        "input_size": "%d,%d" % (size, size),
        "windows": ",".join(str(w) for w in WINDOWS),
    }
    meta.update(extra)
    del m.metadata_props[:]
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key, p.value = k, v
    m.producer_name = "gnet samples/train/export.py"
    m.doc_string = ("GoogLeNet (width x%g, input %d, stride 16) trained on "
                    "Fashion-MNIST windows for the gnet sliding-window "
                    "detector" % (ck["width"], size))
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return sorted(ops), meta


def opencv_probabilities(path, inp):
    """An independent runtime (OpenCV's ONNX importer) on the exported
    file, to show the file computes what PyTorch computed."""
    try:
        import cv2
        net = cv2.dnn.readNetFromONNX(path)
    except Exception as e:  # OpenCV missing or too old for some op
        print("opencv check skipped: %s" % e)
        return None
    outs = []
    for i in range(0, len(inp), 250):
        net.setInput(inp[i:i + 250])
        outs.append(net.forward("prob"))
    return np.concatenate(outs)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--checkpoint", default=os.path.join(
        HERE, "..", "..", "build-train", "checkpoint.pt"))
    p.add_argument("--out-dir", default=os.path.join(HERE, "..", "models"))
    args = p.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out_dir, exist_ok=True)

    net, ck = load(args.checkpoint)
    exp = model.Exported(net).eval()
    size = ck["size"]
    per, frame = model.dense_macs(net, size, WINDOWS)
    n_params = sum(p.numel() for n, p in net.named_parameters()
                   if not n.startswith("aux"))

    images, labels = render.load_split("t10k")
    x = windows.single_windows(images, size)
    prob, box = probabilities(exp, x, ck["mean"], ck["std"])
    ious = train.iou(box, windows.single_window_boxes(images, size))
    print("box head on the test windows: mean IoU %.3f, %.3f at >= 0.5" %
          (ious.mean(), (ious >= 0.5).mean()))
    pred10 = prob[:, :10].argmax(1)
    acc10 = float((pred10 == labels).mean())
    acc11 = float((prob.argmax(1) == labels).mean())
    conf = np.zeros((10, 10), int)
    np.add.at(conf, (labels, pred10), 1)
    hist = ck["history"][-1]
    print("test split, %d single windows: 10-way accuracy %.4f, 11-way "
          "%.4f (background chosen for %d)" %
          (len(x), acc10, acc11, int((prob.argmax(1) == 10).sum())))

    path = os.path.join(args.out_dir, "default.onnx")
    ops, meta = export(exp, ck, path, {
        "test_accuracy": "%.4f" % acc10,
        "license": "LGPL-2.1-or-later; trained on Fashion-MNIST (MIT)",
    })
    print("wrote %s (%d bytes), ops %s" % (path, os.path.getsize(path),
                                           ",".join(ops)))

    # cross-check the file with OpenCV on all test windows
    inp = normalise(x, ck["mean"], ck["std"]).numpy()
    cvp = opencv_probabilities(path, inp)
    cv_check = None
    if cvp is not None:
        cv_check = dict(max_abs_diff=float(np.abs(cvp - prob).max()),
                        accuracy_10way=float((cvp[:, :10].argmax(1)
                                              == labels).mean()))
        print("opencv on the ONNX file: max |p - p_torch| %.2e, 10-way "
              "accuracy %.4f" % (cv_check["max_abs_diff"],
                                 cv_check["accuracy_10way"]))

    # reference for the C engine: one test item of each of 8 classes
    pick = [int(np.nonzero(labels == c)[0][0]) for c in range(8)]
    np.save(os.path.join(args.out_dir, "reference-windows.npy"), x[pick])
    np.save(os.path.join(args.out_dir, "reference-input.npy"),
            inp[pick].astype(np.float32))
    np.save(os.path.join(args.out_dir, "reference-prob.npy"),
            prob[pick].astype(np.float32))
    np.save(os.path.join(args.out_dir, "reference-box.npy"),
            box[pick].astype(np.float32))

    report = dict(
        model="default.onnx",
        architecture="GoogLeNet, 9 Inception modules (3a-5b), width x%g, "
                     "input %dx%d RGB, stem max-pool %s, total stride 16, "
                     "BatchNorm; auxiliary heads after 4a and 4d (weight "
                     "0.3) dropped at export" % (
                         ck["width"], size, size,
                         "after the 7x7 (early)" if net.stem_pool == "early"
                         else "after the 3x3 (late)"),
        parameters=n_params,
        macs_per_window=per,
        dense_macs_640x480=frame,
        windows=list(WINDOWS),
        metadata=meta,
        test_accuracy_10way=acc10,
        test_box_iou_mean=float(ious.mean()),
        test_box_iou50=float((ious >= 0.5).mean()),
        test_accuracy_11way=acc11,
        test_items=len(x),
        test_definition="each Fashion-MNIST test item, grey on black, "
                        "resized to %d px (0.75 of the input) and centred "
                        "in a %dx%d window; argmax over the 10 clothing "
                        "classes" % (int(round(size * 0.75)), size, size),
        confusion_10way=conf.tolist(),
        per_class_accuracy={render.LABELS[c]: float(conf[c, c] / conf[c].sum())
                            for c in range(10)},
        final_epoch=hist,
        opencv_check=cv_check,
        seed=ck["seed"],
        reference=dict(indices=pick, windows="reference-windows.npy",
                       input="reference-input.npy",
                       prob="reference-prob.npy", box="reference-box.npy"),
    )
    with open(os.path.join(args.out_dir, "default.json"), "w") as f:
        json.dump(report, f, indent=1)
    print("wrote %s" % os.path.join(args.out_dir, "default.json"))


if __name__ == "__main__":
    main()
