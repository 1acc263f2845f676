#!/usr/bin/python3
"""Times OpenCV DNN on one model the way `gnet bench` does.

    /usr/bin/python3 bench/cv_bench.py MODEL N,C,H,W THREADS RUNS WARMUP

Prints one JSON line.
"""

import json
import sys
import time

import cv2
import numpy as np


def main():
    model, shape, threads, runs, warmup = sys.argv[1:6]
    shape = [int(d) for d in shape.split(",")]
    cv2.setNumThreads(int(threads))
    net = cv2.dnn.readNetFromONNX(model)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    x = np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
    times = []
    cpu = 0.0
    for i in range(int(warmup) + int(runs)):
        net.setInput(x)
        t0 = time.perf_counter()
        c0 = time.process_time()
        net.forward()
        if i >= int(warmup):
            times.append((time.perf_counter() - t0) * 1e3)
            cpu += time.process_time() - c0
    print(json.dumps({"engine": "opencv", "version": cv2.__version__,
                      "median_ms": float(np.median(times)),
                      "min_ms": min(times),
                      "cpu_ms": cpu * 1e3 / len(times)}))


if __name__ == "__main__":
    main()
