// The app in Node: its own backend on the webgpu package's adapter, the embedded digits.
import { createBackend, loadEmbedded } from 'sparsegrad';
import { runApp } from './app.js';

const backend = await createBackend();
const result = await runApp(backend, loadEmbedded(), (line) => console.log(line));
console.log(`RESULT ${JSON.stringify(result)}`);
backend.destroy();
