#!/usr/bin/env node
// The onnxruntime harness of the comparison workloads (bench/workloads/README.md):
//   node bench/workloads/ort_workloads.js w3-mlp|w3-cnn [--threads N]
//        [--data DIR] [--models DIR]
// Runs DIR/<net>.onnx (written by `braid_workloads export`) in ONNX Runtime
// for Node (npm onnxruntime-node, put in <repo>/.cache/node by
// scripts/fetch_onnxruntime.sh, or $BRAID_ORT_DIR) at its best on the CPU:
// N intra-op threads, one inter-op thread, every graph optimisation,
// sequential execution. Checks the output on DIR/<net>_io.safetensors before
// timing. JSON lines on stdout, everything else on stderr.
'use strict';
const path = require('path');
const common = require('./js_common');

const kTool = 'ort_workloads';
const kImpl = 'onnxruntime';

function loadOrt() {
  const dir = process.env.BRAID_ORT_DIR ||
      path.join(common.kRepo, '.cache', 'node', 'node_modules', 'onnxruntime-node');
  try {
    return {ort: require(dir), version: require(path.join(dir, 'package.json')).version};
  } catch (e) {
    common.fail(kTool, `cannot load onnxruntime-node from ${dir}: ${e.message}\n` +
        'install it with scripts/fetch_onnxruntime.sh (scripts/setup.sh bench runs it)');
  }
}

async function main() {
  const opts = common.parseArgs(kTool, process.argv.slice(2));
  const {ort, version} = loadOrt();
  const sessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: opts.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  };
  common.emit({impl: kImpl, mode: opts.mode, config: {
    threads: opts.threads, version, execution_provider: 'cpu', inter_op_threads: 1,
    graph_optimization_level: 'all', execution_mode: 'sequential', node: process.version,
  }});

  const model = path.join(opts.models, `${opts.net}.onnx`);
  let session;
  try {
    session = await ort.InferenceSession.create(model, sessionOptions);
  } catch (e) {
    common.fail(kTool, `ONNX Runtime cannot load ${model}: ${e.message}` +
        ' (braid_workloads export --models DIR writes it)');
  }
  if (session.inputNames.join() !== 'input' || session.outputNames.join() !== 'output') {
    common.fail(kTool, `${model}: inputs [${session.inputNames}] and outputs ` +
        `[${session.outputNames}], expected [input] and [output]`);
  }
  const run = async (t) => (await session.run({input: t})).output;

  const ioFile = path.join(opts.models, `${opts.net}_io.safetensors`);
  const io = common.readTensors(kTool, ioFile, {input: [8, 1, 28, 28], output: [8, 10]});
  const got = await run(new ort.Tensor('float32', io.input.data, io.input.shape));
  if (got.dims.join() !== '8,10') common.fail(kTool, `${model}: output has shape [${got.dims}], expected [8,10]`);
  common.checkOutput(kTool, `${kImpl} ${opts.net}`, got.data, io.output.data);

  // The input tensors are made once: a call is session.run and nothing else
  // (its result is already a JS typed array when the promise resolves).
  const images = common.loadTestImages(kTool, opts.data, 256);
  const one = new ort.Tensor('float32', images.slice(0, 784), [1, 1, 28, 28]);
  const batch = new ort.Tensor('float32', images, [256, 1, 28, 28]);
  await common.runInference(kImpl, opts, () => run(one), () => run(batch));
  await session.release();
}

main().catch((e) => common.fail(kTool, e.stack || String(e)));
