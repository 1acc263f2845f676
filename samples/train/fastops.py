"""Faster training kernels for bfloat16, channels-last activations.

In PyTorch 1.13 on this machine's CPUs, a training step of
model.GoogLeNet in bfloat16 spends about a quarter of its time in 3x3
max-pooling (max_pool2d_with_indices and its backward) and another quarter
in batch norm and ReLU, all memory-bound kernels slower than the
convolutions around them.  fastpool.c and fastbn.c compute the same
functions; they are compiled on first use with the system's C compiler
into the directory given to enable() (the training's work directory) and
called through ctypes.

- MaxPool3: same outputs, same winner on ties, so the same gradients up
  to the rounding of their sums.
- bn_relu(): BatchNorm2d then ReLU, in batch-statistics (training) or
  running-statistics (eval, or frozen) mode, with the running statistics
  updated as nn.BatchNorm2d does; the same function up to the rounding of
  the statistics' sums.

Anything else (float32, other layouts, no gradients, ONNX export) goes
through PyTorch's own kernels, so a model using these exports and
evaluates unchanged.
"""

import os
import subprocess
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fastlib  # noqa: E402

_lib = None
_use = {"pool": False, "bn": False}


def enable(work_dir, pool=True, bn=True):
    """Compile (if needed) and load the kernels, and use the ones asked
    for from then on.  Returns False, after saying why, if the compiler
    fails (PyTorch's kernels are used then)."""
    global _lib
    try:
        _lib = fastlib.load(work_dir)
    except (OSError, subprocess.CalledProcessError) as e:
        print("fastops: building the kernels failed (%s); PyTorch's "
              "kernels are used" % e)
        return False
    _use.update(pool=pool, bn=bn)
    return True


def _applies(kind, x):
    return (_use[kind] and torch.is_grad_enabled() and x.requires_grad
            and x.dtype == torch.bfloat16 and x.dim() == 4
            and x.is_contiguous(memory_format=torch.channels_last)
            and not torch.jit.is_tracing()
            and not torch.onnx.is_in_onnx_export())


def out_size(n, stride, pad, ceil_mode):
    """PyTorch's output size of a 3-wide pool."""
    span = n + 2 * pad - 3
    o = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (o - 1) * stride >= n + pad:
        o -= 1
    return o


def _cl(t):
    return t.to(torch.bfloat16).contiguous(memory_format=torch.channels_last)


class _Pool(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, stride, pad, ceil_mode):
        n, c, h, w = x.shape
        oh = out_size(h, stride, pad, ceil_mode)
        ow = out_size(w, stride, pad, ceil_mode)
        y = torch.empty((n, c, oh, ow), dtype=x.dtype,
                        memory_format=torch.channels_last)
        idx = torch.empty((n, oh, ow, c), dtype=torch.int16)
        if _lib.fastpool_forward(x.data_ptr(), y.data_ptr(),
                                 idx.data_ptr(), n, h, w, c, oh, ow, stride,
                                 pad):
            raise MemoryError("fastpool_forward")
        ctx.save_for_backward(idx)
        ctx.geometry = (n, c, h, w, oh, ow, stride, pad)
        return y

    @staticmethod
    def backward(ctx, gy):
        (idx,) = ctx.saved_tensors
        n, c, h, w, oh, ow, stride, pad = ctx.geometry
        gy = _cl(gy)
        gx = torch.empty((n, c, h, w), dtype=torch.bfloat16,
                         memory_format=torch.channels_last)
        acc = torch.empty(h * w * c, dtype=torch.float32)
        if _lib.fastpool_backward(gy.data_ptr(), idx.data_ptr(),
                                  gx.data_ptr(), acc.data_ptr(), n, h, w, c,
                                  oh, ow, stride, pad):
            raise MemoryError("fastpool_backward")
        return gx, None, None, None


class MaxPool3(nn.MaxPool2d):
    """nn.MaxPool2d(3, stride, padding, ceil_mode) that trains faster in
    bfloat16 channels-last; a drop-in replacement (no parameters, the
    same ONNX export)."""

    def __init__(self, stride, padding, ceil_mode=True):
        super().__init__(3, stride, padding, ceil_mode=ceil_mode)

    def forward(self, x):
        if not _applies("pool", x):
            return F.max_pool2d(x, 3, self.stride, self.padding,
                                ceil_mode=self.ceil_mode)
        return _Pool.apply(x, self.stride, self.padding, self.ceil_mode)


class _BNReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, gamma, beta, mean, var, batch_stats, eps):
        """mean, var: the running statistics' values to use when not
        batch_stats; otherwise fresh tensors the batch's are written to."""
        n, c, h, w = x.shape
        m = n * h * w
        y = torch.empty_like(x, memory_format=torch.channels_last)
        invstd = torch.empty(c, dtype=torch.float32)
        fs = torch.empty(4 * max(2048, c), dtype=torch.float32)
        ds = torch.empty(2 * c, dtype=torch.float64)
        gamma = gamma.detach().float().contiguous()
        beta = beta.detach().float().contiguous()
        _lib.fastbn_forward(x.data_ptr(), y.data_ptr(), m, c,
                            gamma.data_ptr(), beta.data_ptr(),
                            mean.data_ptr(), var.data_ptr(),
                            invstd.data_ptr(), int(batch_stats), eps,
                            fs.data_ptr(), ds.data_ptr())
        ctx.save_for_backward(x, y, gamma, mean, invstd)
        ctx.batch_stats = batch_stats
        return y

    @staticmethod
    def backward(ctx, gy):
        x, y, gamma, mean, invstd = ctx.saved_tensors
        n, c, h, w = x.shape
        gy = _cl(gy)
        gx = torch.empty_like(x, memory_format=torch.channels_last)
        dgamma = torch.empty(c, dtype=torch.float32)
        dbeta = torch.empty(c, dtype=torch.float32)
        fs = torch.empty(7 * max(2048, c), dtype=torch.float32)
        ds = torch.empty(2 * c, dtype=torch.float64)
        _lib.fastbn_backward(gy.data_ptr(), x.data_ptr(), y.data_ptr(),
                             gx.data_ptr(), n * h * w, c, gamma.data_ptr(),
                             mean.data_ptr(), invstd.data_ptr(),
                             int(ctx.batch_stats), dgamma.data_ptr(),
                             dbeta.data_ptr(), fs.data_ptr(), ds.data_ptr())
        return gx, dgamma, dbeta, None, None, None, None


def bn_relu(bn, x):
    """relu(bn(x)) for an nn.BatchNorm2d bn (affine, tracking running
    statistics, with a momentum), with the kernels when they apply."""
    if not _applies("bn", x) or bn.momentum is None or not bn.affine \
            or not bn.track_running_stats:
        return F.relu(bn(x), inplace=True)
    if not bn.training:
        return _BNReLU.apply(x, bn.weight, bn.bias,
                             bn.running_mean.detach().float().clone(),
                             bn.running_var.detach().float().clone(),
                             False, bn.eps)
    c = x.shape[1]
    mean = torch.empty(c, dtype=torch.float32)
    var = torch.empty(c, dtype=torch.float32)
    y = _BNReLU.apply(x, bn.weight, bn.bias, mean, var, True, bn.eps)
    m = x.numel() // c
    with torch.no_grad():
        bn.num_batches_tracked.add_(1)
        bn.running_mean.mul_(1 - bn.momentum).add_(mean, alpha=bn.momentum)
        bn.running_var.mul_(1 - bn.momentum).add_(
            var * (m / max(m - 1, 1)), alpha=bn.momentum)
    return y
