export { RandomDataset, TensorDataset, checkDataset, isContiguous } from './dataset.js';
export type { ContiguousDataset, Dataset, DatasetRows, RandomDatasetOptions } from './dataset.js';
export { DataLoader } from './loader.js';
export type { Batch, DataLoaderOptions } from './loader.js';
export { Standardizer } from './standardize.js';
export type { StandardizerMode, StandardizerOptions } from './standardize.js';
export { defaultMNISTDir, loadMNIST, readIdx } from './mnist.js';
export type { LoadMNISTOptions, MNISTSplit } from './mnist.js';
