#!/usr/bin/env node
// The TF.js harness of the comparison workloads (bench/workloads/README.md):
//   node bench/workloads/tfjs_workloads.js w3-mlp|w3-cnn --backend wasm|cpu
//        [--threads N] [--data DIR] [--models DIR]
// Builds the network from TF.js ops with the weights of DIR/<net>.safetensors
// (braid's model file, PyTorch layouts) and runs it on TF.js's WebAssembly
// backend (impl tfjs-wasm) or its plain JavaScript one (tfjs-cpu), from npm
// @tensorflow/tfjs* in <repo>/.cache/bench-node (scripts/fetch_bench_js.sh,
// or $BRAID_TFJS_DIR). Checks the output on DIR/<net>_io.safetensors before
// timing. JSON lines on stdout, everything else on stderr.
//
// Note [tfjs at its best]: the forward pass is TF.js ops, not tf.layers: a
// layers model's predict() adds per-call bookkeeping and runs the same
// kernels. Each layer is one fused kernel where TF.js has one (conv + bias +
// ReLU, matmul + bias + ReLU), prod mode is on (no debug checks), and only
// tfjs-core plus the chosen backend are loaded (not webgl, layers,
// converter, data: they would only add to the peak RSS). Weights are laid
// out once for TF.js, outside the timed calls, and each call ends with
// dataSync(), so it includes reading the result back.
'use strict';
const path = require('path');
const common = require('./js_common');

const kTool = 'tfjs_workloads';

// While TF.js loads, console.log goes to stderr: stdout is the JSON lines.
console.log = (...args) => console.error(...args);

function loadTf(backend) {
  const dir = process.env.BRAID_TFJS_DIR || path.join(common.kRepo, '.cache', 'bench-node', 'node_modules');
  const pkg = `@tensorflow/tfjs-backend-${backend}`;
  try {
    const tf = require(path.join(dir, '@tensorflow', 'tfjs-core'));
    const be = require(path.join(dir, pkg));
    return {tf, be, distDir: path.join(dir, pkg, 'dist')};
  } catch (e) {
    common.fail(kTool, `cannot load TF.js (@tensorflow/tfjs-core, ${pkg}) from ${dir}: ${e.message}\n` +
        'install it with scripts/fetch_bench_js.sh (scripts/setup.sh bench runs it)');
  }
}

// Starts the backend; -> the config line's backend fields.
async function startBackend(tf, be, distDir, backend, threads) {
  if (backend === 'wasm') {
    be.setWasmPaths(distDir + path.sep);
    be.setThreadsCount(threads);
  }
  if (!(await tf.setBackend(backend))) common.fail(kTool, `TF.js backend ${backend} failed to start`);
  await tf.ready();
  tf.enableProdMode();
  if (backend === 'cpu') return {threads: 1, backend_info: 'plain JavaScript, one thread'};
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  // TF.js turns wasm threads off in node (tfjs issue 3830), so XNNPACK runs
  // on one thread whatever --threads asks for; say what it really uses.
  const used = multithread ? be.getThreadsCount() : 1;
  return {threads: used, wasm_simd: simd, wasm_multithread: multithread,
    wasm_binary: `tfjs-backend-wasm${multithread && simd ? '-threaded-simd' : simd ? '-simd' : ''}.wasm`};
}

// PyTorch Linear weight (out,in) -> TF.js matmul operand (in,out).
function linearKernel(tf, w) {
  return tf.tidy(() => tf.transpose(tf.tensor2d(w.data, w.shape)));
}

// PyTorch Conv2d weight OIHW -> TF.js filter HWIO.
function convFilter(tf, w) {
  return tf.tidy(() => tf.transpose(tf.tensor4d(w.data, w.shape), [2, 3, 1, 0]));
}

// The MLP of the contract in eval mode (Dropout is the identity):
// x (N,1,28,28) -> (N,10).
function buildMlp(tf, w) {
  const k1 = linearKernel(tf, w['1.weight']), b1 = tf.tensor1d(w['1.bias'].data);
  const k4 = linearKernel(tf, w['4.weight']), b4 = tf.tensor1d(w['4.bias'].data);
  return (x) => {
    const h = tf.fused.matMul({a: tf.reshape(x, [x.shape[0], 784]), b: k1, bias: b1, activation: 'relu'});
    return tf.fused.matMul({a: h, b: k4, bias: b4});
  };
}

// The CNN of the contract in eval mode. TF.js convolves NHWC; x is
// (N,28,28,1), which with one channel holds the same bytes as the contract's
// (N,1,28,28), so the caller's NCHW data needs a reshape only. The conv stack
// ends NHWC (N,12,12,64), flattened in H,W,C order, while the Linear(9216,128)
// weight expects C,H,W: its input columns are permuted once here instead of
// transposing activations on every call. -> (N,10).
function buildCnn(tf, w) {
  const f0 = convFilter(tf, w['0.weight']), b0 = tf.tensor1d(w['0.bias'].data);
  const f2 = convFilter(tf, w['2.weight']), b2 = tf.tensor1d(w['2.bias'].data);
  // (128, C*H*W) -> (128,C,H,W) -> (H,W,C,128) -> (H*W*C, 128)
  const k7 = tf.tidy(() => tf.reshape(
      tf.transpose(tf.tensor4d(w['7.weight'].data, [128, 64, 12, 12]), [2, 3, 1, 0]), [9216, 128]));
  const b7 = tf.tensor1d(w['7.bias'].data);
  const k10 = linearKernel(tf, w['10.weight']), b10 = tf.tensor1d(w['10.bias'].data);
  return (x) => {
    const c0 = tf.fused.conv2d({x, filter: f0, strides: 1, pad: 'valid', bias: b0, activation: 'relu'});
    const c2 = tf.fused.conv2d({x: c0, filter: f2, strides: 1, pad: 'valid', bias: b2, activation: 'relu'});
    const p = tf.maxPool(c2, 2, 2, 'valid');
    const h = tf.fused.matMul({a: tf.reshape(p, [x.shape[0], 9216]), b: k7, bias: b7, activation: 'relu'});
    return tf.fused.matMul({a: h, b: k10, bias: b10});
  };
}

const kWeights = {
  mlp: {'1.weight': [128, 784], '1.bias': [128], '4.weight': [10, 128], '4.bias': [10]},
  cnn: {'0.weight': [32, 1, 3, 3], '0.bias': [32], '2.weight': [64, 32, 3, 3], '2.bias': [64],
    '7.weight': [128, 9216], '7.bias': [128], '10.weight': [10, 128], '10.bias': [10]},
};

async function main() {
  const opts = common.parseArgs(kTool, process.argv.slice(2), {backend: 'wasm'});
  if (!['wasm', 'cpu'].includes(opts.backend)) {
    common.fail(kTool, `--backend must be wasm or cpu, got '${opts.backend}'`);
  }
  const impl = `tfjs-${opts.backend}`;
  const {tf, be, distDir} = loadTf(opts.backend);
  const backendInfo = await startBackend(tf, be, distDir, opts.backend, opts.threads);
  common.emit({impl, mode: opts.mode, config: {
    threads: backendInfo.threads, threads_requested: opts.threads, version: tf.version_core,
    backend: tf.getBackend(), ...backendInfo, prod_mode: tf.env().getBool('PROD'),
    api: 'tfjs-core ops, fused conv/matmul kernels', node: process.version,
  }});

  const modelFile = path.join(opts.models, `${opts.net}.safetensors`);
  const weights = common.readTensors(kTool, modelFile, kWeights[opts.net]);
  const forward = (opts.net === 'mlp' ? buildMlp : buildCnn)(tf, weights);
  // Input NCHW with C = 1 -> NHWC (N,28,28,1): the same bytes (see buildCnn).
  const input = (data, n) => tf.tensor4d(data, [n, 28, 28, 1]);
  const call = (x) => {
    const y = tf.tidy(() => forward(x));
    const out = y.dataSync();
    y.dispose();
    return out;
  };

  const ioFile = path.join(opts.models, `${opts.net}_io.safetensors`);
  const io = common.readTensors(kTool, ioFile, {input: [8, 1, 28, 28], output: [8, 10]});
  const x8 = input(io.input.data, 8);
  common.checkOutput(kTool, `${impl} ${opts.net}`, call(x8), io.output.data);
  x8.dispose();

  const images = common.loadTestImages(kTool, opts.data, 256);
  const one = input(images.slice(0, 784), 1);
  const batch = input(images, 256);
  await common.runInference(impl, opts, () => call(one), () => call(batch));
}

main().catch((e) => common.fail(kTool, e.stack || String(e)));
