/// <reference lib="dom" preserve="true" />
// The single-file browser bundle (dist/browser/sparsegrad.js): the engine and the research code.
export * from './index.js';
export * from './research.js';
