import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNode } from '../../scripts/build.mjs';

const cli = join(process.cwd(), 'dist/sparsegrad.js');
// Kernel winners measured by these runs go to a cache of their own, not the user's.
const tuneCache = mkdtempSync(join(tmpdir(), 'cli-tune-cache-'));
const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, SPARSEGRAD_CACHE: tuneCache },
  });
const tunedBuckets = (stdout: string) => {
  const m = /kernels: measured per shape \((\d+) shape buckets \(matmul, reductions, conv\), (\d+) measured now/.exec(
    stdout,
  );
  return m ? { buckets: Number(m[1]), measured: Number(m[2]) } : null;
};

beforeAll(() => buildNode({ sparsegrad: 'src/cli/main.ts' }));

describe('sparsegrad CLI', () => {
  it('--help lists the commands', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    for (const c of ['train', 'noise', 'eval', 'sweep', 'merge', 'study', 'report']) expect(r.stdout).toContain(c);
  });
  it('train --arch cnn writes conv{i}/fc{i} tensors in PyTorch layout', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { decodeSafetensors } = await import('../../src/io/safetensors');
    const out = mkdtempSync(join(tmpdir(), 'cnn-cli-'));
    const r = run(
      'train',
      '--arch',
      'cnn',
      '--conv',
      '3x5',
      '--hidden',
      '8',
      '--iterations',
      '2',
      '--batch',
      '4',
      '--eval-every',
      '0',
      '--no-progress',
      '--batches',
      'host',
      '--out',
      out,
    );
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.stdout).toMatch(/model 784-conv5x5x3-8-10/);
    expect(JSON.parse(readFileSync(join(out, 'train.json'), 'utf8')).metrics.batchesOn).toBe('host');
    const { arrays } = decodeSafetensors(readFileSync(join(out, 'model.safetensors')), 'model.safetensors');
    expect(arrays.map((a) => `${a.name}[${a.shape}]`)).toEqual([
      'conv1.weight[3,1,5,5]',
      'conv1.bias[3]',
      'fc1.weight[8,2352]',
      'fc1.bias[8]',
      'fc2.weight[10,8]',
      'fc2.bias[10]',
    ]);
  });
  it('train --kernels: tuned measures each matmul bucket once per adapter (cached on disk), rules and a forced kernel measure nothing', async () => {
    const { mkdtempSync, readdirSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const cache = mkdtempSync(join(tmpdir(), 'tune-cache-'));
    const train = (kernels: string) =>
      spawnSync(
        process.execPath,
        [
          cli,
          'train',
          '--hidden',
          '32',
          '--iterations',
          '3',
          '--batch',
          '20',
          '--eval-every',
          '0',
          '--no-progress',
          '--fresh',
          '--kernels',
          kernels,
          '--out',
          join(cache, 'run'),
        ],
        { encoding: 'utf8', env: { ...process.env, SPARSEGRAD_CACHE: cache } },
      );
    const first = train('tuned');
    expect(first.status, first.stderr).toBe(0);
    const m = tunedBuckets(first.stdout);
    expect(m, first.stdout).not.toBeNull();
    expect(m!.measured).toBe(m!.buckets);
    expect(m!.buckets).toBeGreaterThanOrEqual(3); // forward and both gradients of two layers share some buckets
    const file = readdirSync(cache).find((f) => f.startsWith('tuning-'))!;
    const records = JSON.parse(readFileSync(join(cache, file), 'utf8')).records;
    expect(Object.keys(records).length).toBe(m!.buckets);
    // The winner is the fastest, or the rule's choice within 3% of it.
    for (const r of Object.values(records) as { winner: string; ms: Record<string, number> }[])
      expect(r.ms[r.winner]).toBeLessThanOrEqual(Math.min(...Object.values(r.ms)) * 1.03 + 1e-9);
    const second = train('tuned');
    expect(second.stdout).toMatch(/, 0 measured now/);
    expect(train('rules').stdout).toMatch(/kernels: rules/);
    const tiled = train('tiled-k2');
    expect(tiled.status, tiled.stderr).toBe(0);
    expect(tiled.stdout).toMatch(/kernels: tiled-k2[\s\S]*test accuracy/);
    const bad = train('fastest');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/"fastest" is not tuned, rules or one of plain/);
  });
  it('prune writes a pruned model (torch.nn.utils.prune layout); train --init --keep-pruned fine-tunes it with the pruned weights kept at 0', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { decodeSafetensors } = await import('../../src/io/safetensors');
    const dir = mkdtempSync(join(tmpdir(), 'finetune-'));
    const base = run(
      'train',
      '--hidden',
      '40,20',
      '--iterations',
      '60',
      '--eval-every',
      '0',
      '--no-progress',
      '--kernels',
      'rules',
      '--out',
      join(dir, 'base'),
    );
    expect(base.status, base.stderr).toBe(0);
    const pruned = run(
      'prune',
      '--model',
      join(dir, 'base/model.safetensors'),
      '--ratio',
      '0.9',
      '--method',
      'abs',
      '--mask-layout',
      'torch-prune',
      '--out',
      join(dir, 'pruned.safetensors'),
    );
    expect(pruned.status, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(
      /abs per-matrix at 0\.9: 29124 of 32360 weights pruned \(28224 \/ 720 \/ 180 per matrix\)/,
    );
    const tuned = run(
      'train',
      '--init',
      join(dir, 'pruned.safetensors'),
      '--keep-pruned',
      '--mask-layout',
      'torch-prune',
      '--iterations',
      '40',
      '--eval-every',
      '0',
      '--no-progress',
      '--kernels',
      'rules',
      '--out',
      join(dir, 'tuned'),
    );
    expect(tuned.status, tuned.stderr).toBe(0);
    expect(tuned.stdout).toMatch(
      /fine-tuning .*pruned\.safetensors under its masks: 29124 of 32360 weights pruned \(90\.00%\) stay 0/,
    );
    expect(tuned.stdout).toMatch(/model 784-40-20-10/);
    const before = new Map(
      decodeSafetensors(readFileSync(join(dir, 'pruned.safetensors')), 'p').arrays.map((a) => [a.name, a.data]),
    );
    const after = new Map(
      decodeSafetensors(readFileSync(join(dir, 'tuned/model.safetensors')), 't').arrays.map((a) => [a.name, a.data]),
    );
    for (const l of ['fc1', 'fc2', 'fc3']) {
      const mask = after.get(`${l}.weight_mask`)!,
        w = after.get(`${l}.weight_orig`)!;
      expect(Array.from(mask)).toEqual(Array.from(before.get(`${l}.weight_mask`)!));
      let changed = 0;
      w.forEach((v, i) => {
        if (!mask[i]) expect(v).toBe(0);
        else if (v !== before.get(`${l}.weight_orig`)![i]) changed++;
      });
      expect(changed).toBeGreaterThan(0);
    }
    expect(JSON.parse(readFileSync(join(dir, 'tuned/train.json'), 'utf8')).fineTuned).toMatchObject({
      maskLayout: 'torch-prune',
      pruned: 29124,
      weights: 32360,
    });
    const bad = run('train', '--keep-pruned', '--iterations', '1', '--out', join(dir, 'bad'));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--keep-pruned needs --init/);
  });
  it('train --model-config: nn layers from JSON (conv, max-pool, linear) train, save torch.nn.Sequential names, and resume; noise, sweep, detect (plain and detector-aware, pruned), prune and eval take the model', async () => {
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { decodeSafetensors } = await import('../../src/io/safetensors');
    const dir = mkdtempSync(join(tmpdir(), 'nn-cli-'));
    writeFileSync(
      join(dir, 'model.json'),
      JSON.stringify({
        input: [1, 28, 28],
        layers: [
          { type: 'Conv2d', out: 4, kernel: 3, padding: 'same' },
          { type: 'ReLU' },
          { type: 'MaxPool2d', kernel: 2 },
          { type: 'Flatten' },
          { type: 'Linear', out: 10 },
        ],
      }),
    );
    const args = [
      'train',
      '--model-config',
      join(dir, 'model.json'),
      '--loss',
      'softmax-ce',
      '--batch',
      '20',
      '--eval-every',
      '10',
      '--no-progress',
      '--out',
      join(dir, 'run'),
    ];
    const first = run(...args, '--iterations', '20');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /model Conv2d\[4,28,28\] → ReLU\[4,28,28\] → MaxPool2d\[4,14,14\] → Flatten\[784\] → Linear\[10\] \(7890 parameters\)/,
    );
    const { arrays, metadata } = decodeSafetensors(readFileSync(join(dir, 'run/model.safetensors')), 'm');
    expect(arrays.map((a) => `${a.name}[${a.shape}]`)).toEqual([
      '0.weight[4,1,3,3]',
      '0.bias[4]',
      '4.weight[10,784]',
      '4.bias[10]',
    ]);
    expect(JSON.parse(metadata.sparsegrad_model).layers[2]).toEqual({
      type: 'MaxPool2d',
      kernel: 2,
      stride: 2,
      padding: 0,
    });
    // Its own step's kernels are measured (conv buckets included), then read from the cache.
    const tuned = tunedBuckets(first.stdout);
    expect(tuned, first.stdout).not.toBeNull();
    expect(tuned!.buckets).toBeGreaterThanOrEqual(3);
    const { readdirSync } = await import('node:fs');
    const cacheFile = readdirSync(tuneCache).find((f) => f.startsWith('tuning-'))!;
    const buckets = Object.keys(JSON.parse(readFileSync(join(tuneCache, cacheFile), 'utf8')).records);
    expect(buckets.some((b) => b.startsWith('conv:'))).toBe(true);
    const more = run(...args, '--iterations', '30');
    expect(more.status, more.stderr).toBe(0);
    expect(more.stdout).toMatch(/resuming .* from iteration 20/);
    expect(tunedBuckets(more.stdout)).toEqual({ buckets: tuned!.buckets, measured: 0 });
    const saved = JSON.parse(readFileSync(join(dir, 'run/train.json'), 'utf8'));
    expect(saved.iteration).toBe(30);
    expect(saved.metrics.batchesOn).toBe('device'); // auto: the training set fits on the GPU
    const bad = run('train', '--model-config', join(dir, 'nope.json'), '--out', join(dir, 'x'));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--model-config .*nope\.json: ENOENT/);

    // Downstream, the commands take the nn model as they take the study's: noise, a decoupled
    // sweep through the max-pooling with activation-value pruning, pruning to torch's layout, eval.
    const model = join(dir, 'run/model.safetensors');
    const noise = run(
      'noise',
      '--model',
      model,
      '--target',
      '3',
      '--limit',
      '0.2',
      '--steps',
      '5',
      '--out',
      join(dir, 'noise'),
    );
    expect(noise.status, noise.stderr).toBe(0);
    const sweep = run(
      'sweep',
      '--model',
      model,
      '--noise',
      join(dir, 'noise/noise-t3-l0.2.safetensors'),
      '--method',
      'act,abs',
      '--ratios',
      '0,0.5',
      '--decouple',
      '--test-images',
      '100',
      '--adaptive-ratios',
      '0.5',
      '--adaptive-steps',
      '2',
      '--pgd',
      '0.1',
      '--pgd-steps',
      '2',
      '--out',
      join(dir, 'sweep'),
    );
    expect(sweep.status, sweep.stderr).toBe(0);
    const rows = readFileSync(join(dir, 'sweep/sweep.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((r) => r.split(','));
    // method, ratio, kernels per matrix, attack: the pruned decoupled model ran as sparse matrices
    // (CSR or dense, as measured here) and was attacked itself.
    const act = rows.filter((r) => r[2] === 'act' && r[4] === '0.5').map((r) => `${r[12]} ${r[13]}`);
    for (const attack of ['universal:no-penalty', 'pgd-margin'])
      expect(
        act.some((a) => new RegExp(`^(csr|dense);(csr|dense) ${attack}$`).test(a)),
        act.join(' | '),
      ).toBe(true);
    // Detection on the same model, pruned by magnitude too: plain and detector-aware PGD (both
    // pulls, two weights), one worst-of row per ratio and score, and the report's charts.
    const detect = run(
      'detect',
      '--model',
      model,
      '--noise',
      join(dir, 'noise/noise-t3-l0.2.safetensors'),
      '--pgd',
      '0.1',
      '--pgd-steps',
      '2',
      '--pgd-loss',
      'ce',
      '--aware',
      '0.5,2',
      '--aware-toward',
      'wrong,top',
      '--method',
      'abs',
      '--ratios',
      '0,0.5',
      '--validation',
      '200',
      '--test-images',
      '100',
      '--out',
      join(dir, 'detect'),
    );
    expect(detect.status, detect.stderr).toBe(0);
    const d = JSON.parse(readFileSync(join(dir, 'detect/detect.json'), 'utf8'));
    expect(d.aware).toEqual({ weights: [0.5, 2], score: 'msp', toward: ['wrong', 'top'] });
    for (const ratio of [0, 0.5]) {
      const attacks = [
        ...new Set(d.rows.filter((r: { ratio: number }) => r.ratio === ratio).map((r: { attack: string }) => r.attack)),
      ];
      expect(attacks.sort()).toEqual(
        [
          'universal 3/0.2',
          'pgd-ce ε=0.1',
          'pgd-ce-vs-msp-wrong×0.5 ε=0.1',
          'pgd-ce-vs-msp-wrong×2 ε=0.1',
          'pgd-ce-vs-msp-top×0.5 ε=0.1',
          'pgd-ce-vs-msp-top×2 ε=0.1',
          'worst of pgd-ce ε=0.1 (5 attacks)',
        ].sort(),
      );
    }
    expect(run('report', join(dir, 'detect')).status).toBe(0);
    const page = readFileSync(join(dir, 'detect/report.html'), 'utf8');
    for (const title of [
      'detector-aware pgd-ce ε=0.1 (msp-wrong) against its weight',
      'detector-aware pgd-ce ε=0.1 (msp-top) against its weight',
      'detection ROC-AUC against pruning ratio: pgd-ce ε=0.1',
    ])
      expect(page).toContain(title);
    const pruned = join(dir, 'pruned.safetensors');
    const prune = run(
      'prune',
      '--model',
      model,
      '--method',
      'act',
      '--ratio',
      '0.5',
      '--mask-layout',
      'torch-prune',
      '--out',
      pruned,
    );
    expect(prune.status, prune.stderr).toBe(0);
    const names = decodeSafetensors(readFileSync(pruned), 'p').arrays.map((a) => a.name);
    expect(names).toContain('4.weight_mask');
    const evaluated = run('eval', '--model', pruned, '--test-images', '100', '--out', join(dir, 'eval.json'));
    expect(evaluated.status, evaluated.stderr).toBe(0);
    const fashion = run('eval', '--model', model, '--data', join(dir, 'no-such-data'), '--out', join(dir, 'e2.json'));
    expect(fashion.status).not.toBe(0);
  });
  it('study end to end at a tiny budget: controls, chosen ratios, adaptive attacks, findings; a rerun resumes; a bad override is named', async () => {
    const { mkdtempSync, readFileSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const out = mkdtempSync(join(tmpdir(), 'study-cli-'));
    const args = [
      'study',
      '--iterations',
      '60',
      '--ratios',
      '0,0.3,0.6',
      '--sweeps',
      'per-matrix,pixel-mask',
      '--adaptive-steps',
      '5',
      '--pgd-steps',
      '2',
      '--pgd-images',
      '100',
      '--kernels',
      'rules', // tuning the study's step is tested with --model-config below
      '--out',
      out,
    ];
    const r = run(...args);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/worst − pixel-mask/);
    expect(r.stdout).toMatch(/kernels: rules/);
    // The sandwich beside each chosen model, on the PGD images: certified ≤ PGD at ε = 0.02.
    expect(r.stdout).toMatch(/certified ε=0\.02 \(first 100\): IBP ≤ CROWN ≤ PGD %/);
    const adaptive = readFileSync(join(out, 'adaptive/seed1/sweep.csv'), 'utf8');
    for (const attack of ['certified-ibp', 'certified-crown', 'pgd-upper']) expect(adaptive).toContain(`,${attack},`);
    const study = JSON.parse(readFileSync(join(out, 'study.json'), 'utf8'));
    expect(study.preset.ratios).toEqual([0, 0.3, 0.6]);
    expect(study.summary.methods.map((m: { method: string }) => m.method)).toEqual([
      'unpruned',
      'abs',
      'act',
      'combined',
      'random',
      'pixel-mask',
    ]);
    expect(study.sweeps).toEqual(['sweep-per-matrix', 'sweep-pixel-mask']);
    for (const f of [
      'robustness.csv',
      'report.html',
      'adaptive/seed1/sweep.csv',
      'noise/seed1/noise-t3-l0.25.safetensors',
    ])
      expect(existsSync(join(out, f)), f).toBe(true);
    const before = readFileSync(join(out, 'robustness.csv'), 'utf8');
    const again = run(...args);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).not.toMatch(/train seed|adaptive attacks, seed 1: 1\//); // nothing retrained or re-attacked
    expect(readFileSync(join(out, 'robustness.csv'), 'utf8')).toBe(before);
    const bad = run('study', '--sweeps', 'per-neuron', '--out', out);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--sweeps per-neuron: this preset has per-matrix, pixel-mask, per-layer/);
  }, 300_000); // the whole study twice
  it('study --model-config: an nn CNN with max-pooling goes through the whole study; per-layer scopes follow its layers; the pixel mask is left out, saying why', async () => {
    const { mkdtempSync, readFileSync, writeFileSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const out = mkdtempSync(join(tmpdir(), 'study-nn-'));
    const layers = [
      { type: 'Conv2d', out: 4, kernel: 3, padding: 1, stride: 2 },
      { type: 'ReLU' },
      { type: 'MaxPool2d', kernel: 2 },
      { type: 'Flatten' },
      { type: 'Linear', out: 10 },
    ];
    writeFileSync(join(out, 'cnn.json'), JSON.stringify({ input: [1, 28, 28], layers }));
    const r = run(
      'study',
      '--model-config',
      join(out, 'cnn.json'),
      '--iterations',
      '40',
      '--ratios',
      '0,0.5',
      '--adaptive-steps',
      '3',
      '--pgd-steps',
      '2',
      '--pgd-images',
      '50',
      '--out',
      out,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/sweep-pixel-mask left out: the pixel-mask control needs a linear first layer/);
    expect(r.stdout).toMatch(/certified bounds left out: certify: layer 2 \(MaxPool2d\(2, 2, 0\)\) has no bound here/);
    expect(tunedBuckets(r.stdout)!.buckets, r.stdout).toBeGreaterThanOrEqual(3); // its own step measured
    const study = JSON.parse(readFileSync(join(out, 'study.json'), 'utf8'));
    expect(study.sweeps).toEqual(['sweep-per-matrix', 'sweep-per-layer']);
    const perLayer = readFileSync(join(out, 'sweep-per-layer/sweep.csv'), 'utf8');
    expect(perLayer).toMatch(/,layer:2,/);
    expect(perLayer).not.toMatch(/,layer:3,/);
    for (const f of ['robustness.csv', 'report.html', 'adaptive/seed1/sweep.csv', 'model-seed1/model.safetensors'])
      expect(existsSync(join(out, f)), f).toBe(true);
  });
  it('report charts sparse-vs-dense timings from a bench file, and names a bench file without them', async () => {
    const { mkdtempSync, cpSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    cpSync('test/fixtures/study', dir, { recursive: true });
    const r = run('report', dir);
    expect(r.stderr).toBe('');
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('conv1 decoupled 9408×784 × [cols, 250]: time per product');
    expect(html).toContain('scipy CSR (1 thread)');
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ results: { matmul: {} } }));
    const bad = run('report', dir, '--bench', join(dir, 'other.json'));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/other.json: no results.sparse.rows \(write it with npm run bench -- sparse\)/);
  });
  it.each([
    [
      ['train', '--dropout', '1'],
      /option '--dropout <p>' argument '1' is invalid. "1" is not a number in \[0, 0.999999\]/,
    ],
    [
      ['train', '--keep', '0.7'],
      /--keep \(a keep probability\) is now --dropout <p>, the drop probability: use --dropout 0.3/,
    ],
    [['train', '--hidden', '100,x'], /"100,x" is not a comma-separated list of positive integers/],
    [['train', '--bogus'], /unknown option '--bogus'/],
    [
      ['noise', '--model', 'm.safetensors', '--target', '-1', '--limit', '0.2'],
      /"-1" is not a number in \[0, Infinity\]/,
    ],
    [['noise', '--model', 'm.safetensors', '--vectors', '3:-0.1'], /"3:-0.1": limit must be in \(0, 1\]/],
    [['sweep', '--model', 'nope.safetensors', '--shard', '3/2'], /nope.safetensors: no such file|--shard "3\/2"/],
    [['train', '--data', '/nonexistent-dir'], /\/nonexistent-dir: missing train-images-idx3-ubyte/],
    [['train', '--arch', 'cnn', '--conv', '12x4'], /"12x4" in "12x4" is not CHANNELSxKERNEL with an odd kernel/],
    [['train', '--conv', '12x5'], /--conv needs --arch cnn/],
    [['train', '--lr-schedule', '400:1e-4,300:1e-5'], /"400:1e-4,300:1e-5": iterations must ascend/],
    [['train', '--lr-schedule', '400:-1'], /"400:-1" in "400:-1" is not ITERATION:LR with LR > 0/],
    [['train', '--arch', 'rnn'], /argument 'rnn' is invalid. Allowed choices are fc, cnn/],
  ])('%j fails with a one-line reason', (args, message) => {
    const r = run(...args);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
  });
});
