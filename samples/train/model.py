"""GoogLeNet (Szegedy et al. 2015) scaled for 64x64 sliding windows.

Same topology as the paper: stem (conv 7x7/2, conv 1x1, conv 3x3), nine
Inception modules in three stages (3a-3b, 4a-4e, 5a-5b) with 1x1 reductions
before the 3x3 and 5x5 branches and a pooled projection branch, max-pools
between stages, global average pooling, dropout, one fully connected layer.
Two auxiliary classifiers after 4a and 4d are used only for training.

Changes for this use, and why:
- widths are the paper's times a multiplier, so a whole 640x480 frame can be
  run densely at 30 fps on two cores;
- the max-pool between the stem and Inception 3a is dropped, so the total
  stride is 16 (not 32) and a 48x48 window ends in a 4x4 map (the pools
  round up): in dense mode the detector then steps by a third of the
  window;
- every convolution has BatchNorm (folded into the convolution at export by
  the engine), which trains much faster than the paper's LRN;
- a box head next to the classifier (OverFeat, Sermanet et al. 2014): one
  linear layer over the flattened last feature map (4x4 cells at input 48)
  regresses the item's tight box (x0, y0, x1, y1) in units of the window.
  Windows are square and step by a third of their side; the box head says
  where in the window the item is and how tall or wide it is.  The
  classifier itself is unchanged (global average pooling, one fc), so the
  class activation map still works.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from fastops import MaxPool3, bn_relu

# Paper widths (Table 1): #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj
INCEPTION = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}


def scaled(c, width):
    return max(4, int(round(c * width / 4.0)) * 4)


class ConvBN(nn.Sequential):
    def __init__(self, cin, cout, k, stride=1):
        super().__init__(
            nn.Conv2d(cin, cout, k, stride, k // 2, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return bn_relu(self[1], self[0](x))


class Inception(nn.Module):
    def __init__(self, cin, spec, width):
        super().__init__()
        c1, r3, c3, r5, c5, pp = [scaled(c, width) for c in spec]
        self.b1 = ConvBN(cin, c1, 1)
        self.b2 = nn.Sequential(ConvBN(cin, r3, 1), ConvBN(r3, c3, 3))
        self.b3 = nn.Sequential(ConvBN(cin, r5, 1), ConvBN(r5, c5, 5))
        self.b4 = nn.Sequential(
            MaxPool3(1, 1), ConvBN(cin, pp, 1)
        )
        self.cout = c1 + c3 + c5 + pp

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


class AuxHead(nn.Module):
    """Paper: avg-pool 5x5/3, 1x1 conv 128, fc 1024, dropout 0.7, fc."""

    def __init__(self, cin, n_classes, width):
        super().__init__()
        self.conv = ConvBN(cin, scaled(128, width), 1)
        self.fc1 = nn.Linear(scaled(128, width) * 4, scaled(1024, width))
        self.fc2 = nn.Linear(scaled(1024, width), n_classes)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(x, 2)
        x = torch.flatten(self.conv(x), 1)
        x = F.dropout(F.relu(self.fc1(x), inplace=True), 0.7, self.training)
        return self.fc2(x)


class GoogLeNet(nn.Module):
    def __init__(self, n_classes=11, width=0.25, aux=True, dropout=0.4,
                 size=48, box=True, stem_pool="early"):
        super().__init__()
        c64, c192 = scaled(64, width), scaled(192, width)
        if stem_pool not in ("early", "late"):
            raise ValueError("stem_pool must be early or late")
        # "early": the paper's stem, max-pool after the 7x7 convolution (the
        # pool before 3a is the one dropped).  "late": the 1x1 and 3x3
        # convolutions run at the 7x7's resolution and the pool comes
        # after them, where the paper has its second stem pool; same total
        # stride, the 3x3 costs four times as much.
        pool = MaxPool3(2, 1)
        convs = [ConvBN(c64, c64, 1), ConvBN(c64, c192, 3)]
        if stem_pool == "early":
            layers = [ConvBN(3, c64, 7, 2), pool] + convs
        else:
            layers = [ConvBN(3, c64, 7, 2)] + convs + [pool]
        self.stem = nn.Sequential(*layers)
        self.stem_pool = stem_pool
        c = c192
        mods = {}
        for name, spec in INCEPTION.items():
            mods[name] = Inception(c, spec, width)
            c = mods[name].cout
        self.inc = nn.ModuleDict(mods)
        self.pool = MaxPool3(2, 1)
        self.aux = aux
        if aux:
            self.aux1 = AuxHead(self.inc["4a"].cout, n_classes, width)
            self.aux2 = AuxHead(self.inc["4d"].cout, n_classes, width)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(c, n_classes)
        self.n_features = c
        self.box = None
        with torch.no_grad():
            was = self.training
            self.eval()
            cells = self.features(torch.zeros(1, 3, size, size))[0]
            self.train(was)
        self.cells = cells.shape[-1]   # a window's feature map is cells^2
        if box:
            self.box = nn.Linear(cells[0].numel(), 4)
            nn.init.zeros_(self.box.weight)
            with torch.no_grad():
                self.box.bias.copy_(torch.tensor([0.2, 0.2, 0.8, 0.8]))

    def features(self, x, aux=True):
        """Last feature map, and the auxiliary heads' logits when training
        (and aux)."""
        aux = aux and self.aux and self.training
        logits = []
        x = self.stem(x)
        x = self.inc["3b"](self.inc["3a"](x))
        x = self.pool(x)
        for name in ("4a", "4b", "4c", "4d", "4e"):
            x = self.inc[name](x)
            if aux and name == "4a":
                logits.append(self.aux1(x))
            if aux and name == "4d":
                logits.append(self.aux2(x))
        x = self.pool(x)
        x = self.inc["5b"](self.inc["5a"](x))
        return x, logits

    def dense(self, x):
        """Dense mode, as the detector runs it: every window of the input
        (the model's input size, stepping one cell) pooled from one
        feature map.  Returns logits (N, classes, ny, nx) and boxes
        (N, 4, ny, nx) or None; no auxiliary heads."""
        f, _ = self.features(x, aux=False)
        k = self.cells
        pooled = F.avg_pool2d(f, k, 1)
        logits = F.conv2d(self.dropout(pooled),
                          self.fc.weight[:, :, None, None], self.fc.bias)
        box = None
        if self.box is not None:
            box = F.conv2d(f, self.box.weight.view(4, -1, k, k),
                           self.box.bias)
        return logits, box

    def forward(self, x):
        """Training: (logits, box or None, aux logits); else logits."""
        f, aux = self.features(x)
        x = F.adaptive_avg_pool2d(f, 1)
        x = self.fc(self.dropout(torch.flatten(x, 1)))
        if self.training:
            box = self.box(torch.flatten(f, 1)) if self.box else None
            return x, box, aux
        return x


class Exported(nn.Module):
    """Inference graph: no auxiliary heads, softmax included; the box head,
    when there is one, as a second output."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        f, _ = self.net.features(x)
        x = torch.flatten(F.adaptive_avg_pool2d(f, 1), 1)
        prob = torch.softmax(self.net.fc(self.net.dropout(x)), 1)
        if self.net.box is None:
            return prob
        return prob, self.net.box(torch.flatten(f, 1))


def count_macs(net, size):
    """Multiply-accumulates of one window (convolutions and fc), by hooks."""
    macs = [0]

    def hook(mod, inp, out):
        if isinstance(mod, nn.Conv2d):
            k = mod.kernel_size[0] * mod.kernel_size[1]
            macs[0] += out.numel() // out.shape[0] * k * mod.in_channels // mod.groups
        elif isinstance(mod, nn.Linear):
            macs[0] += mod.in_features * mod.out_features

    hs = [m.register_forward_hook(hook) for m in net.modules()
          if isinstance(m, (nn.Conv2d, nn.Linear))]
    was = net.training
    net.eval()
    with torch.no_grad():
        Exported(net)(torch.zeros(1, 3, size, size))
    net.train(was)
    for h in hs:
        h.remove()
    return macs[0]


def dense_macs(net, size, windows, frame=(640, 480), stride=16):
    """Rough dense-mode cost of one frame: each pyramid level scales the
    frame by size/window and is run fully convolutionally, so its cost is
    (level area / window-input area) x per-window cost."""
    per = count_macs(net, size)
    total = 0
    for w in windows:
        s = size / w
        total += per * (frame[0] * s) * (frame[1] * s) / (size * size)
    return per, total
