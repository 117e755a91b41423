import type { Chart } from './charts.js';

interface DetectJsonRow {
  score: string;
  attack: string;
  ratio?: number;
  auc: number | null;
  roc: { fpr: number; tpr: number }[];
  robustAccuracy?: number;
  evaded?: number;
}

/**
 * A detector-aware PGD's weight from its attack name (`pgd-ce-vs-onehot-wrong×0.3 ε=0.1`), the
 * name of its plain twin and its variant (`onehot-wrong`).
 */
function awareWeight(attack: string): { weight: number; plain: string; variant: string } | null {
  const m = /^(.*)-vs-([a-z-]+)×([0-9.e+-]+)( ε=.*)$/.exec(attack);
  return m ? { weight: Number(m[3]), plain: `${m[1]}${m[4]}`, variant: m[2] } : null;
}

/**
 * The detector-aware attack against its weight (0: the plain attack), at the lowest ratio: robust
 * accuracy, and per score the share of images wrong and unflagged (what the detector leaves the
 * attacker). One chart per plain attack and aware variant with two or more weights.
 */
function awareCharts(rows: DetectJsonRow[], ratio: number, title: string): Chart[] {
  const at = rows.filter((r) => (r.ratio ?? 0) === ratio && r.robustAccuracy !== undefined);
  const families = new Map<string, { plain: string; variant: string }>();
  for (const r of at) {
    const w = awareWeight(r.attack);
    if (w) families.set(`${w.plain}|${w.variant}`, w);
  }
  const charts: Chart[] = [];
  for (const { plain, variant } of families.values()) {
    const byWeight = new Map<number, string>([[0, plain]]);
    for (const r of at) {
      const w = awareWeight(r.attack);
      if (w?.plain === plain && w.variant === variant) byWeight.set(w.weight, r.attack);
    }
    if (byWeight.size < 3) continue;
    const weights = [...byWeight.keys()].sort((a, b) => a - b);
    const scores = [...new Set(at.filter((r) => r.attack === plain).map((r) => r.score))];
    const pick = (w: number, score: string | null) =>
      at.find((r) => r.attack === byWeight.get(w) && (score === null || r.score === score));
    const pct = (v: number | undefined) => (v === undefined || v === null ? null : 100 * v);
    charts.push({
      title: `detector-aware ${plain} (${variant}) against its weight (0: plain)${ratio ? ` (pruned ${ratio})` : ''} — ${title}`,
      ratios: weights,
      series: [
        { label: 'robust accuracy', values: weights.map((w) => pct(pick(w, null)?.robustAccuracy)) },
        ...scores.map((score) => ({
          label: `wrong and unflagged: ${score}`,
          values: weights.map((w) => pct(pick(w, score)?.evaded)),
        })),
      ],
      axes: { x: 'weight of the detector score in the attack loss', y: '% of test images', logY: false, yRange: null },
    });
  }
  return charts;
}

/** TPR at each FPR of the grid: the best point of the curve at or below that FPR (a step curve). */
function tprAt(roc: { fpr: number; tpr: number }[], grid: number[]): number[] {
  return grid.map((x) => roc.reduce((best, p) => (p.fpr <= x + 1e-12 && p.tpr > best ? p.tpr : best), 0));
}

/**
 * From `sparsegrad detect`'s JSON: ROC curves (one chart per attack, a curve per score, at the
 * lowest pruning ratio measured) and, where several ratios were measured, ROC-AUC against the
 * pruning ratio (one chart per attack).
 */
export function detectCharts(detectJson: unknown, file: string): Chart[] {
  const d = detectJson as { tool?: string; model?: string; rows?: DetectJsonRow[] };
  if (d?.tool !== 'sparsegrad detect' || !Array.isArray(d.rows))
    throw new Error(`${file}: not a sparsegrad detect JSON with "rows"`);
  const rows = d.rows.filter((r) => r.roc?.length);
  const ratios = [...new Set(rows.map((r) => r.ratio ?? 0))].sort((a, b) => a - b);
  const attacks = [...new Set(rows.map((r) => r.attack))];
  const grid = Array.from({ length: 101 }, (_, i) => i / 100);
  const charts: Chart[] = attacks.map((attack) => ({
    title: `detection ROC: ${attack}${ratios[0] ? ` (pruned ${ratios[0]})` : ''} — ${d.model ?? file}`,
    ratios: grid,
    series: rows
      .filter((r) => r.attack === attack && (r.ratio ?? 0) === ratios[0])
      .map((r) => ({ label: `${r.score} (AUC ${(r.auc ?? NaN).toFixed(3)})`, values: tprAt(r.roc, grid) })),
    axes: {
      x: 'false-positive rate (clean images flagged)',
      y: 'true-positive rate (noisy images flagged)',
      logY: false,
      yRange: [0, 1],
    },
  }));
  charts.push(...awareCharts(d.rows, ratios[0], d.model ?? file));
  if (ratios.length > 1)
    for (const attack of attacks) {
      const scores = [...new Set(rows.filter((r) => r.attack === attack).map((r) => r.score))];
      charts.push({
        title: `detection ROC-AUC against pruning ratio: ${attack} — ${d.model ?? file}`,
        ratios,
        series: scores.map((score) => ({
          label: score,
          values: ratios.map(
            (ratio) =>
              rows.find((r) => r.attack === attack && r.score === score && (r.ratio ?? 0) === ratio)?.auc ?? null,
          ),
        })),
        axes: { x: 'pruning ratio', y: 'ROC-AUC', logY: false, yRange: [0, 1] },
      });
    }
  return charts;
}

interface ImpJsonRow {
  round: number;
  sparsity: number;
  testAccuracy: number;
}

/** From `sparsegrad imp`'s JSON: clean test accuracy against sparsity, a point per round. */
export function impCharts(impJson: unknown, file: string): Chart[] {
  const d = impJson as { tool?: string; rows?: ImpJsonRow[]; spec?: { rewind?: number; perRound?: number } };
  if (d?.tool !== 'sparsegrad imp' || !Array.isArray(d.rows))
    throw new Error(`${file}: not a sparsegrad imp JSON with "rows"`);
  const rows = [...d.rows].sort((a, b) => a.sparsity - b.sparsity);
  return [
    {
      title: `iterative magnitude pruning (${d.spec?.perRound ?? '?'} of the remaining weights per round, rewind to iteration ${d.spec?.rewind ?? '?'}) — ${file}`,
      ratios: rows.map((r) => 100 * r.sparsity),
      series: [{ label: 'clean', values: rows.map((r) => 100 * r.testAccuracy) }],
      axes: { x: 'weights pruned (%)', y: 'test accuracy (%)', logY: false, yRange: null },
    },
  ];
}

interface RobustnessCompareRow {
  model: string;
  sparsity: number;
  clean: number | null;
  universal_worst: number | null;
  pgd_worst: number | null;
}

/**
 * From a pruning-robustness comparison (results/imp-lenet/summarise.py: one-shot, fine-tuned and
 * IMP models at the same sparsities): clean accuracy, worst universal noise and worst PGD
 * against the share of weights pruned, one curve per way of pruning (the dense model at 0 in each).
 */
export function pruningRobustnessCharts(json: unknown, file: string): Chart[] {
  const d = json as { tool?: string; rows?: RobustnessCompareRow[] };
  if (d?.tool !== 'sparsegrad pruning-robustness' || !Array.isArray(d.rows))
    throw new Error(`${file}: not a sparsegrad pruning-robustness JSON with "rows"`);
  const rows = d.rows;
  const at = (s: number) => Math.round(1000 * s) / 10; // % pruned, to 0.1
  const xs = [...new Set(rows.map((r) => at(r.sparsity)))].sort((a, b) => a - b);
  const dense = rows.find((r) => r.model === 'dense');
  const kinds = [...new Set(rows.map((r) => r.model.replace(/ round \d+$/, '')).filter((k) => k !== 'dense'))];
  const measures = [
    ['clean', 'clean test accuracy'],
    ['universal_worst', 'worst universal noise (mean over the vectors)'],
    ['pgd_worst', 'PGD (worst loss)'],
  ] as const;
  return measures.map(([key, what]) => ({
    title: `${what} against weights pruned: one-shot, fine-tuned and IMP at the same sparsities — ${file}`,
    ratios: xs,
    series: kinds.map((k) => ({
      label: k,
      values: xs.map((x) => {
        const r = rows.find((q) => q.model.replace(/ round \d+$/, '') === k && at(q.sparsity) === x);
        const v = r ? r[key] : x === 0 && dense ? dense[key] : null;
        return v === null || v === undefined ? null : 100 * v;
      }),
    })),
    axes: { x: 'weights pruned (%)', y: 'test accuracy (%)', logY: false, yRange: null },
  }));
}
