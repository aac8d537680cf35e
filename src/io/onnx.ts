// exportONNX: an FFNN or a Sequential of the built-in modules as an ONNX model (opset 13), encoded with
// protobufjs and the ONNX schema (onnx-schema.ts), written atomically.
// input "features": float32 (N, F), the encoded table features before standardization; the
// standardizer, when given, is in the graph as Sub(mean) and Div(std). output "probabilities" (N, C)
// for a classifier (a Softmax is added after logits, as predict does) or "values" (N, 1) for regression.
// Linear -> Gemm (weights are (in, out) already, no transpose), ReLU / Sigmoid / Tanh -> their ops,
// Swish -> x * Sigmoid(beta x), CELU -> Celu(alpha), Softmax -> Softmax(axis 1), Dropout (eval) -> nothing.
// a float64 network is written in float32, ONNX's usual type for this input.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { Standardizer } from '../data/standardize.js';
import type { TableSchema } from '../data/table.js';
import { Activation } from '../nn/activation.js';
import { Dropout } from '../nn/dropout.js';
import { FFNN } from '../nn/ffnn.js';
import { Linear } from '../nn/linear.js';
import type { Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { Softmax } from '../nn/softmax.js';
import { checkFinite, checkTensor } from '../nn/validate.js';
import type { Parameter } from '../tensor.js';
import { BUILT_IN_MODULES } from '../train/checkpoint.js';
import { outputKind } from '../train/predict.js';
import { checkKeys, checkObject, typeError, rangeError } from '../util/check.js';
import { packageRoot } from '../util/package-root.js';
import { writeFileAtomic } from './atomic.js';
import { ONNX_SCHEMA } from './onnx-schema.js';

// opset 13: Softmax over one axis (not the flattened trailing dims of opset < 13); Celu since 12.
// IR version 7 is the one opset 13 came with; every runtime that reads opset 13 reads it
export const ONNX_OPSET = 13;
const IR_VERSION = 7;
const FLOAT = 1;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;

export interface ExportONNXOptions {
  // the training set's standardizer, put in the graph (the input is the unstandardized features)
  standardizer?: Standardizer;
  // the table schema: the task (regression: no softmax) and the names kept in the model's metadata
  schema?: TableSchema;
}

// what loadModel returns carries its own standardizer and schema
interface Loaded {
  net: FFNN | Sequential;
  standardizer: Standardizer | null;
  schema: TableSchema | null;
}

interface NodeSpec {
  opType: string;
  input: string[];
  output: string[];
  name: string;
  attribute?: Array<Record<string, unknown>>;
}

interface InitSpec {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

let modelType: protobuf.Type | null = null;

function onnxModelType(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');
  return modelType;
}

// values as float32 bytes (the model's type): a float64 value past float32's range would be Inf in
// the graph, and a divisor too small for it 0 (the runtime's output NaN): refused, named
function floatBytes(name: string, values: ArrayLike<number>, divisor = false): Uint8Array {
  const f = Float32Array.from(values);
  for (let i = 0; i < f.length; i++) {
    if (!Number.isFinite(f[i]) || (divisor && f[i] === 0)) {
      const what = divisor ? 'non-zero values within float32\'s range (the ONNX model is float32)' : 'values within float32\'s range (the ONNX model is float32)';
      throw rangeError(name, what, `${values[i]} at [${i}]`);
    }
  }
  return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
}

function version(): string {
  try {
    return String((JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown }).version ?? '');
  } catch {
    return '';
  }
}

// the modules that run in eval mode, in order, nested Sequentials flattened; an FFNN as its layers and
// its softmax
function flatten(net: FFNN | Sequential, at: string): Array<{ module: Module | 'softmax'; where: string }> {
  if (net instanceof FFNN) {
    const out: Array<{ module: Module | 'softmax'; where: string }> = [];
    net.layers.forEach((l, i) => out.push({ module: l, where: `${at}.layers[${i}]` }, { module: net.activations[i], where: `${at}.activations[${i}]` }));
    out.push({ module: net.output, where: `${at}.output` }, { module: 'softmax', where: at });
    return out;
  }
  return net.modules.flatMap((m, i) => {
    const where = `${at}.modules[${i}]`;
    if (m instanceof Sequential) return flatten(m, where);
    if (!m.isPlainBuiltin() || !(m instanceof Linear || m instanceof Activation || m instanceof Dropout || m instanceof Softmax)) {
      throw typeError(where, `${BUILT_IN_MODULES} to export`, m);
    }
    return m instanceof Dropout ? [] : [{ module: m, where }];
  });
}

// the ONNX model's bytes; exportONNX writes them to a file
export function onnxModel(net: FFNN | Sequential | Loaded, opts?: ExportONNXOptions): Uint8Array {
  const loaded = net !== null && typeof net === 'object' && !(net instanceof FFNN) && !(net instanceof Sequential) && 'net' in net ? (net as Loaded) : null;
  const model = loaded?.net ?? net;
  if (!(model instanceof FFNN) && !(model instanceof Sequential)) throw typeError('net', 'an FFNN, a Sequential of built-in modules or a loaded model', net);
  const o = checkObject('options', opts);
  checkKeys('options', o, ['standardizer', 'schema']);
  const st = (o.standardizer as Standardizer | undefined) ?? loaded?.standardizer ?? undefined;
  if (st !== undefined && (!(st instanceof Standardizer) || st.mean === null || st.std === null)) throw typeError('options.standardizer', 'a fitted Standardizer', st);
  const schema = (o.schema === undefined ? loaded?.schema ?? undefined : checkObject('options.schema', o.schema)) as TableSchema | undefined;

  const mods = flatten(model, 'net');
  const firstLinear = mods.find((m) => m.module instanceof Linear)?.module as Linear | undefined;
  if (firstLinear === undefined) throw rangeError('net', 'a network with at least one Linear layer', model);
  const F = model instanceof FFNN ? model.F : firstLinear.inFeatures;
  if (st !== undefined && st.mean !== null && st.mean.length !== 1 && st.mean.length !== F) {
    throw rangeError('options.standardizer', `statistics for ${F} features (the network's input width)`, `${st.mean.length} features`);
  }

  const nodes: NodeSpec[] = [];
  const inits: InitSpec[] = [];
  const param = (name: string, p: Parameter, where: string): string => {
    checkTensor(`${where} ${p.name}`, p);
    checkFinite(`${where} ${p.name}`, p);
    inits.push({ name, dims: [...p.shape], dataType: FLOAT, rawData: floatBytes(`${where} ${p.name}`, p.data) });
    return name;
  };
  const constant = (name: string, values: ArrayLike<number>, dims: number[], what = name, divisor = false): string => {
    inits.push({ name, dims, dataType: FLOAT, rawData: floatBytes(what, values, divisor) });
    return name;
  };
  let h = 'features';
  let k = 0;
  const node = (opType: string, input: string[], attribute?: NodeSpec['attribute']): string => {
    const out = `${opType.toLowerCase()}_${k}`;
    nodes.push({ opType, input, output: [out], name: `${opType}_${k++}`, ...(attribute ? { attribute } : {}) });
    return out;
  };
  if (st !== undefined && st.mean !== null && st.std !== null) {
    const dims = [st.mean.length];
    h = node('Sub', [h, constant('standardizer_mean', st.mean, dims, 'options.standardizer.mean')]);
    h = node('Div', [h, constant('standardizer_std', st.std, dims, 'options.standardizer.std', true)]);
  }
  let C = F;
  let endsInSoftmax = false;
  mods.forEach(({ module: m, where }, i) => {
    endsInSoftmax = false;
    if (m instanceof Linear) {
      const w = param(`layer${i}_weight`, m.weight, where);
      h = node('Gemm', m.bias === null ? [h, w] : [h, w, param(`layer${i}_bias`, m.bias, where)]);
      C = m.outFeatures;
    } else if (m === 'softmax' || m instanceof Softmax) {
      h = node('Softmax', [h], [{ name: 'axis', type: ATTR_INT, i: 1 }]);
      endsInSoftmax = true;
    } else if (m instanceof Activation) {
      const v = m.paramValue();
      switch (m.kind) {
        case 'relu':
          h = node('Relu', [h]);
          break;
        case 'sigmoid':
          h = node('Sigmoid', [h]);
          break;
        case 'tanh':
          h = node('Tanh', [h]);
          break;
        case 'swish': {
          // swish(x; beta) = x sigmoid(beta x)
          const s = node('Sigmoid', [node('Mul', [h, constant(`swish${i}_beta`, [v], [])])]);
          h = node('Mul', [h, s]);
          break;
        }
        case 'celu':
          h = node('Celu', [h], [{ name: 'alpha', type: ATTR_FLOAT, f: v }]);
          break;
      }
    }
  });
  // predict's rule for what the outputs are (numbers, probabilities or logits)
  const kind = outputKind(model, C, schema);
  if (kind === 'logits' && !endsInSoftmax) h = node('Softmax', [h], [{ name: 'axis', type: ATTR_INT, i: 1 }]);
  const outName = kind === 'values' ? 'values' : 'probabilities';
  nodes.push({ opType: 'Identity', input: [h], output: [outName], name: 'output' });

  const tensorType = (dims: Array<number | string>) => ({
    tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } },
  });
  const meta: Array<{ key: string; value: string }> = [];
  if (schema !== undefined) {
    meta.push({ key: 'ffnn.task', value: String(schema.task) });
    if (Array.isArray(schema.featureNames)) meta.push({ key: 'ffnn.feature_names', value: JSON.stringify(schema.featureNames) });
    if (Array.isArray(schema.classes)) meta.push({ key: 'ffnn.classes', value: JSON.stringify(schema.classes) });
    meta.push({ key: 'ffnn.schema', value: JSON.stringify(schema) });
  }
  const Model = onnxModelType();
  const msg = Model.fromObject({
    irVersion: IR_VERSION,
    producerName: 'ffnn',
    producerVersion: version(),
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    docString: model.toString(),
    metadataProps: meta,
    graph: {
      name: 'ffnn',
      node: nodes,
      initializer: inits,
      input: [{ name: 'features', type: tensorType(['N', F]) }],
      output: [{ name: outName, type: tensorType(['N', C]) }],
    },
  });
  return Model.encode(msg).finish();
}

// writes the ONNX model of net to file (replaced atomically); a model from loadModel brings its own
// standardizer and schema, options given here take precedence
export function exportONNX(file: string, net: FFNN | Sequential | Loaded, opts?: ExportONNXOptions): void {
  if (typeof file !== 'string' || file === '') throw typeError('file', 'a file path', file);
  writeFileAtomic(file, onnxModel(net, opts), 'exportONNX');
}
