#!/usr/bin/python3
"""Runs gnet bench, ONNX Runtime and OpenCV DNN on the same models with the
same warm-up and run counts and prints median milliseconds and the ratio
gnet/ORT.  Called by bench/run.sh, which prepares models and ORT."""

import argparse
import json
import os
import platform
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# (label, model file, input shape)
CASES = [
    ("caffe 224x224", "caffe-googlenet.onnx", "1,3,224,224"),
    ("caffe features 480x640", "caffe-googlenet-features.onnx",
     "1,3,480,640"),
    ("torchvision 224x224", "tv-googlenet.onnx", "1,3,224,224"),
    ("torchvision 480x640", "tv-googlenet.onnx", "1,3,480,640"),
]


def run_gnet(gnet, model, shape, threads, runs, warmup):
    out = subprocess.run(
        [gnet, "bench", model, "--shape", shape, "--threads", str(threads),
         "--runs", str(runs), "--warmup", str(warmup)],
        check=True, capture_output=True, text=True).stdout
    get = lambda key: float(re.search(r"^%s\s+([\d.]+)" % key, out,  # noqa
                                      re.M).group(1))
    return {"median_ms": get("median"), "min_ms": get("min"),
            "gmac": get("MACs") / 1e9}


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gnet", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", default="1 2")
    ap.add_argument("--cases", default="",
                    help="comma-separated substrings of case labels")
    a = ap.parse_args()

    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f
                    if line.startswith("model name")), platform.machine())
    print("# %s, %d cores, load average %s" % (
        cpu, os.cpu_count(), " ".join("%.2f" % x for x in os.getloadavg())))
    print("# %d timed runs after %d warm-up, median (min) ms"
          % (a.runs, a.warmup))
    hdr = "| %-24s | %2s | %6s | %-18s | %-18s | %-18s | %9s | %9s |" % (
        "model / input", "T", "GMAC", "gnet", "ORT", "OpenCV",
        "gnet/ORT", "gnet/OCV")
    print(hdr)
    print("|" + "|".join("-" * (len(c)) for c in hdr.split("|")[1:-1]) + "|")
    sys.stdout.flush()
    wanted = [s for s in a.cases.split(",") if s]
    for label, file, shape in CASES:
        if wanted and not any(w in label for w in wanted):
            continue
        model = os.path.join(a.models, file)
        for t in [int(x) for x in a.threads.split()]:
            common = [model, shape, str(t), str(a.runs), str(a.warmup)]
            g = run_gnet(a.gnet, model, shape, t, a.runs, a.warmup)
            o = run_json(["node", os.path.join(HERE, "ort_bench.js")] +
                         common)
            c = run_json(["/usr/bin/python3",
                          os.path.join(HERE, "cv_bench.py")] + common)
            cell = lambda r: "%7.1f (%7.1f)" % (r["median_ms"],  # noqa
                                                r["min_ms"])
            print("| %-24s | %2d | %6.2f | %-18s | %-18s | %-18s | %8.2fx |"
                  " %8.2fx |" % (label, t, g["gmac"], cell(g), cell(o),
                                 cell(c), g["median_ms"] / o["median_ms"],
                                 g["median_ms"] / c["median_ms"]))
            sys.stdout.flush()
    print("# ORT %s (onnxruntime-node, graph optimisation 'all'), OpenCV %s"
          % (o["version"], c["version"]))


if __name__ == "__main__":
    main()
