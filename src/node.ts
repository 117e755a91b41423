/// <reference lib="dom" preserve="true" />
// sparsegrad in Node: everything in the main entry, plus the loaders that read files.
export * from './index.js';
// Explicit exports win over the star: in Node a backend opens on the webgpu package's adapter.
export { createBackend, initGpu } from './gpu/node-gpu.js';
export { loadData, loadEmbedded, loadMnistDir, loadIdxPair, loadFashionMnist } from './data/node-loader.js';
export { readBytes, writeAtomic } from './io/files.js';
export { FileTuneStore } from './io/tune-file.js';
