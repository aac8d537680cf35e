// predict: a network's outputs on new data, decoded: probabilities and labels (class names when a
// schema has them) for a classifier, numbers for a regression network
import { encodeRows, TableDataset, type TableRecord, type TableSchema } from '../data/table.js';
import { Standardizer } from '../data/standardize.js';
import { FFNN } from '../nn/ffnn.js';
import { Dropout } from '../nn/dropout.js';
import { Module, restoreModes, trainingModes } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { Softmax } from '../nn/softmax.js';
import { Tensor } from '../tensor.js';
import { checkKeys, checkObject, rangeError, typeError } from '../util/check.js';

export interface PredictOptions {
  // encodes records and names classes (a TableDataset's schema)
  schema?: TableSchema;
  // the training set's standardizer, applied to the encoded features
  standardizer?: Standardizer;
}

export interface Prediction {
  // classification: (N, C) probabilities, the argmax index and label of each row
  probabilities?: number[][];
  indices?: number[];
  labels?: Array<string | number>;
  // regression: one number per row
  values?: number[];
}

// data: encoded features [N, F] (unstandardized when a standardizer is given), records (encoded with
// options.schema), or a TableDataset (its encoded features; its schema unless options.schema is given)
export function predict(net: Module, data: Tensor | readonly TableRecord[] | TableDataset, opts?: PredictOptions): Prediction {
  if (!(net instanceof Module)) throw typeError('net', 'an FFNN or another Module', net);
  const o = checkObject('options', opts);
  checkKeys('options', o, ['schema', 'standardizer']);
  const schema = (o.schema as TableSchema | undefined) ?? (data instanceof TableDataset ? data.schema : undefined);
  let x: Tensor;
  if (data instanceof Tensor) x = data;
  else if (data instanceof TableDataset) x = data.x;
  else if (Array.isArray(data)) {
    if (schema === undefined) throw rangeError('options.schema', 'a schema to encode records', undefined);
    x = encodeRows(schema, data);
  } else throw typeError('data', 'a Tensor [N, F], an array of records or a TableDataset', data);
  if (x.ndim !== 2) throw rangeError('data', 'a Tensor of shape [N, F]', x);
  const st = o.standardizer as Standardizer | undefined;
  if (st !== undefined) x = st.transform(x);
  // records and tables are encoded in float32: a float64 network gets them in float64
  if (!(data instanceof Tensor) && x.dtype !== net.dtype) x = x.to(net.dtype);
  // every module's own mode, put back afterwards (a child the caller set apart keeps its mode)
  const modes = trainingModes(net);
  net.eval();
  let out: Tensor;
  try {
    out = net.forward(x);
  } finally {
    restoreModes(modes);
  }
  const [N, C] = out.shape;
  const rows = Array.from({ length: N }, (_, i) => Array.from(out.data.subarray(i * C, (i + 1) * C)));
  const kind = outputKind(net, C, schema);
  if (kind === 'values') return { values: rows.map((r) => r[0]) };
  if (kind === 'logits') {
    for (const r of rows) {
      const m = Math.max(...r);
      let z = 0;
      for (let j = 0; j < C; j++) z += r[j] = Math.exp(r[j] - m);
      for (let j = 0; j < C; j++) r[j] /= z;
    }
  }
  const indices = rows.map((r) => r.indexOf(Math.max(...r)));
  return { probabilities: rows, indices, labels: indices.map((k) => schema?.classes?.[k] ?? k) };
}

// what a network's C outputs are: numbers (a regression schema, or one output and no schema),
// probabilities (an FFNN, a Sequential ending in Softmax) or logits that predict (and the ONNX
// export) turn into probabilities with a softmax
export function outputKind(net: Module, C: number, schema?: TableSchema | null): 'values' | 'probabilities' | 'logits' {
  if (schema?.task === 'regression' || ((schema === undefined || schema === null) && C === 1)) return 'values';
  return net instanceof FFNN || finalModule(net) instanceof Softmax ? 'probabilities' : 'logits';
}

// the module whose output a network returns: the last one that runs, inside nested Sequentials too,
// past any Dropout after it (the identity in eval mode; in training it only scales what came before,
// so a Softmax then a Dropout still outputs probabilities, not logits); the network itself when it is
// not a Sequential, undefined for an empty one
export function finalModule(net: Module): Module | undefined {
  if (!(net instanceof Sequential)) return net;
  for (let i = net.modules.length - 1; i >= 0; i--) {
    const m = net.modules[i];
    if (m instanceof Dropout) continue;
    const f = finalModule(m);
    if (f !== undefined) return f;
  }
  return undefined;
}
