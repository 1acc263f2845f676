#!/usr/bin/python3
"""Train the default gnet model: a GoogLeNet sliding-window classifier for
the ten Fashion-MNIST classes plus background.

  nice /usr/bin/python3 samples/train/train.py        # about 40 min, 2 cores
  /usr/bin/python3 samples/train/export.py            # ONNX + accuracy

Only the train split is used: 55,000 items for training windows, 5,000
held-out items for validation windows.  The test split is kept for the
accuracy figure (export.py) and the sample video.  Writes history.csv and
training.png next to this script, and a checkpoint in the work directory.
"""

import argparse
import csv
import multiprocessing as mp
import os
import sys
import time

# Threads that wait passively: with busy-waiting OpenMP threads, a niced
# run on a shared two-core machine slows down more than tenfold.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model  # noqa: E402
import windows  # noqa: E402
import render  # noqa: E402  (windows put samples/scenes on the path)

SEED = 20240607
N_VAL_ITEMS = 5000


def split_items(seed=SEED):
    images, labels = render.load_split("train")
    perm = np.random.default_rng(seed).permutation(len(images))
    val, train = perm[:N_VAL_ITEMS], perm[N_VAL_ITEMS:]
    return (images[train], labels[train]), (images[val], labels[val])


def _gen(job):
    which, n, seed, size = job
    tr, va = split_items()
    images, labels = tr if which == "train" else va
    return windows.make_windows(images, labels, n, seed, size)


def build_data(n_train, n_val, size, cache, workers=2):
    """Windows are drawn once (in `workers` processes) and cached: drawing
    costs about as much as one epoch of training."""
    if cache and os.path.exists(cache):
        d = np.load(cache)
        if len(d["xt"]) == n_train and len(d["xv"]) == n_val:
            return d["xt"], d["yt"], d["xv"], d["yv"]
    chunks = 8
    jobs = [("train", n_train // chunks, SEED + 1 + i, size)
            for i in range(chunks)]
    jobs.append(("val", n_val, SEED + 100, size))
    with mp.Pool(workers) as pool:
        parts = pool.map(_gen, jobs)
    xt = np.concatenate([p[0] for p in parts[:-1]])
    yt = np.concatenate([p[1] for p in parts[:-1]])
    xv, yv = parts[-1]
    if cache:
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        np.savez(cache, xt=xt, yt=yt, xv=xv, yv=yv)
    return xt, yt, xv, yv


def to_tensor(x, mean, std):
    t = torch.from_numpy(x).permute(0, 3, 1, 2).float().div_(255.0)
    return (t - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)


def augment(x, gen):
    """Per batch, on uint8 NHWC numpy: flips, a small shift, channel order
    (colour) permutation, brightness and contrast."""
    n = len(x)
    x = x.copy()
    flip = gen.random(n) < 0.5
    x[flip] = x[flip, :, ::-1]
    dx, dy = gen.integers(-3, 4, 2)
    x = np.roll(x, (int(dy), int(dx)), axis=(1, 2))
    perm = gen.random(n) < 0.5
    x[perm] = x[perm][..., gen.permutation(3)]
    xf = x.astype(np.float32)
    c = gen.uniform(0.75, 1.25, (n, 1, 1, 1)).astype(np.float32)
    b = gen.uniform(-25, 25, (n, 1, 1, 1)).astype(np.float32)
    m = xf.mean(axis=(1, 2, 3), keepdims=True)
    xf = (xf - m) * c + m + b
    inv = gen.random(n) < 0.1  # negatives: light items on dark and reverse
    xf[inv] = 255.0 - xf[inv]
    return np.clip(xf, 0, 255).astype(np.uint8)


def evaluate(net, x, y, mean, std, bs=500):
    net.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(x), bs):
            out = net(to_tensor(x[i:i + bs], mean, std))
            t = torch.from_numpy(y[i:i + bs])
            loss += F.cross_entropy(out, t, reduction="sum").item()
            correct += (out.argmax(1) == t).sum().item()
    return loss / len(x), correct / len(x)


def plot(history, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ep = [h["epoch"] for h in history]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    a.plot(ep, [h["train_loss"] for h in history], "o-", label="train")
    a.plot(ep, [h["val_loss"] for h in history], "s-", label="validation")
    a.set_xlabel("epoch")
    a.set_ylabel("cross-entropy (main head)")
    a.legend()
    a.grid(alpha=0.3)
    b.plot(ep, [h["train_acc"] for h in history], "o-", label="train")
    b.plot(ep, [h["val_acc"] for h in history], "s-", label="validation")
    b.set_xlabel("epoch")
    b.set_ylabel("11-way window accuracy")
    b.legend()
    b.grid(alpha=0.3)
    fig.suptitle("gnet default model: GoogLeNet on Fashion-MNIST windows")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--n-train", type=int, default=152000)
    p.add_argument("--n-val", type=int, default=10000)
    p.add_argument("--width", type=float, default=0.125)
    p.add_argument("--size", type=int, default=48)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=0.2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--work", default=os.path.join(HERE, "..", "..",
                                                 "build-train"))
    p.add_argument("--out", default=HERE,
                   help="where history.csv and training.png go")
    p.add_argument("--resume", metavar="CHECKPOINT",
                   help="continue from a checkpoint for --epochs more "
                        "epochs, the learning rate falling from --lr to 0 "
                        "(cosine); the history continues")
    args = p.parse_args()

    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    net = model.GoogLeNet(n_classes=11, width=args.width)
    per, frame = model.dense_macs(net, args.size, (96, 176))
    n_params = sum(p.numel() for n_, p in net.named_parameters()
                   if not n_.startswith("aux"))
    print("model: width %.4g, input %d, stride 16, %d params (no aux), "
          "%.2f M MACs per window, dense 640x480 with windows 96,176: "
          "%.0f M MACs per frame" % (args.width, args.size, n_params,
                                     per / 1e6, frame / 1e6), flush=True)

    t0 = time.time()
    cache = os.path.join(args.work, "windows-%d-%d-%d.npz" %
                         (args.size, args.n_train, args.n_val))
    xt, yt, xv, yv = build_data(args.n_train, args.n_val, args.size, cache)
    print("data: %d train, %d val windows (%.0f s); train class counts %s" %
          (len(xt), len(xv), time.time() - t0, np.bincount(yt).tolist()),
          flush=True)
    sub = xt[:20000].astype(np.float32) / 255.0
    mean = torch.tensor(sub.mean(axis=(0, 1, 2)).mean().repeat(3))
    std = torch.tensor(sub.std(axis=(0, 1, 2)).mean().repeat(3))
    del sub

    steps = args.epochs * (len(xt) // args.batch)
    opt = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=0.9,
                          nesterov=True, weight_decay=1e-4)
    history = []
    first = 1
    if args.resume:
        ck = torch.load(args.resume, map_location="cpu")
        net.load_state_dict(ck["state"])
        mean, std = torch.tensor(ck["mean"]), torch.tensor(ck["std"])
        history = ck["history"]
        first = len(history) + 1
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    else:
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=args.lr, total_steps=steps, pct_start=0.2)
    gen = np.random.default_rng(SEED if first == 1 else SEED + first)
    os.makedirs(args.work, exist_ok=True)
    for epoch in range(first, first + args.epochs):
        net.train()
        te = time.time()
        order = gen.permutation(len(xt))
        tl, tc, tn = 0.0, 0, 0
        for i in range(0, len(order) - args.batch + 1, args.batch):
            idx = np.sort(order[i:i + args.batch])
            x = to_tensor(augment(xt[idx], gen), mean, std)
            y = torch.from_numpy(yt[idx])
            out, aux = net(x)
            loss_main = F.cross_entropy(out, y, label_smoothing=0.05)
            loss = loss_main + 0.3 * sum(
                F.cross_entropy(a, y, label_smoothing=0.05) for a in aux)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tl += loss_main.item() * len(y)
            tc += (out.argmax(1) == y).sum().item()
            tn += len(y)
        vl, va = evaluate(net, xv, yv, mean, std)
        h = dict(epoch=epoch, train_loss=tl / tn, train_acc=tc / tn,
                 val_loss=vl, val_acc=va, lr=sched.get_last_lr()[0],
                 seconds=time.time() - te)
        history.append(h)
        print("epoch %d: train loss %.4f acc %.4f | val loss %.4f acc %.4f "
              "| %.0f s" % (epoch, h["train_loss"], h["train_acc"], vl, va,
                            h["seconds"]), flush=True)
        torch.save(dict(state=net.state_dict(), width=args.width,
                        size=args.size, mean=mean.tolist(), std=std.tolist(),
                        history=history, seed=SEED),
                   os.path.join(args.work, "checkpoint.pt"))
        with open(os.path.join(args.out, "history.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(h.keys()))
            w.writeheader()
            for r in history:
                w.writerow({k: ("%.6g" % v if isinstance(v, float) else v)
                            for k, v in r.items()})
        plot(history, os.path.join(args.out, "training.png"))
    print("done in %.1f min" % ((time.time() - t0) / 60), flush=True)


if __name__ == "__main__":
    main()
