// Times ONNX Runtime (npm onnxruntime-node) on one model, the way
// `gnet bench` does: random input, warm-up runs, then the median and
// minimum wall time of the timed runs, and the process CPU time per run.
//
//   node bench/ort_bench.js MODEL N,C,H,W THREADS RUNS WARMUP
//
// Prints one JSON line.  NODE_PATH must reach the onnxruntime-node install
// (bench/run.sh sets it).
'use strict';
const ort = require('onnxruntime-node');

async function main() {
  const [model, shapeArg, threads, runs, warmup] = process.argv.slice(2);
  const shape = shapeArg.split(',').map(Number);
  const session = await ort.InferenceSession.create(model, {
    // 'all' by default; ORT_LEVEL=basic|extended shows what NCHWc buys
    graphOptimizationLevel: process.env.ORT_LEVEL || 'all',
    intraOpNumThreads: Number(threads),
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.random() * 2 - 1;
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data,
      shape)};
  for (let i = 0; i < Number(warmup); i++) await session.run(feeds);
  const times = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < Number(runs); i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const median = times.length % 2 ? times[mid]
      : (times[mid - 1] + times[mid]) / 2;
  console.log(JSON.stringify({engine: 'ort', version: ort.env.versions.common,
    median_ms: median, min_ms: times[0],
    cpu_ms: (cpu.user + cpu.system) / 1e3 / times.length}));
}

main().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
