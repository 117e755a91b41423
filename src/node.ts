// sparsegrad in Node: everything in the main entry, plus the loaders that read files.
export * from './index';
export { loadData, loadEmbedded, loadMnistDir, loadIdxPair, loadFashionMnist } from './data/node-loader';
export { readBytes, writeAtomic } from './io/files';
export { FileTuneStore } from './io/tune-file';
