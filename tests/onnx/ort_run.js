#!/usr/bin/env node
// Runs an ONNX model in ONNX Runtime (npm onnxruntime-node, put in
// <repo>/.cache/node by scripts/fetch_onnxruntime.sh) for the export tests:
//   node tests/onnx/ort_run.js MODEL.onnx INPUTS.safetensors OUTPUTS.safetensors
// The inputs file holds one tensor per model input, by name (braid writes it
// with io::save_safetensors); every model output is written by name to
// OUTPUTS (to a temporary name, then renamed). Two intra-op threads, one
// inter-op thread. Exit status 2 when ONNX Runtime cannot be loaded.
'use strict';
const fs = require('fs');
const path = require('path');

const ortDir = process.env.BRAID_ORT_DIR ||
    path.join(__dirname, '..', '..', '.cache', 'node', 'node_modules', 'onnxruntime-node');
let ort;
try {
  ort = require(ortDir);
} catch (e) {
  console.error(`ort_run: cannot load onnxruntime-node from ${ortDir}: ${e.message}\n` +
                'install it with scripts/fetch_onnxruntime.sh (make test runs it)');
  process.exit(2);
}

// safetensors dtype <-> ONNX Runtime tensor type and typed array.
const kTypes = {
  F32: ['float32', Float32Array], F64: ['float64', Float64Array],
  I64: ['int64', BigInt64Array], I32: ['int32', Int32Array],
  I8: ['int8', Int8Array], U8: ['uint8', Uint8Array],
  BOOL: ['bool', Uint8Array], F16: ['float16', Uint16Array],
};

function readSafetensors(file) {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const base = 8 + n;
  const out = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [type, Arr] = kTypes[info.dtype] || [];
    if (!type) throw new Error(`${file}: tensor ${name} has unsupported dtype ${info.dtype}`);
    const [b, e] = info.data_offsets;
    const bytes = Uint8Array.prototype.slice.call(buf, base + b, base + e);  // aligned copy
    const data = new Arr(bytes.buffer, 0, (e - b) / Arr.BYTES_PER_ELEMENT);
    out[name] = new ort.Tensor(type, type === 'bool' ? Uint8Array.from(data) : data, info.shape);
  }
  return out;
}

function writeSafetensors(file, tensors) {
  const names = Object.keys(tensors);
  const header = {};
  const chunks = [];
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const entry = Object.entries(kTypes).find(([, [type]]) => type === t.type);
    if (!entry) throw new Error(`output ${name} has unsupported type ${t.type}`);
    const data = t.type === 'bool' ? Uint8Array.from(t.data, (v) => (v ? 1 : 0)) : t.data;
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    header[name] = {dtype: entry[0], shape: t.dims, data_offsets: [offset, offset + bytes.length]};
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, Buffer.concat([len, Buffer.from(json), ...chunks]));
  fs.renameSync(tmp, file);
}

async function main() {
  const [model, inputs, outputs] = process.argv.slice(2);
  if (!outputs) {
    console.error('usage: node ort_run.js MODEL.onnx INPUTS.safetensors OUTPUTS.safetensors');
    process.exit(1);
  }
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const feeds = readSafetensors(inputs);
  const results = await session.run(feeds);
  const named = {};
  for (const name of session.outputNames) named[name] = results[name];
  writeSafetensors(outputs, named);
}

main().catch((e) => {
  console.error(`ort_run: ${e.message}`);
  process.exit(1);
});
