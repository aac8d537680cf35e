export { writeAtomic, writeFileAtomic } from './atomic.js';
export { CHECKSUM_KEY, HEADER_CHECKSUM_KEY, MAX_HEADER_BYTES, loadSafetensors, saveSafetensors } from './safetensors.js';
export type { SafetensorsDType, Safetensors, SaveEntry, StoredArray } from './safetensors.js';
export { ONNX_OPSET, exportONNX, onnxModel, type ExportONNXOptions } from './onnx.js';
