// What the node reference harnesses (ort_workloads.js, tfjs_workloads.js)
// share: the command line, the model and MNIST files, the output check, the
// timing rules and the JSON lines of bench/workloads/README.md (the contract).
'use strict';
const fs = require('fs');
const path = require('path');

const kRepo = path.join(__dirname, '..', '..');
const kModes = ['w3-mlp', 'w3-cnn'];  // the node harnesses run inference only

// Stops the harness with a message on stderr and exit status 1: the driver
// sees a failed run, never a figure from a wrong model.
function fail(tool, msg) {
  process.stderr.write(`${tool}: ${msg}\n`);
  process.exit(1);
}

// Parses `<mode> [--threads N] [--data DIR] [--models DIR] [--seed S]
// [--steps N]` plus the harness's own options (`extra`: name -> default).
// Defaults are relative to the repository root, given paths to the working
// directory. --steps N > 0 is for smoke tests only (short timing loops), as in
// torch_workloads.py.
function parseArgs(tool, argv, extra = {}) {
  const opts = {
    threads: 2, seed: 0, steps: 0,
    data: path.join(kRepo, '.cache', 'mnist'),
    models: path.join(kRepo, 'build', 'bench-models'),
    ...extra,
  };
  const numeric = new Set(['threads', 'seed', 'steps']);
  let mode = null;
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      if (mode !== null) fail(tool, `one mode expected, got '${mode}' and '${a}'`);
      mode = a;
      continue;
    }
    const eq = a.indexOf('=');
    const key = a.slice(2, eq < 0 ? undefined : eq);
    if (!(key in opts)) fail(tool, `unknown option ${a} (have --${Object.keys(opts).join(', --')})`);
    const value = eq < 0 ? argv[++i] : a.slice(eq + 1);
    if (value === undefined) fail(tool, `option --${key} needs a value`);
    if (numeric.has(key)) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) fail(tool, `--${key} wants a whole number >= 0, got '${value}'`);
      opts[key] = n;
    } else {
      opts[key] = value;
    }
  }
  if (!kModes.includes(mode)) {
    fail(tool, `mode must be one of ${kModes.join(', ')}, got '${mode}' ` +
        '(training and scale modes run in braid and PyTorch only)');
  }
  if (opts.threads < 1) fail(tool, '--threads must be at least 1');
  return {mode, net: mode.slice(3), ...opts};
}

// Reads a safetensors file: 8-byte little-endian header length, a JSON header
// of {name: {dtype, shape, data_offsets}}, then the raw little-endian data.
// F32 tensors only (all the bench files hold). -> {name: {shape, data}}.
function readSafetensors(tool, file) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    fail(tool, `cannot read ${file}: ${e.message} (braid_workloads export --models DIR writes it)`);
  }
  if (buf.length < 8) fail(tool, `${file}: ${buf.length} bytes, too short for safetensors`);
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) fail(tool, `${file}: header of ${n} bytes runs past the end (${buf.length})`);
  let header;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch (e) {
    fail(tool, `${file}: header is not JSON: ${e.message}`);
  }
  const base = 8 + n;
  const out = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (info.dtype !== 'F32') fail(tool, `${file}: tensor ${name} is ${info.dtype}, expected F32`);
    const [b, e] = info.data_offsets;
    const count = info.shape.reduce((p, d) => p * d, 1);
    if (e - b !== 4 * count || base + e > buf.length) {
      fail(tool, `${file}: tensor ${name} of shape [${info.shape}] has data_offsets [${b}, ${e}]` +
          ` (file is ${buf.length} bytes)`);
    }
    // A copy, so that the Float32Array is 4-byte aligned whatever the offset.
    const bytes = Uint8Array.prototype.slice.call(buf, base + b, base + e);
    const data = new Float32Array(bytes.buffer);
    if (!isLittleEndian()) swapBytes32(data);
    out[name] = {shape: info.shape, data};
  }
  return out;
}

// Like readSafetensors, but fails unless every name in `want` (name -> shape)
// is there with that shape.
function readTensors(tool, file, want) {
  const got = readSafetensors(tool, file);
  for (const [name, shape] of Object.entries(want)) {
    if (!(name in got)) fail(tool, `${file} lacks tensor ${name} (has ${Object.keys(got).join(', ')})`);
    if (got[name].shape.join() !== shape.join()) {
      fail(tool, `${file}: ${name} has shape [${got[name].shape}], expected [${shape}]`);
    }
  }
  return got;
}

function isLittleEndian() {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

function swapBytes32(f32) {
  const u8 = new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
  for (let i = 0; i < u8.length; i += 4) {
    [u8[i], u8[i + 1], u8[i + 2], u8[i + 3]] = [u8[i + 3], u8[i + 2], u8[i + 1], u8[i]];
  }
}

// The first `count` MNIST test images, (count,1,28,28) row-major, normalised
// (x/255 - 0.1307)/0.3081 as in the contract.
function loadTestImages(tool, dir, count) {
  const file = path.join(dir, 't10k-images-idx3-ubyte');
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    fail(tool, `cannot read ${file}: ${e.message} (scripts/fetch_mnist.sh fetches it)`);
  }
  // IDX: big-endian magic 2051 (unsigned bytes, 3 dims), then the dims.
  if (buf.length < 16 || buf.readUInt32BE(0) !== 2051) fail(tool, `${file}: not an IDX image file`);
  const [n, h, w] = [buf.readUInt32BE(4), buf.readUInt32BE(8), buf.readUInt32BE(12)];
  if (h !== 28 || w !== 28 || n < count || buf.length < 16 + n * h * w) {
    fail(tool, `${file}: holds ${n} images of ${h}x${w} in ${buf.length} bytes, need ${count} of 28x28`);
  }
  const out = new Float32Array(count * 784);
  for (let i = 0; i < out.length; ++i) out[i] = (buf[16 + i] / 255 - 0.1307) / 0.3081;
  return out;
}

// Compares a harness's output on <net>_io.safetensors `input` with braid's
// `output`; fails loudly beyond 1e-4, else says the difference on stderr.
function checkOutput(tool, what, got, want) {
  if (got.length !== want.length) fail(tool, `${what}: ${got.length} outputs, braid has ${want.length}`);
  let diff = 0;
  for (let i = 0; i < got.length; ++i) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= diff)) diff = d;  // NaN sticks
  }
  if (!(diff <= 1e-4)) fail(tool, `${what} differs from braid's output: max abs diff ${diff} > 1e-4`);
  process.stderr.write(`${tool}: ${what} matches braid's output (max abs diff ${diff.toExponential(2)})\n`);
}

// Calls `f` (sync or async) `warmup` times, then times each call alone with
// process.hrtime.bigint() until there are at least `minCalls` and `minSeconds`
// in all. -> call times in seconds.
// A call slower than 1 s (tfjs-cpu's CNN at batch 256 takes ~17 s) gets the
// contract's slow rule instead: that first warm-up call, then 3 timed calls.
async function timeCalls(f, warmup, minCalls, minSeconds) {
  const t0 = process.hrtime.bigint();
  await f();
  if (Number(process.hrtime.bigint() - t0) * 1e-9 > 1.0) {
    warmup = 1, minCalls = 3, minSeconds = 0;
  }
  for (let i = 1; i < warmup; ++i) await f();
  const times = [];
  const start = process.hrtime.bigint();
  const minNs = BigInt(Math.round(minSeconds * 1e9));
  while (times.length < minCalls || process.hrtime.bigint() - start < minNs) {
    const t = process.hrtime.bigint();
    await f();
    times.push(Number(process.hrtime.bigint() - t) * 1e-9);
  }
  return times;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function p99(xs) {  // nearest rank, as torch_workloads.py
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(0.99 * s.length) - 1)];
}

// One JSON object per line on stdout; nothing else may go there.
function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// The contract's w3 figures: b=1 latency over `one` (the first test image),
// b=256 throughput over `batch` (the first 256), then the peak RSS. `run1` and
// `run256` do one whole call each, result read back included.
async function runInference(impl, opts, run1, run256) {
  const quick = opts.steps > 0;
  const lat = await timeCalls(run1, 50, quick ? 20 : (opts.net === 'mlp' ? 2000 : 500),
      quick ? 0.05 : 1.0);
  const thr = await timeCalls(run256, 5, quick ? 5 : 20, quick ? 0.05 : 1.0);
  const line = (metric, value) => emit({impl, mode: opts.mode, metric, value});
  line('b1_median_us', median(lat) * 1e6);
  line('b1_p99_us', p99(lat) * 1e6);
  line('b256_images_per_s', 256 / median(thr));
  // ru_maxrss, KiB on Linux: the same high-water mark as VmHWM.
  line('peak_rss_mb', process.resourceUsage().maxRSS / 1024);
}

module.exports = {
  kRepo, fail, parseArgs, readSafetensors, readTensors, loadTestImages, checkOutput,
  timeCalls, median, p99, emit, runInference,
};
