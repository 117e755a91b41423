// docs/cli-misuse.md: what the CLI says to common mistakes (typos, bad values, missing files),
// each run for real: `node scripts/cli-misuse.mjs`.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const CASES = [
  ['a mistyped command', ['trian']],
  ['a mistyped option', ['train', '--hiden', '100']],
  ['an unknown option', ['train', '--bogus']],
  ['--iterations 0', ['train', '--iterations', '0']],
  ['a negative learning rate', ['train', '--lr', '-1']],
  ['--batch 0', ['train', '--batch', '0']],
  ['--dropout 1', ['train', '--dropout', '1']],
  ['the old --keep', ['train', '--keep', '0.7']],
  ['a hidden size that is not a number', ['train', '--hidden', '100,x']],
  ['an unknown architecture', ['train', '--arch', 'rnn']],
  ['an unknown loss', ['train', '--loss', 'hinge']],
  ['a learning-rate schedule out of order', ['train', '--lr-schedule', '400:1e-4,300:1e-5']],
  ['--conv without --arch cnn', ['train', '--conv', '12x5']],
  ['an even conv kernel', ['train', '--arch', 'cnn', '--conv', '12x4']],
  ['a missing data folder', ['train', '--data', '/nonexistent-dir']],
  ['a missing model config', ['train', '--model-config', 'none.json']],
  ['a batch larger than the data', ['train', '--batch', '1000000000', '--out', '/tmp/sparsegrad-misuse-batch']],
  ['--out under /proc', ['train', '--out', '/proc/sparsegrad-out']],
  ['--out below a file', ['train', '--out', '/etc/passwd/run']],
  ['noise limit 0', ['noise', '--model', 'm.safetensors', '--target', '3', '--limit', '0']],
  ['noise vectors with a negative limit', ['noise', '--model', 'm.safetensors', '--vectors', '3:-0.1']],
  ['a missing model', ['eval', '--model', 'nope.safetensors', '--out', '/tmp/sparsegrad-misuse.json']],
  ['eval --test-images 0', ['eval', '--model', 'm.safetensors', '--test-images', '0']],
  ['prune --ratio 1.5', ['prune', '--model', 'm.safetensors', '--ratio', '1.5', '--out', 'x.safetensors']],
  ['imp --per-round 1', ['imp', '--per-round', '1']],
  ['an adversarial spec without ε', ['train', '--adversarial', 'pgd']],
  [
    '--adversarial on a method without a loss',
    [
      'prune',
      '--model',
      'results/study-embedded/model-seed1/model.safetensors',
      '--ratio',
      '0.5',
      '--adversarial',
      'fgsm-rs:0.1',
      '--out',
      '/tmp/sparsegrad-misuse.safetensors',
      '--force',
    ],
  ],
  ['certify a missing model', ['certify', '--model', 'm.safetensors', '--out', '/tmp/sparsegrad-misuse-certify.json']],
  ['an unknown study sweep', ['study', '--sweeps', 'per-neuron', '--out', '/tmp/sparsegrad-misuse-study']],
  ['report on a missing folder', ['report', '/nonexistent-results']],
];
const rows = CASES.map(([what, args]) => {
  const r = spawnSync(process.execPath, ['bin/sparsegrad.js', ...args], { encoding: 'utf8' });
  const lines = r.stderr.split('\n').filter((l) => l.trim());
  const cell = (s) => s.replace(/\|/g, '\\|');
  return `| ${what} | \`sparsegrad ${args.join(' ')}\` | ${r.status} | ${lines.map((l) => cell(l)).join('<br>')} |`;
});
writeFileSync(
  'docs/cli-misuse.md',
  `# What the CLI says to mistakes

Each row was run for real by \`node scripts/cli-misuse.mjs\`: the command, its exit status and
everything it printed on stderr. Our errors are one line
naming the file, flag or value; usage errors give the reason and a one-line hint.

| mistake | command | exit | stderr |
|---|---|---|---|
${rows.join('\n')}
`,
);
console.log(`wrote docs/cli-misuse.md (${rows.length} cases)`);
