import { describe, expect, it } from 'vitest';
import { detectCharts, impCharts, pruningRobustnessCharts } from '../../src/report/detect-charts';

describe('report charts for detection and iterative pruning', () => {
  const roc = [
    { fpr: 0, tpr: 0 },
    { fpr: 0.1, tpr: 0.5 },
    { fpr: 0.5, tpr: 0.9 },
    { fpr: 1, tpr: 1 },
  ];
  const json = {
    tool: 'sparsegrad detect',
    model: 'm',
    rows: [
      { score: 'onehot-distance', attack: 'pgd-ce ε=0.1', ratio: 0, auc: 0.9, roc },
      { score: 'onehot-distance', attack: 'pgd-ce ε=0.1', ratio: 0.5, auc: 0.8, roc },
      { score: 'neg-msp', attack: 'pgd-ce ε=0.1', ratio: 0, auc: 0.7, roc },
      { score: 'neg-msp', attack: 'worst of pgd', ratio: 0, auc: null, roc: [] },
    ],
  };
  it('ROC as a step curve on an FPR grid at the lowest ratio, and AUC against pruning ratio', () => {
    const [rocChart, aucChart] = detectCharts(json, 'd.json');
    expect(rocChart.ratios.length).toBe(101);
    const s = rocChart.series.find((x) => x.label.startsWith('onehot-distance'))!;
    expect(s.label).toBe('onehot-distance (AUC 0.900)');
    expect([s.values[0], s.values[9], s.values[10], s.values[49], s.values[50], s.values[100]]).toEqual([
      0, 0, 0.5, 0.5, 0.9, 1,
    ]);
    expect(aucChart.ratios).toEqual([0, 0.5]);
    expect(aucChart.series.find((x) => x.label === 'onehot-distance')!.values).toEqual([0.9, 0.8]);
    expect(aucChart.series.find((x) => x.label === 'neg-msp')!.values).toEqual([0.7, null]);
    expect(() => detectCharts({ tool: 'x' }, 'bad.json')).toThrow(/bad\.json: not a sparsegrad detect JSON/);
  });
  it('the detector-aware attack against its weight: robust accuracy and evaded share per score, plain at 0', () => {
    const row = (attack: string, score: string, robustAccuracy: number, evaded: number) => ({
      score,
      attack,
      ratio: 0,
      auc: 0.5,
      roc,
      robustAccuracy,
      evaded,
    });
    const charts = detectCharts(
      {
        tool: 'sparsegrad detect',
        model: 'm',
        rows: [
          row('pgd-ce-vs-onehot-wrong×1 ε=0.1', 'neg-max', 0.9, 0.02),
          row('pgd-ce-vs-onehot-wrong×1 ε=0.1', 'onehot-distance', 0.9, 0.01),
          row('pgd-ce ε=0.1', 'neg-max', 0.5, 0.3),
          row('pgd-ce ε=0.1', 'onehot-distance', 0.5, 0.25),
          row('pgd-ce-vs-onehot-wrong×0.3 ε=0.1', 'neg-max', 0.6, 0.35),
          row('pgd-ce-vs-onehot-wrong×0.3 ε=0.1', 'onehot-distance', 0.6, 0.4),
          row('universal 3/0.25', 'neg-max', 0.2, 0.6),
          row('pgd-ce-vs-onehot-top×0.3 ε=0.1', 'neg-max', 0.7, 0.2), // another variant: its own curve, too short here
        ],
      },
      'd.json',
    );
    const aware = charts.filter((c) => c.title.startsWith('detector-aware'));
    expect(aware.length).toBe(1);
    expect(aware[0].title).toMatch(/^detector-aware pgd-ce ε=0\.1 \(onehot-wrong\) against its weight/);
    expect(aware[0].ratios).toEqual([0, 0.3, 1]);
    const values = Object.fromEntries(
      aware[0].series.map((x) => [x.label, x.values.map((v) => Math.round(v! * 10) / 10)]),
    );
    expect(values).toEqual({
      'robust accuracy': [50, 60, 90],
      'wrong and unflagged: neg-max': [30, 35, 2],
      'wrong and unflagged: onehot-distance': [25, 40, 1],
    });
    // One aware weight alone makes no curve.
    const one = detectCharts(
      {
        tool: 'sparsegrad detect',
        rows: [row('pgd-ce ε=0.1', 'neg-max', 0.5, 0.3), row('pgd-ce-vs-onehot-wrong×1 ε=0.1', 'neg-max', 0.9, 0.02)],
      },
      'd.json',
    );
    expect(one.some((c) => c.title.startsWith('detector-aware'))).toBe(false);
  });
  it('IMP: accuracy against the share pruned, a point per round in order of sparsity', () => {
    const [c] = impCharts(
      {
        tool: 'sparsegrad imp',
        spec: { perRound: 0.2, rewind: 10 },
        rows: [
          { round: 1, sparsity: 0.2, testAccuracy: 0.97 },
          { round: 0, sparsity: 0, testAccuracy: 0.98 },
        ],
      },
      'i.json',
    );
    expect(c.ratios).toEqual([0, 20]);
    expect(c.series[0].values).toEqual([98, 97]);
    expect(() => impCharts({}, 'bad.json')).toThrow(/not a sparsegrad imp JSON/);
  });
});

describe('pruning-robustness charts', () => {
  it('one curve per way of pruning, aligned by sparsity, the dense model at 0 in each; a foreign JSON is named', () => {
    const row = (model: string, sparsity: number, clean: number, u: number, p: number) => ({
      model,
      sparsity,
      clean,
      universal_worst: u,
      pgd_worst: p,
    });
    const charts = pruningRobustnessCharts(
      {
        tool: 'sparsegrad pruning-robustness',
        rows: [
          row('dense', 0, 0.98, 0.5, 0.4),
          row('one-shot', 0.79, 0.97, 0.45, 0.2),
          row('fine-tuned 900', 0.79, 0.98, 0.48, 0.3),
          row('IMP round 7', 0.7903, 0.979, 0.47, 0.35),
        ],
      },
      'r.json',
    );
    expect(charts.map((c) => c.title.split(' against')[0])).toEqual([
      'clean test accuracy',
      'worst universal noise (mean over the vectors)',
      'PGD (worst loss)',
    ]);
    const pgdChart = charts[2];
    expect(pgdChart.ratios).toEqual([0, 79]);
    expect(pgdChart.series.map((s) => s.label)).toEqual(['one-shot', 'fine-tuned 900', 'IMP']);
    expect(pgdChart.series.map((s) => s.values.map((v) => (v === null ? null : Math.round(v))))).toEqual([
      [40, 20],
      [40, 30],
      [40, 35],
    ]);
    expect(() => pruningRobustnessCharts({ rows: [] }, 'x.json')).toThrow(
      /x.json: not a sparsegrad pruning-robustness JSON/,
    );
  });
});
