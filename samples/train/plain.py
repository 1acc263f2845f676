#!/usr/bin/python3
"""How far can the architecture go on the accuracy test itself?

Trains the default model's GoogLeNet (any --width) on plain Fashion-MNIST
single windows - the training split's items rendered exactly as the
accuracy test renders the test split (windows.single_windows: grey on
black, 36 px centred in 48) - with flips and shifts of up to 3 pixels, and
prints the 10-way test accuracy after every epoch.  No clutter, no tint, no
background windows, no box head: an upper bound for what the detector's
model, which must also do all of that, can reach on the test at that width
and number of epochs.  Nothing here is shipped.

  /usr/bin/python3 samples/train/plain.py --width 0.125 --epochs 10
"""

import argparse
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # see train.py

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model  # noqa: E402
import train  # noqa: E402
import windows  # noqa: E402
import render  # noqa: E402  (windows put samples/scenes on the path)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--width", type=float, default=0.125)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--lr", type=float, default=0.2)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--bf16", action=argparse.BooleanOptionalAction,
                   default=False,
                   help="train in bfloat16 autocast, as train.py does "
                        "(the test is float32)")
    p.add_argument("--stem-pool", choices=("early", "late"), default="early",
                   help="where the stem's max-pool sits (model.GoogLeNet)")
    a = p.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(a.threads)
    (items, item_labels), _ = train.split_items()
    test_items, test_labels = render.load_split("t10k")
    xt = windows.single_windows(items)
    xs = windows.single_windows(test_items)
    mean = torch.full((3,), float(xt.mean() / 255.0))
    std = torch.full((3,), float(xt.std() / 255.0))
    net = model.GoogLeNet(width=a.width, box=False, stem_pool=a.stem_pool)
    net = net.to(memory_format=torch.channels_last)
    print("width %g: %d parameters, %.2f M MACs per window" %
          (a.width, sum(q.numel() for q in net.parameters()),
           model.count_macs(net, 48) / 1e6), flush=True)
    per_epoch = len(xt) // a.batch
    opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=0.9,
                          nesterov=True, weight_decay=5e-5)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, a.lr, total_steps=a.epochs * per_epoch, pct_start=0.2)
    gen = np.random.default_rng(0)
    yt = torch.from_numpy(item_labels.astype(np.int64))
    t0 = time.time()
    for epoch in range(1, a.epochs + 1):
        net.train()
        order = gen.permutation(len(xt))
        total = 0.0
        for s in range(per_epoch):
            idx = order[s * a.batch:(s + 1) * a.batch]
            x, _ = train.flip_shift(xt[idx], gen)
            with train.autocast(a.bf16):
                logits, _, aux = net(train.to_tensor(x, mean, std))
            logits, aux = logits.float(), [q.float() for q in aux]
            y = yt[idx]
            loss = F.cross_entropy(logits, y, label_smoothing=0.05)
            loss = loss + 0.3 * sum(F.cross_entropy(q, y) for q in aux)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        net.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(xs), 1000):
                out = net(train.to_tensor(xs[i:i + 1000], mean, std))[:, :10]
                correct += int((out.argmax(1).numpy()
                                == test_labels[i:i + 1000]).sum())
        print("epoch %d: train loss %.3f, test 10-way accuracy %.4f (%.0f s)"
              % (epoch, total / per_epoch, correct / len(xs),
                 time.time() - t0), flush=True)


if __name__ == "__main__":
    main()
