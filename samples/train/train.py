#!/usr/bin/python3
"""Train the default gnet model: a GoogLeNet sliding-window classifier for
the ten Fashion-MNIST classes plus background.

  /usr/bin/python3 samples/train/train.py     # the shipped model, 2 cores
  /usr/bin/python3 samples/train/export.py    # ONNX + accuracy

The defaults are the shipped model's recipe: width 0.3, the stem's
max-pool after its 3x3 convolution (--stem-pool late), fifteen epochs of
128,000 windows in one one-cycle schedule, the last six with scene
canvases for dense mode (BatchNorm's statistics frozen from then on),
a quarter of the windows drawn as the accuracy test draws its items
(--single 0.25: grey on black, centred, taken from the items' share),
convolutions in bfloat16 (--bf16: AVX-512 BF16 runs them about twice as
fast as float32 here; weights, their updates and the losses stay float32),
max-pooling, batch norm and ReLU by this directory's C kernels
(fastops.py; --no-fast-pool, --no-fast-bn for PyTorch's).

Only the train split is used: 55,000 items for training windows, 5,000
held-out items for validation windows.  The test split is kept for the
accuracy figure (export.py) and the sample video.  Writes history.csv and
training.png next to this script, and a checkpoint in the work directory.

Two processes (--ranks) share every batch, one core each, and add up their
gradients before each step: on this small network one PyTorch process
with two threads spends most of its time in memory-bound layers (pooling,
batch norm) that two threads barely speed up, so two single-threaded ranks
train 1.5 to 2 times as fast.
"""

import argparse
import csv
import datetime
import multiprocessing as mp
import os
import socket
import sys
import time

# Threads that wait passively: with busy-waiting OpenMP threads, a niced
# run on a shared two-core machine slows down more than tenfold.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# PyTorch's linear layers call OpenBLAS, whose own thread pool ignores
# torch.set_num_threads() and spins (sched_yield) between calls: with two
# ranks on two cores, one rank's idle OpenBLAS thread took a third of a
# core from the other rank's work.  The linear layers are tiny here.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import canvases  # noqa: E402
import fastops  # noqa: E402
import model  # noqa: E402
import windows  # noqa: E402
import render  # noqa: E402  (windows put samples/scenes on the path)

SEED = 20240607
# Recommended window sizes (frame pixels) for 640x480 scenes with items of
# 48-160 px: every item has a level where it spans 40-80% of the window.
WINDOWS = (80, 128, 208)
N_VAL_ITEMS = 5000


def split_items(seed=SEED):
    images, labels = render.load_split("train")
    perm = np.random.default_rng(seed).permutation(len(images))
    val, train = perm[:N_VAL_ITEMS], perm[N_VAL_ITEMS:]
    return (images[train], labels[train]), (images[val], labels[val])


BOX_WEIGHT = 5.0      # box loss (smooth L1, window units) vs cross-entropy
BOX_BETA = 0.02
# The box head reads 3072 unnormalised features: at the backbone's learning
# rate one step would throw its outputs far off, so it learns slower.
BOX_LR = 0.01


# What build_data draws: windows (windows.py) or scene canvases for dense
# training (canvases.py), and the offset of their seeds.
DRAW = {"windows": (windows.make_windows, 0),
        "canvases": (canvases.make_canvases, 500)}


def _gen(job):
    kind, which, n, seed, size, opts = job
    tr, va = split_items()
    images, labels = tr if which == "train" else va
    return DRAW[kind][0](images, labels, n, seed, size=size, **opts)


def build_data(n_train, n_val, size, cache, data_seed=0, workers=2,
               kind="windows", **opts):
    """Training and validation sets of `kind` (see DRAW): (x, labels,
    boxes) of each, drawn with keyword options opts.  They are drawn once
    (in `workers` processes) and cached: drawing the windows costs about
    as much as one epoch of training."""
    if cache and os.path.exists(cache):
        d = np.load(cache)
        if len(d["xt"]) == n_train and len(d["xv"]) == n_val:
            return (d["xt"], d["yt"], d["bt"], d["xv"], d["yv"], d["bv"])
    chunks = 8
    base = SEED + 1000 * data_seed + DRAW[kind][1]
    jobs = [(kind, "train", n_train // chunks, base + 1 + i, size, opts)
            for i in range(chunks)]
    jobs.append((kind, "val", n_val, base + 100, size, opts))
    with mp.Pool(workers) as pool:
        parts = pool.map(_gen, jobs)
    xt, yt, bt = (np.concatenate([p[k] for p in parts[:-1]])
                  for k in range(3))
    xv, yv, bv = parts[-1]
    if cache:
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        np.savez(cache, xt=xt, yt=yt, bt=bt, xv=xv, yv=yv, bv=bv)
    return xt, yt, bt, xv, yv, bv


def to_tensor(x, mean, std):
    """NHWC uint8 -> normalised float NCHW in channels-last memory, which
    oneDNN's CPU convolutions run faster."""
    t = torch.from_numpy(x).permute(0, 3, 1, 2).float().div_(255.0)
    t = (t - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)
    return t.contiguous(memory_format=torch.channels_last)


def _photometric(x, gen):
    """Colour channel permutation, brightness and contrast, and inversion
    of a uint8 NHWC batch (modified in place where it can be)."""
    n = len(x)
    perm = gen.random(n) < 0.5
    x[perm] = x[perm][..., gen.permutation(3)]
    xf = x.astype(np.float32)
    c = gen.uniform(0.75, 1.25, (n, 1, 1, 1)).astype(np.float32)
    shift = gen.uniform(-25, 25, (n, 1, 1, 1)).astype(np.float32)
    m = xf.mean(axis=(1, 2, 3), keepdims=True)
    xf = (xf - m) * c + m + shift
    inv = gen.random(n) < 0.1  # negatives: light items on dark and reverse
    xf[inv] = 255.0 - xf[inv]
    return np.clip(xf, 0, 255).astype(np.uint8)


def flip_shift(x, gen, b=None):
    """Copies of a uint8 NHWC batch with horizontal flips (per window) and
    one shift of up to 3 pixels (per batch); box targets b (window units,
    NaN for background), if given, follow both."""
    n, size = len(x), x.shape[2]
    x = x.copy()
    flip = gen.random(n) < 0.5
    x[flip] = x[flip, :, ::-1]
    dx, dy = gen.integers(-3, 4, 2)
    x = np.roll(x, (int(dy), int(dx)), axis=(1, 2))
    if b is None:
        return x, None
    b = b.copy()
    b[flip, 0], b[flip, 2] = 1.0 - b[flip, 2], 1.0 - b[flip, 0]
    b[:, 0::2] += dx / size
    b[:, 1::2] += dy / size
    return x, b


def augment(x, b, gen):
    """Per batch, on uint8 NHWC numpy: flip_shift(), then channel order
    (colour) permutation, brightness and contrast, and inversion."""
    x, b = flip_shift(x, gen, b)
    return _photometric(x, gen), b


def augment_canvases(x, y, b, gen):
    """Per batch of canvases: horizontal flips (the label grid and the
    boxes follow), colour permutation, brightness and contrast, inversion,
    as augment() does for windows."""
    n = len(x)
    x, y, b = x.copy(), y.copy(), b.copy()
    flip = gen.random(n) < 0.5
    x[flip] = x[flip, :, ::-1]
    y[flip] = y[flip, :, ::-1]
    bf = b[flip, :, ::-1]
    b[flip] = np.stack([1.0 - bf[..., 2], bf[..., 1], 1.0 - bf[..., 0],
                        bf[..., 3]], -1)
    return _photometric(x, gen), y, b


def autocast(bf16):
    """The training passes' precision: with bf16, convolutions and linear
    layers compute in bfloat16 (AVX-512 BF16 on this machine's CPU) while
    the weights, their updates and the losses stay float32."""
    return torch.cpu.amp.autocast(enabled=bf16, dtype=torch.bfloat16)


def dense_loss(net, x, y, b, class_weight=None, bf16=False):
    """Cross-entropy over every labelled window position of the canvases
    (classes weighted by class_weight, if given) and the box loss over the
    positive ones, as dense mode scores them."""
    with autocast(bf16):
        logits, box = net.dense(x)
    logits = logits.float()
    box = box.float() if box is not None else None
    yt = torch.from_numpy(y)
    loss = F.cross_entropy(logits, yt, weight=class_weight,
                           ignore_index=canvases.IGNORE,
                           label_smoothing=0.05)
    lb = torch.zeros(())
    if box is not None:
        lb = box_loss(box.permute(0, 2, 3, 1).reshape(-1, 4),
                      torch.from_numpy(b).reshape(-1, 4))
    return loss, lb


def box_loss(pred, target):
    """Smooth L1 over positive windows (finite targets), in window units."""
    pos = torch.isfinite(target[:, 0])
    if pred is None or not pos.any():
        return torch.zeros(())
    return F.smooth_l1_loss(pred[pos], target[pos], beta=BOX_BETA)


def iou(a, b):
    """Row-wise IoU of two Nx4 arrays of (x0, y0, x1, y1)."""
    w = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]),
                0, None)
    h = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]),
                0, None)
    inter = w * h
    area = lambda r: (r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1])  # noqa: E731
    return inter / np.maximum(area(a) + area(b) - inter, 1e-9)


def evaluate(net, x, y, b, mean, std, bs=500, bf16=False):
    """Sums over windows for the main head's loss and 11-way accuracy; and
    for positive windows the box head's IoU with the item's box and the
    count at IoU >= 0.5 (see means())."""
    net.eval()
    loss, correct = 0.0, 0
    boxes = []
    with torch.no_grad():
        for i in range(0, len(x), bs):
            xb = to_tensor(x[i:i + bs], mean, std)
            with autocast(bf16):
                f, _ = net.features(xb)
                out = net.fc(torch.flatten(F.adaptive_avg_pool2d(f, 1), 1))
                box = net.box(torch.flatten(f, 1)) if net.box else None
            out = out.float()
            t = torch.from_numpy(y[i:i + bs])
            loss += F.cross_entropy(out, t, reduction="sum").item()
            correct += (out.argmax(1) == t).sum().item()
            if box is not None:
                boxes.append(box.float().numpy())
    res = dict(val_loss=loss, val_acc=correct, n=len(x))
    if boxes:
        pos = np.isfinite(b[:, 0])
        ious = iou(np.concatenate(boxes)[pos], b[pos])
        res.update(val_box_iou=float(ious.sum()),
                   val_box_iou50=float((ious >= 0.5).sum()),
                   n_pos=int(pos.sum()))
    return res


def evaluate_dense(net, x, y, b, mean, std, bs=50, bf16=False):
    """On validation canvases, sums of: correct (11-way) positive window
    positions, correct background ones, and the box head's IoU at the
    positives (see means())."""
    net.eval()
    pos_ok = pos_n = bg_ok = bg_n = 0
    iou_sum = 0.0
    with torch.no_grad():
        for i in range(0, len(x), bs):
            with autocast(bf16):
                logits, box = net.dense(to_tensor(x[i:i + bs], mean, std))
            logits = logits.float()
            box = box.float() if box is not None else None
            pred = logits.argmax(1).numpy()
            t = y[i:i + bs]
            pos = (t >= 0) & (t != canvases.BACKGROUND)
            bg = t == canvases.BACKGROUND
            pos_ok += int((pred[pos] == t[pos]).sum())
            pos_n += int(pos.sum())
            bg_ok += int((pred[bg] == t[bg]).sum())
            bg_n += int(bg.sum())
            if box is not None and pos.any():
                pb = box.permute(0, 2, 3, 1).numpy()[pos]
                iou_sum += float(iou(pb, b[i:i + bs][pos]).sum())
    res = dict(val_dense_pos_acc=pos_ok, val_dense_bg_acc=bg_ok,
               n_dense_pos=pos_n, n_dense_bg=bg_n)
    if net.box is not None:
        res["val_dense_box_iou"] = iou_sum
    return res


# Which count each sum of evaluate() and evaluate_dense() is divided by.
DIVISORS = dict(val_loss="n", val_acc="n", val_box_iou="n_pos",
                val_box_iou50="n_pos", val_dense_pos_acc="n_dense_pos",
                val_dense_bg_acc="n_dense_bg",
                val_dense_box_iou="n_dense_pos")


def means(sums):
    """evaluate()'s and evaluate_dense()'s sums (added over the ranks) as
    means."""
    return {k: v / max(sums[DIVISORS[k]], 1) for k, v in sums.items()
            if k in DIVISORS}


def all_reduce(tensors, world):
    """Sums (in place) across the ranks, as one flat buffer."""
    if world == 1:
        return
    flat = torch.cat([t.reshape(-1) for t in tensors])
    torch.distributed.all_reduce(flat)
    k = 0
    for t in tensors:
        t.copy_(flat[k:k + t.numel()].view_as(t))
        k += t.numel()


def reduce_sums(sums, world):
    """A dict of numbers summed across the ranks (same keys on each)."""
    keys = sorted(sums)
    t = torch.tensor([float(sums[k]) for k in keys], dtype=torch.float64)
    all_reduce([t], world)
    return dict(zip(keys, t.tolist()))


def plot(history, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ep = [h["epoch"] for h in history]
    boxes = [h for h in history if h.get("val_box_iou") not in (None, "")]
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(15, 4))
    a.plot(ep, [h["train_loss"] for h in history], "o-", label="train")
    a.plot(ep, [h["val_loss"] for h in history], "s-", label="validation")
    a.set_xlabel("epoch")
    a.set_ylabel("cross-entropy (main head)")
    a.legend()
    a.grid(alpha=0.3)
    b.plot(ep, [h["train_acc"] for h in history], "o-", label="train")
    b.plot(ep, [h["val_acc"] for h in history], "s-", label="validation")
    dense = [h for h in history if h.get("val_dense_pos_acc") not in
             (None, "")]
    if dense:
        b.plot([h["epoch"] for h in dense],
               [float(h["val_dense_pos_acc"]) for h in dense], "^-",
               label="validation, dense: items")
        b.plot([h["epoch"] for h in dense],
               [float(h["val_dense_bg_acc"]) for h in dense], "v-",
               label="validation, dense: background")
    b.set_xlabel("epoch")
    b.set_ylabel("11-way window accuracy")
    b.legend()
    b.grid(alpha=0.3)
    c.plot([h["epoch"] for h in boxes],
           [float(h["val_box_iou"]) for h in boxes], "s-", label="mean IoU")
    c.plot([h["epoch"] for h in boxes],
           [float(h["val_box_iou50"]) for h in boxes], "^-",
           label="share at IoU >= 0.5")
    c.set_xlabel("epoch")
    c.set_ylabel("box head on validation items")
    c.set_ylim(0, 1)
    c.legend()
    c.grid(alpha=0.3)
    fig.suptitle("gnet default model: GoogLeNet on Fashion-MNIST windows")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--n-train", type=int, default=152000)
    p.add_argument("--n-val", type=int, default=10000)
    p.add_argument("--width", type=float, default=0.3)
    p.add_argument("--size", type=int, default=48)
    p.add_argument("--dropout", type=float, default=0.4,
                   help="dropout before the classifier (the paper's 0.4)")
    p.add_argument("--stem-pool", choices=("early", "late"), default="late",
                   help="where the stem's max-pool sits (model.GoogLeNet)")
    p.add_argument("--batch", type=int, default=256,
                   help="windows per step, over all ranks")
    p.add_argument("--lr", type=float, default=0.2)
    p.add_argument("--ranks", type=int, default=2,
                   help="processes sharing each batch (data parallel)")
    p.add_argument("--threads", type=int, default=1,
                   help="PyTorch threads per rank")
    p.add_argument("--work", default=os.path.join(HERE, "..", "..",
                                                 "build-train"))
    p.add_argument("--out", default=HERE,
                   help="where history.csv and training.png go")
    p.add_argument("--resume", metavar="CHECKPOINT",
                   help="continue from a checkpoint for --epochs more "
                        "epochs, the learning rate falling from --lr to 0 "
                        "(cosine); the history continues, and the width "
                        "and input size are the checkpoint's.  A "
                        "checkpoint without a box head gets a new one.")
    p.add_argument("--stop-after", type=int, default=0, metavar="N",
                   help="stop after N epochs of the --epochs schedule "
                        "(0 = run it all)")
    p.add_argument("--epoch-windows", type=int, default=128000,
                   help="windows drawn (without replacement) per epoch; "
                        "0 = all")
    p.add_argument("--data-seed", type=int, default=1,
                   help="draw a different set of training windows")
    p.add_argument("--single", type=float, default=0.25, metavar="SHARE",
                   help="share of the training and validation windows "
                        "drawn as the accuracy test draws its items "
                        "(windows.single_window), taken from the items' "
                        "share (at most windows.ITEMS)")
    p.add_argument("--canvases", type=int, default=24000, metavar="N",
                   help="also train dense mode on N scene canvases "
                        "(canvases.py; 0 for none): each step adds "
                        "--canvas-batch canvases to the --batch windows")
    p.add_argument("--canvas-batch", type=int, default=16,
                   help="canvases per step, over all ranks")
    p.add_argument("--canvases-from", type=int, default=10, metavar="E",
                   help="the canvases (and --freeze-bn) start at the E-th "
                        "epoch of this run; the earlier ones are windows "
                        "only")
    p.add_argument("--item-weight", type=float, default=2.0,
                   help="weight of the item classes against background in "
                        "the canvases' cross-entropy (about 80%% of their "
                        "window positions are background)")
    p.add_argument("--clip", type=float, default=5.0, metavar="NORM",
                   help="clip the gradient's norm (0 = no clipping)")
    p.add_argument("--freeze-bn", action=argparse.BooleanOptionalAction,
                   default=True,
                   help="keep BatchNorm's statistics as they are (their "
                        "scales and shifts still learn): when windows and "
                        "canvases alternate, batch statistics of either "
                        "differ from the running mean used at inference")
    p.add_argument("--val-canvases", type=int, default=1000)
    p.add_argument("--fast-pool", action=argparse.BooleanOptionalAction,
                   default=True,
                   help="with --bf16, max-pooling by fastpool.c (compiled "
                        "into --work with cc; fastops.py)")
    p.add_argument("--fast-bn", action=argparse.BooleanOptionalAction,
                   default=True,
                   help="with --bf16, batch norm and ReLU by fastbn.c")
    p.add_argument("--bf16", action=argparse.BooleanOptionalAction,
                   default=True,
                   help="train and validate in bfloat16 autocast "
                        "(weights, updates and losses stay float32; "
                        "export.py's figures are float32)")
    args = p.parse_args()
    if args.canvases and not 1 <= args.canvases_from <= args.epochs:
        p.error("--canvases-from %d is not an epoch of this run (1-%d): "
                "give --canvases-from within --epochs, or --canvases 0"
                % (args.canvases_from, args.epochs))
    if not 0 <= args.dropout < 1:
        p.error("--dropout must be at least 0 and under 1")
    if not 0 <= args.single <= windows.ITEMS:
        p.error("--single must be between 0 and %g (the items' share of "
                "the windows)" % windows.ITEMS)
    if args.ranks < 1 or args.batch % args.ranks or (
            args.canvases and args.canvas_batch % args.ranks):
        p.error("--batch and --canvas-batch must be multiples of --ranks")

    t0 = time.time()
    cache = os.path.join(args.work, "windows-box-%d-%d-%d-%d%s.npz" %
                         (args.size, args.n_train, args.n_val,
                          args.data_seed, "-single%g" % args.single
                          if args.single else ""))
    data = build_data(args.n_train, args.n_val, args.size, cache,
                      args.data_seed, single=args.single)
    xt, yt = data[:2]
    print("data: %d train, %d val windows (%.0f s); train class counts %s" %
          (len(xt), len(data[3]), time.time() - t0,
           np.bincount(yt).tolist()), flush=True)
    cdata = None
    if args.canvases:
        t1 = time.time()
        ccache = os.path.join(args.work, "canvases-%d-%d-%d-%d.npz" %
                              (args.size, args.canvases, args.val_canvases,
                               args.data_seed))
        cdata = build_data(args.canvases, args.val_canvases, args.size,
                           ccache, args.data_seed, kind="canvases")
        cyt = cdata[1]
        print("canvases: %d train, %d val (%.0f s); window positions: "
              "%.3f items, %.3f background, %.3f ignored" %
              (len(cyt), len(cdata[4]), time.time() - t1,
               ((cyt >= 0) & (cyt < canvases.BACKGROUND)).mean(),
               (cyt == canvases.BACKGROUND).mean(),
               (cyt == canvases.IGNORE).mean()), flush=True)
    sub = xt[:20000].astype(np.float32) / 255.0
    mean = sub.mean(axis=(0, 1, 2)).mean().repeat(3)
    std = sub.std(axis=(0, 1, 2)).mean().repeat(3)
    del sub

    if args.bf16 and (args.fast_pool or args.fast_bn):
        fastops.enable(args.work, pool=args.fast_pool, bn=args.fast_bn)

    # Fork the other ranks before this process runs any PyTorch kernel
    # (an OpenMP runtime does not survive a fork); they share the data.
    port = free_port()
    ctx = mp.get_context("fork")
    others = [ctx.Process(target=run, daemon=True,
                          args=(r, port, args, data, cdata, mean, std))
              for r in range(1, args.ranks)]
    for o in others:
        o.start()
    run(0, port, args, data, cdata, mean, std)
    for o in others:
        o.join()
        if o.exitcode:
            raise SystemExit("rank failed with exit code %d" % o.exitcode)
    print("done in %.1f min" % ((time.time() - t0) / 60), flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(rank, port, args, data, cdata, mean, std):
    """One rank: the same model and steps as the others, on its share of
    every batch (and of the validation sets); the gradients are averaged
    before each step.  Rank 0 reports and writes the checkpoints."""
    world = args.ranks
    torch.set_num_threads(args.threads)
    if world > 1:
        torch.distributed.init_process_group(
            "gloo", init_method="tcp://127.0.0.1:%d" % port, rank=rank,
            world_size=world, timeout=datetime.timedelta(minutes=15))
    xt, yt, bt, xv, yv, bv = data
    if cdata is not None:
        cxt, cyt, cbt, cxv, cyv, cbv = cdata
    torch.manual_seed(SEED)
    ck = None
    if args.resume:
        ck = torch.load(args.resume, map_location="cpu")
        args.width, args.size = ck["width"], ck["size"]
        args.stem_pool = ck.get("stem_pool", "early")
    net = model.GoogLeNet(n_classes=11, width=args.width, size=args.size,
                          stem_pool=args.stem_pool, dropout=args.dropout)
    if rank == 0:
        per, frame = model.dense_macs(net, args.size, WINDOWS)
        n_params = sum(p.numel() for n_, p in net.named_parameters()
                       if not n_.startswith("aux"))
        print("model: width %.4g, input %d, stem pool %s, dropout %g, "
              "stride 16, %d params (no aux), %.2f M MACs per window, dense "
              "640x480 with windows %s: %.0f M MACs per frame; %d ranks of "
              "%d threads" %
              (args.width, args.size, args.stem_pool, args.dropout,
               n_params, per / 1e6,
               ",".join(map(str, WINDOWS)), frame / 1e6, world,
               args.threads), flush=True)
    mean, std = torch.from_numpy(mean), torch.from_numpy(std)

    per_epoch = min(args.epoch_windows or len(xt), len(xt))
    steps = args.epochs * (per_epoch // args.batch)
    box_params = list(net.box.parameters())
    ids = set(id(p) for p in box_params)
    groups = [dict(params=[p for p in net.parameters() if id(p) not in ids]),
              dict(params=box_params, lr=args.lr * BOX_LR)]
    opt = torch.optim.SGD(groups, lr=args.lr, momentum=0.9,
                          nesterov=True, weight_decay=1e-4)
    history = []
    first = 1
    if ck is not None:
        missing, unexpected = net.load_state_dict(ck["state"], strict=False)
        if unexpected or any(not k.startswith("box.") for k in missing):
            raise SystemExit("%s: does not fit this model (missing %s, "
                             "unexpected %s)" % (args.resume, missing,
                                                 unexpected))
        mean, std = torch.tensor(ck["mean"]), torch.tensor(ck["std"])
        history = ck["history"]
        first = len(history) + 1
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    else:
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=[args.lr, args.lr * BOX_LR], total_steps=steps,
            pct_start=0.2)
    # The same order on every rank; each augments its share its own way.
    gen = np.random.default_rng(SEED if first == 1 else SEED + first)
    aug = np.random.default_rng([SEED, first, rank])
    os.makedirs(args.work, exist_ok=True)
    net = net.to(memory_format=torch.channels_last)
    params = list(net.parameters())
    bn = [t for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)
          for t in (m.running_mean, m.running_var)]
    last = first + (min(args.stop_after, args.epochs) if args.stop_after
                    else args.epochs)

    def validate(dense_only=False):
        sums = {} if dense_only else evaluate(net, xv[rank::world],
                                               yv[rank::world],
                                               bv[rank::world], mean, std,
                                               bf16=args.bf16)
        if cdata is not None:
            sums.update(evaluate_dense(net, cxv[rank::world],
                                       cyv[rank::world], cbv[rank::world],
                                       mean, std, bf16=args.bf16))
        return means(reduce_sums(sums, world))

    if cdata is not None and args.resume:
        v = validate(dense_only=True)
        if rank == 0:
            print("  dense, before: val items %.4f background %.4f box IoU "
                  "%.3f" % (v["val_dense_pos_acc"], v["val_dense_bg_acc"],
                            v.get("val_dense_box_iou", 0)), flush=True)
    class_weight = torch.ones(11)
    class_weight[:canvases.BACKGROUND] = args.item_weight
    for epoch in range(first, last):
        use_canvases = cdata is not None and (
            epoch - first + 1 >= args.canvases_from)
        net.train()
        if args.freeze_bn and use_canvases:
            for m in net.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.eval()
        te = time.time()
        order = gen.permutation(len(xt))[:per_epoch]
        # train loss, box loss, correct, windows, dense loss, dense steps
        stats = torch.zeros(6, dtype=torch.float64)
        if use_canvases:
            corder = gen.permutation(len(cxt))
        for step, i in enumerate(range(0, len(order) - args.batch + 1,
                                       args.batch)):
            idx = np.sort(order[i:i + args.batch][rank::world])
            xa, ba = augment(xt[idx], bt[idx], aug)
            x = to_tensor(xa, mean, std)
            y = torch.from_numpy(yt[idx])
            with autocast(args.bf16):
                out, box, aux = net(x)
            out, aux = out.float(), [a.float() for a in aux]
            box = box.float() if box is not None else None
            loss_main = F.cross_entropy(out, y, label_smoothing=0.05)
            loss_box = box_loss(box, torch.from_numpy(ba))
            loss = loss_main + BOX_WEIGHT * loss_box + 0.3 * sum(
                F.cross_entropy(a, y, label_smoothing=0.05) for a in aux)
            if use_canvases:
                # Wrapping around, so that every rank always gets its share.
                k = step * args.canvas_batch + np.arange(args.canvas_batch)
                cidx = np.sort(corder[k % len(cxt)][rank::world])
                ca, cy, cb = augment_canvases(cxt[cidx], cyt[cidx],
                                              cbt[cidx], aug)
                loss_dense, loss_dbox = dense_loss(
                    net, to_tensor(ca, mean, std), cy, cb, class_weight,
                    args.bf16)
                loss = loss + loss_dense + BOX_WEIGHT * loss_dbox
                stats[4] += loss_dense.item()
                stats[5] += 1
            opt.zero_grad(set_to_none=True)
            loss.backward()
            # The gradients and the losses, summed over the ranks in one
            # exchange: every rank sees the same and takes the same step.
            for p in params:
                if p.grad is None:   # same buffer layout on every rank
                    p.grad = torch.zeros_like(p)
            grads = [p.grad for p in params]
            losses = torch.stack([loss.detach(), loss_main.detach(),
                                  loss_box.detach()])
            all_reduce(grads + [losses], world)
            if not torch.isfinite(losses).all():
                raise SystemExit("epoch %d step %d: loss is %s (main %s, box "
                                 "%s, summed over the ranks); lower --lr" %
                                 ((epoch, step) + tuple(losses.tolist())))
            for g in grads:
                g.div_(world)
            if args.clip:
                torch.nn.utils.clip_grad_norm_(net.parameters(), args.clip)
            opt.step()
            sched.step()
            stats[0] += loss_main.item() * len(y)
            stats[1] += loss_box.item() * len(y)
            stats[2] += (out.argmax(1) == y).sum().item()
            stats[3] += len(y)
        # Batch-norm statistics differ a little between the ranks: average.
        all_reduce(bn, world)
        for t in bn:
            t.div_(world)
        all_reduce([stats], world)
        v = validate()
        if rank != 0:
            continue
        tl, tb, tc, tn, td, tdn = stats.tolist()
        if tdn:
            v["train_dense_loss"] = td / tdn
        h = dict(epoch=epoch, train_loss=tl / tn, train_acc=tc / tn,
                 val_loss=v["val_loss"], val_acc=v["val_acc"],
                 lr=sched.get_last_lr()[0], seconds=time.time() - te,
                 train_box_loss=tb / tn, val_box_iou=v.get("val_box_iou"),
                 val_box_iou50=v.get("val_box_iou50"),
                 train_dense_loss=v.get("train_dense_loss"),
                 val_dense_pos_acc=v.get("val_dense_pos_acc"),
                 val_dense_bg_acc=v.get("val_dense_bg_acc"),
                 val_dense_box_iou=v.get("val_dense_box_iou"))
        history.append(h)
        print("epoch %d: train loss %.4f acc %.4f box %.4f | val loss %.4f "
              "acc %.4f box IoU %.3f (%.3f >= 0.5) | %.0f s" %
              (epoch, h["train_loss"], h["train_acc"], h["train_box_loss"],
               h["val_loss"], h["val_acc"], v.get("val_box_iou", 0),
               v.get("val_box_iou50", 0), h["seconds"]), flush=True)
        if cdata is not None:
            print("  dense: train loss %s | val items %.4f background "
                  "%.4f box IoU %.3f" % ("%.4f" % v["train_dense_loss"]
                                         if tdn else "-",
                                         v["val_dense_pos_acc"],
                                         v["val_dense_bg_acc"],
                                         v.get("val_dense_box_iou", 0)),
                  flush=True)
        ck = dict(state=net.state_dict(), width=args.width, size=args.size,
                  stem_pool=args.stem_pool, dropout=args.dropout,
                  mean=mean.tolist(),
                  std=std.tolist(), history=history,
                  seed=SEED)
        torch.save(ck, os.path.join(args.work, "checkpoint.pt"))
        torch.save(ck, os.path.join(args.work, "checkpoint-epoch%d.pt" %
                                    epoch))
        with open(os.path.join(args.out, "history.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(h.keys()), restval="")
            w.writeheader()
            for r in history:
                w.writerow({k: ("%.6g" % v if isinstance(v, float) else v)
                            for k, v in r.items()})
        plot(history, os.path.join(args.out, "training.png"))


if __name__ == "__main__":
    main()
