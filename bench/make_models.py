#!/usr/bin/python3
"""Writes full-size GoogLeNet models with random weights for the benchmark.

    /usr/bin/python3 bench/make_models.py OUTDIR

OUTDIR/caffe-googlenet.onnx           googlenet-12 layout, 1x3x224x224 only
OUTDIR/caffe-googlenet-features.onnx  the same up to inception_5b (the
                                      dense part), input N x 3 x H x W
OUTDIR/tv-googlenet.onnx              torchvision layout, BN folded by the
                                      exporter, input N x 3 x H x W
OUTDIR/tv-googlenet-bn.onnx           the same with BatchNormalization kept
OUTDIR/default-features.onnx          the shipped default model (the
                                      element's) up to its last inception
                                      module, input N x 3 x H x W: what the
                                      detector's dense mode runs on a
                                      pyramid level

The GoogLeNets are never committed: they are 27-28 MB each and random.
"""

import os
import sys

import onnx
from onnx import helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "fixtures"))
import googlenet  # noqa: E402


def features_only(model):
    """Cuts the Caffe graph after the last inception module and makes the
    input's H and W symbolic: the 7x7 AveragePool + Reshape(1, -1) head
    only fits 224x224, the convolutional part fits any size."""
    g = onnx.GraphProto()
    g.CopyFrom(model.graph)
    last = "inception_5b/output_1"
    keep = []
    for n in g.node:
        keep.append(n)
        if last in n.output:
            break
    del g.node[:]
    g.node.extend(keep)
    used = {i for n in keep for i in n.input}
    inits = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(inits)
    del g.input[:]
    g.input.append(helper.make_tensor_value_info(
        "data_0", onnx.TensorProto.FLOAT, ["N", 3, "H", "W"]))
    del g.output[:]
    g.output.append(helper.make_tensor_value_info(
        last, onnx.TensorProto.FLOAT, ["N", 1024, "h", "w"]))
    m = helper.make_model(g, opset_imports=model.opset_import,
                          producer_name="gnet bench/make_models.py")
    m.ir_version = model.ir_version
    onnx.checker.check_model(m)
    return m


def default_features(path):
    """The default model cut where its global average pooling reads the
    last inception module, with a symbolic H and W (the box head's Gemm
    only fits 48x48 windows)."""
    model = onnx.load(path)
    gap = next(n for n in model.graph.node
               if n.op_type == "GlobalAveragePool")
    last = gap.input[0]
    producers = {o: n for n in model.graph.node for o in n.output}
    needed, todo = set(), [last]
    while todo:
        name = todo.pop()
        n = producers.get(name)
        if n is None or id(n) in needed:
            continue
        needed.add(id(n))
        todo.extend(n.input)
    g = onnx.GraphProto()
    g.CopyFrom(model.graph)
    del g.node[:]
    keep = [n for n in model.graph.node if id(n) in needed]
    g.node.extend(keep)
    used = {i for n in keep for i in n.input}
    inits = [t for t in model.graph.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(inits)
    del g.value_info[:]
    name = g.input[0].name
    del g.input[:]
    g.input.append(helper.make_tensor_value_info(
        name, onnx.TensorProto.FLOAT, ["N", 3, "H", "W"]))
    del g.output[:]
    g.output.append(helper.make_tensor_value_info(
        last, onnx.TensorProto.FLOAT, ["N", "C", "h", "w"]))
    m = helper.make_model(g, opset_imports=model.opset_import,
                          producer_name="gnet bench/make_models.py")
    m.ir_version = model.ir_version
    onnx.checker.check_model(m)
    return m


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    caffe = googlenet.caffe_googlenet(1, 1000, seed=11)
    onnx.save(caffe, os.path.join(out, "caffe-googlenet.onnx"))
    onnx.save(features_only(caffe),
              os.path.join(out, "caffe-googlenet-features.onnx"))
    tv = googlenet.tv_googlenet(1, 1000, seed=12)
    googlenet.export_tv(tv, os.path.join(out, "tv-googlenet.onnx"), False)
    googlenet.export_tv(tv, os.path.join(out, "tv-googlenet-bn.onnx"), True)
    onnx.save(default_features(os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "samples",
        "models", "default.onnx")),
        os.path.join(out, "default-features.onnx"))
    for f in sorted(os.listdir(out)):
        if f.endswith(".onnx"):
            print("%-34s %9d bytes" % (f, os.path.getsize(
                os.path.join(out, f))))


if __name__ == "__main__":
    main()
