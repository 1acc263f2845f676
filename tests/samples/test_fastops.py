#!/usr/bin/python3
"""The training's C kernels (samples/train/fastpool.c, fastbn.c) against
plain numpy: max-pooling's outputs, the winners' indices (the first maximum
in row-major order; padding never wins; -0 equals +0; a NaN wins) and its
backward pass, over strides, paddings, odd sizes and many ties; batch norm
+ ReLU forward and backward, with batch and with running statistics, in
float64.  Needs python3, numpy and a C compiler (cc or $CC); with PyTorch
installed, also fastops.py's modules against PyTorch's own."""

import os
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("GNET_SRCDIR", os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "samples", "train"))
import fastlib  # noqa: E402


def to_float(b):
    return (b.astype(np.uint32) << 16).view(np.float32)


def to_bf16(f):
    """Round float32 to the nearest bfloat16 (even on ties), as bits."""
    u = np.ascontiguousarray(f, np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7fff + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def out_size(n, stride, pad):
    """PyTorch's ceil-mode output size of a 3-wide pool."""
    span = n + 2 * pad - 3
    o = -(-span // stride) + 1
    if (o - 1) * stride >= n + pad:
        o -= 1
    return o


def reference(x, stride, pad):
    """x: N x H x W x C bfloat16 bits.  Returns the output bits and the
    winner of each output as (row, column) in the input."""
    n, h, w, c = x.shape
    oh, ow = out_size(h, stride, pad), out_size(w, stride, pad)
    v = to_float(x)
    y = np.zeros((n, oh, ow, c), np.uint16)
    win = np.zeros((n, oh, ow, c, 2), np.int64)
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    best, at = None, None
                    for ki in range(3):
                        for kj in range(3):
                            hi, wi = i * stride - pad + ki, j * stride - pad + kj
                            if not (0 <= hi < h and 0 <= wi < w):
                                continue
                            f = v[b, hi, wi, ch]
                            if best is None or (np.isnan(f) and not np.isnan(best)) \
                                    or (not np.isnan(best) and f > best):
                                best, at = f, (hi, wi)
                    y[b, i, j, ch] = x[b, at[0], at[1], ch]
                    win[b, i, j, ch] = at
    return y, win


class Kernels(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.lib = fastlib.load(cls.tmp.name, flags=("-O2",))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()


class TestFastPool(Kernels):
    def run_pool(self, x, gy_f, stride, pad):
        n, h, w, c = x.shape
        oh, ow = out_size(h, stride, pad), out_size(w, stride, pad)
        y = np.empty((n, oh, ow, c), np.uint16)
        idx = np.empty((n, oh, ow, c), np.uint16)
        self.assertEqual(self.lib.fastpool_forward(
            x.ctypes.data, y.ctypes.data, idx.ctypes.data, n, h, w, c, oh,
            ow, stride, pad), 0)
        gy = to_bf16(gy_f)
        gx = np.empty_like(x)
        acc = np.empty(h * w * c, np.float32)
        self.assertEqual(self.lib.fastpool_backward(
            gy.ctypes.data, idx.ctypes.data, gx.ctypes.data, acc.ctypes.data,
            n, h, w, c, oh, ow, stride, pad), 0)
        return y, idx, gy, gx

    def check(self, x, stride, pad, seed):
        rng = np.random.default_rng(seed)
        n, h, w, c = x.shape
        oh, ow = out_size(h, stride, pad), out_size(w, stride, pad)
        gy_f = rng.standard_normal((n, oh, ow, c)).astype(np.float32)
        y, idx, gy, gx = self.run_pool(x, gy_f, stride, pad)
        want_y, win = reference(x, stride, pad)
        yf, wf = to_float(y), to_float(want_y)
        # same values (NaN where NaN; -0 comes out as +0)
        self.assertTrue(np.array_equal(np.isnan(yf), np.isnan(wf)))
        ok = ~np.isnan(wf)
        np.testing.assert_array_equal(yf[ok], wf[ok])
        # the same winners, as window indices
        ii = np.arange(oh)[None, :, None, None]
        jj = np.arange(ow)[None, None, :, None]
        want_idx = (win[..., 0] - (ii * stride - pad)) * 3 + \
            (win[..., 1] - (jj * stride - pad))
        np.testing.assert_array_equal(idx, want_idx)
        # backward: each input sums its outputs' gradients (float, one
        # rounding)
        want = np.zeros((n, h, w, c), np.float64)
        bb, ci = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
        for i in range(oh):
            for j in range(ow):
                np.add.at(want, (bb, win[:, i, j, :, 0], win[:, i, j, :, 1],
                                 ci), to_float(gy[:, i, j, :]))
        got = to_float(gx).astype(np.float64)
        np.testing.assert_allclose(got, want, rtol=2 ** -8, atol=1e-30)

    def test_random(self):
        rng = np.random.default_rng(1)
        for stride, pad, shape in ((1, 1, (2, 5, 7, 3)), (2, 1, (2, 7, 9, 5)),
                                   (2, 1, (1, 6, 6, 17)), (1, 1, (1, 1, 1, 2)),
                                   (2, 1, (1, 2, 3, 4)), (2, 0, (2, 8, 7, 3)),
                                   (1, 0, (1, 4, 5, 33))):
            with self.subTest(stride=stride, pad=pad, shape=shape):
                x = to_bf16(rng.standard_normal(shape).astype(np.float32))
                self.check(x, stride, pad, 2)

    def test_ties_zeros_and_negatives(self):
        rng = np.random.default_rng(3)
        # few distinct values: most windows tie; signed zeros; all negative
        vals = np.array([-2, -1, -0.0, 0.0, 1, 1.5], np.float32)
        x = to_bf16(rng.choice(vals, (3, 6, 5, 8)))
        self.check(x, 1, 1, 4)
        self.check(x, 2, 1, 5)
        x = to_bf16(-np.abs(rng.standard_normal((2, 5, 5, 4))).astype(
            np.float32) - 1)
        self.check(x, 2, 1, 6)

    def test_nan_and_inf_win(self):
        f = np.zeros((1, 4, 4, 2), np.float32)
        f[0, 1, 2, 0] = np.nan
        f[0, 2, 1, 1] = -np.inf
        f[0, 3, 3, 1] = np.inf
        x = to_bf16(f)
        self.check(x, 1, 1, 7)
        self.check(x, 2, 1, 8)


def bn_reference(x, gamma, beta, mean, var, batch_stats, gy, eps):
    """float64 batch norm + ReLU on M x C rows: (y, gx, dgamma, dbeta,
    mean, biased var)."""
    v = to_float(x).astype(np.float64)
    m = len(v)
    if batch_stats:
        mean = v.mean(0)
        var = ((v - mean) ** 2).mean(0)
    invstd = 1 / np.sqrt(var + eps)
    xh = (v - mean) * invstd
    pre = xh * gamma + beta
    y = np.maximum(pre, 0)
    g = np.where(to_float(to_bf16(y)) > 0, to_float(gy), 0.0)
    dbeta, dgamma = g.sum(0), (g * xh).sum(0)
    if batch_stats:
        gx = gamma * invstd * (g - dbeta / m - xh * dgamma / m)
    else:
        gx = gamma * invstd * g
    return y, gx, dgamma, dbeta, mean, var


class TestFastBN(Kernels):
    def run_bn(self, x, gamma, beta, mean, var, batch_stats, gy, eps):
        m, c = x.shape
        f32 = lambda a: np.ascontiguousarray(a, np.float32)  # noqa: E731
        gamma, beta, mean, var = f32(gamma), f32(beta), f32(mean), f32(var)
        y, gx = np.empty_like(x), np.empty_like(x)
        invstd = np.empty(c, np.float32)
        fs = np.empty(7 * max(2048, c), np.float32)
        ds = np.empty(2 * c, np.float64)
        self.lib.fastbn_forward(x.ctypes.data, y.ctypes.data, m, c,
                                gamma.ctypes.data, beta.ctypes.data,
                                mean.ctypes.data, var.ctypes.data,
                                invstd.ctypes.data, int(batch_stats), eps,
                                fs.ctypes.data, ds.ctypes.data)
        dgamma, dbeta = np.empty(c, np.float32), np.empty(c, np.float32)
        self.lib.fastbn_backward(gy.ctypes.data, x.ctypes.data,
                                 y.ctypes.data, gx.ctypes.data, m, c,
                                 gamma.ctypes.data, mean.ctypes.data,
                                 invstd.ctypes.data, int(batch_stats),
                                 dgamma.ctypes.data, dbeta.ctypes.data,
                                 fs.ctypes.data, ds.ctypes.data)
        return y, gx, dgamma, dbeta, mean, var

    def test_against_float64(self):
        rng = np.random.default_rng(9)
        # channel counts below, at and above the kernels' 2048-value chunk,
        # row counts that leave a partial chunk
        for m, c in ((300, 20), (77, 3), (5, 2048), (9, 2100), (1000, 77)):
            for batch_stats in (True, False):
                with self.subTest(m=m, c=c, batch_stats=batch_stats):
                    x = to_bf16((rng.standard_normal((m, c)) * 3 + 1)
                                .astype(np.float32))
                    gy = to_bf16(rng.standard_normal((m, c))
                                 .astype(np.float32))
                    gamma = rng.uniform(0.5, 1.5, c)
                    beta = rng.uniform(-0.5, 0.5, c)
                    rmean = rng.uniform(-1, 1, c)
                    rvar = rng.uniform(0.5, 2, c)
                    got = self.run_bn(x, gamma, beta, rmean, rvar,
                                      batch_stats, gy, 1e-5)
                    want = bn_reference(x, gamma, beta, rmean, rvar,
                                        batch_stats, gy, 1e-5)
                    y, gx = to_float(got[0]), to_float(got[1])
                    # bfloat16 outputs: within one rounding (2^-8 relative)
                    # plus what float32 statistics move them by
                    np.testing.assert_allclose(y, want[0], rtol=2 ** -7,
                                               atol=1e-4)
                    scale = np.abs(want[1]).max()
                    np.testing.assert_allclose(gx, want[1], rtol=2 ** -7,
                                               atol=scale * 2 ** -9)
                    for k in (2, 3):
                        s = np.abs(want[k]).max()
                        np.testing.assert_allclose(got[k], want[k],
                                                   rtol=1e-4, atol=s * 1e-5)
                    if batch_stats:
                        np.testing.assert_allclose(got[4], want[4],
                                                   rtol=1e-5, atol=1e-6)
                        np.testing.assert_allclose(got[5], want[5],
                                                   rtol=1e-5)

    def test_zero_output_stops_gradient(self):
        # everything below zero after the affine step: y and gx all zero
        x = to_bf16(np.full((50, 4), -3.0, np.float32))
        gy = to_bf16(np.ones((50, 4), np.float32))
        y, gx, dgamma, dbeta, _, _ = self.run_bn(
            x, np.ones(4), np.zeros(4), np.zeros(4), np.ones(4), False, gy,
            1e-5)
        self.assertFalse(to_float(y).any())
        self.assertFalse(to_float(gx).any())
        self.assertFalse(dgamma.any() or dbeta.any())


try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None


@unittest.skipUnless(torch is not None, "no PyTorch (python3-torch)")
class TestAgainstPyTorch(unittest.TestCase):
    """fastops.MaxPool3 and fastops.bn_relu, which model.GoogLeNet trains
    with, against PyTorch's own max-pool and BatchNorm2d + ReLU."""

    @classmethod
    def setUpClass(cls):
        import fastops
        cls.tmp = tempfile.TemporaryDirectory()
        assert fastops.enable(cls.tmp.name)
        cls.fastops = fastops

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_pool(self):
        """The same outputs and the same gradients up to the rounding of
        their sums."""
        torch.manual_seed(0)
        for shape, stride in (((4, 20, 24, 24), 2), ((4, 56, 13, 13), 1),
                              ((3, 5, 7, 9), 2), ((2, 9, 1, 1), 1)):
            x = torch.randn(shape).to(torch.bfloat16).contiguous(
                memory_format=torch.channels_last)
            xa = x.clone().requires_grad_(True)
            xb = x.clone().requires_grad_(True)
            ya = self.fastops.MaxPool3(stride, 1)(xa)
            yb = F.max_pool2d(xb, 3, stride, 1, ceil_mode=True)
            self.assertTrue(torch.equal(ya, yb))
            gy = torch.randn(ya.shape).to(torch.bfloat16)
            ya.backward(gy)
            yb.backward(gy)
            diff = (xa.grad.float() - xb.grad.float()).abs()
            # PyTorch rounds each partial sum (up to 9 terms) to
            # bfloat16: half a unit of the largest partial sum each
            tol = 9 * 2 ** -9 * gy.float().abs().max()
            self.assertTrue(bool((diff <= tol).all()), shape)

    def test_bn_relu(self):
        """Outputs, gradients of the input, scale and shift, and the
        running statistics, with batch statistics and frozen ones."""
        import copy
        torch.manual_seed(1)
        for shape in ((8, 20, 12, 12), (4, 77, 7, 7), (3, 5, 2, 2)):
            for training in (True, False):
                c = shape[1]
                a = torch.nn.BatchNorm2d(c)
                with torch.no_grad():
                    a.weight.uniform_(0.5, 1.5)
                    a.bias.uniform_(-0.5, 0.5)
                    a.running_mean.uniform_(-1, 1)
                    a.running_var.uniform_(0.5, 2)
                b = copy.deepcopy(a)
                a.train(training)
                b.train(training)
                x = (torch.randn(shape) * 2 + 0.5).to(torch.bfloat16) \
                    .contiguous(memory_format=torch.channels_last)
                xa = x.clone().requires_grad_(True)
                xb = x.clone().requires_grad_(True)
                ya = self.fastops.bn_relu(a, xa)
                yb = F.relu(b(xb))
                gy = torch.randn(shape).to(torch.bfloat16)
                ya.backward(gy)
                yb.backward(gy)

                def close(p, q, rel):
                    p, q = p.detach().float(), q.detach().float()
                    tol = rel * q.abs().max() + 1e-6
                    self.assertLessEqual(float((p - q).abs().max()),
                                         float(tol), (shape, training))
                close(ya, yb, 2 ** -6)
                close(xa.grad, xb.grad, 2 ** -6)
                close(a.weight.grad, b.weight.grad, 1e-3)
                close(a.bias.grad, b.bias.grad, 1e-3)
                close(a.running_mean, b.running_mean, 1e-5)
                close(a.running_var, b.running_var, 1e-5)
                self.assertEqual(int(a.num_batches_tracked),
                                 int(b.num_batches_tracked))


if __name__ == "__main__":
    unittest.main()
