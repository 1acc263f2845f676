#!/usr/bin/python3
"""Runs gnet bench, ONNX Runtime and OpenCV DNN on the same models with the
same warm-up and run counts and prints median milliseconds and the ratio
gnet/ORT.  Called by bench/run.sh, which prepares models and ORT.

The engines take turns: each round runs gnet, ORT and OpenCV once (a fresh
process each, RUNS timed runs after WARMUP), in a rotating order, so load
from other work on the machine falls on all three alike.  A cell is the
median over rounds of each round's median wall time; "cpu" is the process
CPU time per run (user + system, all threads), which for one thread is what
a run costs when it is not waiting for a core.
"""

import argparse
import json
import os
import platform
import re
import statistics
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
    # the element's own network on its largest pyramid level (dense mode,
    # default windows, 640x480 frames) and on a batch of crops
    ("default level 288x384", "default-features.onnx", "1,3,288,384"),
    ("default 64 crops 48x48", "default-features.onnx", "64,3,48,48"),
]
ENGINES = ["gnet", "ort", "opencv"]


def run_gnet(gnet, model, shape, threads, runs, warmup):
    out = subprocess.run(
        [gnet, "bench", model, "--shape", shape, "--threads", str(threads),
         "--runs", str(runs), "--warmup", str(warmup)],
        check=True, capture_output=True, text=True).stdout

    def get(key):
        return float(re.search(r"^%s\s+([\d.]+)" % key, out, re.M).group(1))
    return {"median_ms": get("median"), "min_ms": get("min"),
            "cpu_ms": get("cpu"), "gmac": get("MACs") / 1e9}


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_engine(engine, a, model, shape, t):
    common = [model, shape, str(t), str(a.runs), str(a.warmup)]
    if engine == "gnet":
        return run_gnet(a.gnet, model, shape, t, a.runs, a.warmup)
    if engine == "ort":
        return run_json(["node", os.path.join(HERE, "ort_bench.js")] +
                        common)
    return run_json(["/usr/bin/python3", os.path.join(HERE, "cv_bench.py")] +
                    common)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gnet", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default="1 2")
    ap.add_argument("--cases", default="",
                    help="comma-separated substrings of case labels")
    a = ap.parse_args()

    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f
                    if line.startswith("model name")), platform.machine())
    print("# %s, %d cores, load average %s" % (
        cpu, os.cpu_count(), " ".join("%.2f" % x for x in os.getloadavg())))
    print("# %d rounds x %d timed runs after %d warm-up; wall ms = median "
          "of round medians (best round median); cpu = process CPU ms/run"
          % (a.rounds, a.runs, a.warmup))
    hdr = ("| %-22s | %s | %5s | %-15s | %-15s | %-15s | %8s | %-17s | %8s |"
           % ("model / input", "T", "GMAC", "gnet wall", "ORT wall",
              "OpenCV wall", "gnet/ORT", "cpu gnet/ORT/OCV", "cpu g/O"))
    print(hdr)
    print("|" + "|".join("-" * len(c) for c in hdr.split("|")[1:-1]) + "|")
    sys.stdout.flush()
    wanted = [s for s in a.cases.split(",") if s]
    versions = {}
    for label, file, shape in CASES:
        if wanted and not any(w in label for w in wanted):
            continue
        model = os.path.join(a.models, file)
        for t in [int(x) for x in a.threads.split()]:
            res = {e: [] for e in ENGINES}
            for r in range(a.rounds):
                order = ENGINES[r % 3:] + ENGINES[:r % 3]
                for e in order:
                    res[e].append(run_engine(e, a, model, shape, t))
            s = {}
            for e in ENGINES:
                s[e] = {k: statistics.median(x[k] for x in res[e])
                        for k in ("median_ms", "cpu_ms")}
                s[e]["best"] = min(x["median_ms"] for x in res[e])
                versions[e] = res[e][0].get("version", "")
            gmac = res["gnet"][0]["gmac"]

            def cell(e):
                return "%6.1f (%6.1f)" % (s[e]["median_ms"], s[e]["best"])
            print("| %-22s | %d | %5.2f | %-15s | %-15s | %-15s | %7.2fx | "
                  "%5.1f/%5.1f/%5.1f | %7.2fx |" % (
                      label, t, gmac, cell("gnet"), cell("ort"),
                      cell("opencv"),
                      s["gnet"]["median_ms"] / s["ort"]["median_ms"],
                      s["gnet"]["cpu_ms"], s["ort"]["cpu_ms"],
                      s["opencv"]["cpu_ms"],
                      s["gnet"]["cpu_ms"] / s["ort"]["cpu_ms"]))
            sys.stdout.flush()
    print("# ORT %s (onnxruntime-node, graph optimisation 'all'), OpenCV %s; "
          "load average after: %s" % (
              versions.get("ort"), versions.get("opencv"),
              " ".join("%.2f" % x for x in os.getloadavg())))


if __name__ == "__main__":
    main()
