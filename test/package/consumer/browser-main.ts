// The app in a page: a backend on navigator.gpu, the embedded digits fetched from where the page serves them.
import { createBackend, fetchEmbedded } from 'sparsegrad';
import { runApp } from './app.js';

const out = document.getElementById('log')!;
const w = window as unknown as { consumer: { done: boolean; result?: unknown; error?: string } };
w.consumer = { done: false };
try {
  const backend = await createBackend();
  const result = await runApp(backend, await fetchEmbedded('/digits/'), (line) => {
    out.textContent += `${line}\n`;
  });
  w.consumer = { done: true, result };
} catch (e) {
  w.consumer = { done: true, error: String((e as Error).stack ?? e) };
}
