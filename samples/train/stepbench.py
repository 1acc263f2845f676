#!/usr/bin/python3
"""Seconds per training step of model.GoogLeNet, as train.py's ranks run
it: one thread, channels-last, bfloat16 autocast, SGD with Nesterov
momentum; 128 windows of 48x48 (one rank's half of a batch), and with
--canvases also 8 canvases of 160x160 through dense mode.  Random data:
the cost does not depend on it.  Compares the C training kernels
(fastops.py) with PyTorch's own:

  /usr/bin/python3 samples/train/stepbench.py [--stem-pool late] \\
      [--no-fast-pool] [--no-fast-bn] [--canvases] [--steps 10]

Prints the median step time over --steps steps after 3 warm-up steps.
Run it on an otherwise idle machine.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fastops  # noqa: E402
import model  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--width", type=float, default=0.3)
    p.add_argument("--stem-pool", choices=("early", "late"), default="late")
    p.add_argument("--fast-pool", action=argparse.BooleanOptionalAction,
                   default=True)
    p.add_argument("--fast-bn", action=argparse.BooleanOptionalAction,
                   default=True)
    p.add_argument("--size", type=int, default=48,
                   help="window size in pixels (the model's input)")
    p.add_argument("--canvases", action="store_true")
    p.add_argument("--steps", type=int, default=10)
    args = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    work = tempfile.TemporaryDirectory()
    if args.fast_pool or args.fast_bn:
        if not fastops.enable(work.name, pool=args.fast_pool,
                              bn=args.fast_bn):
            sys.exit("stepbench: the C kernels did not build")
    net = model.GoogLeNet(width=args.width, stem_pool=args.stem_pool,
                          size=args.size)
    net = net.to(memory_format=torch.channels_last).train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9,
                          nesterov=True)
    cl = torch.channels_last
    x = torch.randn(128, 3, args.size, args.size).contiguous(
        memory_format=cl)
    y = torch.randint(0, 11, (128,))
    xc = torch.randn(8, 3, 160, 160).contiguous(memory_format=cl)

    def step():
        with torch.cpu.amp.autocast(dtype=torch.bfloat16):
            logits, box, aux = net(x)
            extra = 0
            if args.canvases:
                dl, db = net.dense(xc)
                extra = dl.float().mean() + db.float().mean()
        loss = (F.cross_entropy(logits.float(), y)
                + sum(0.3 * F.cross_entropy(a.float(), y) for a in aux)
                + box.float().abs().mean() + extra)
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    print("width %g, input %d, stem pool %s, C max-pool %s, C batch norm + "
          "ReLU %s, %s: %.3f s a step (median of %d)" %
          (args.width, args.size, args.stem_pool,
           "on" if args.fast_pool else "off",
           "on" if args.fast_bn else "off",
           "128 windows + 8 canvases" if args.canvases else "128 windows",
           statistics.median(times), args.steps))
    work.cleanup()


if __name__ == "__main__":
    main()
