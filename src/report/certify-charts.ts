import type { Chart, ChartSeries } from './charts.js';

interface CertifyJsonRow {
  epsilon: number;
  method: string;
  accuracy: number;
}

const LABELS: Record<string, string> = {
  pgd: 'PGD (upper bound)',
  crown: 'certified, CROWN (lower bound)',
  ibp: 'certified, IBP (lower bound)',
};

/**
 * The sandwich from `sparsegrad certify` JSON: against ε (0: clean accuracy), what IBP and CROWN
 * certify and what PGD leaves; the true robust accuracy lies in the shaded band between the
 * tightest certificate and the attack.
 */
export function certifyCharts(certifyJson: unknown, file: string): Chart[] {
  const c = certifyJson as { tool?: string; model?: string; data?: string; clean?: number; rows?: CertifyJsonRow[] };
  if (c?.tool !== 'sparsegrad certify' || !Array.isArray(c.rows) || typeof c.clean !== 'number')
    throw new Error(`${file}: not a sparsegrad certify JSON with "clean" and "rows"`);
  if (!c.rows.length) return [];
  const epsilons = [...new Set([0, ...c.rows.map((r) => r.epsilon)])].sort((a, b) => a - b);
  const methods = ['pgd', 'crown', 'ibp'].filter((m) => c.rows!.some((r) => r.method === m));
  const valuesOf = (method: string) =>
    epsilons.map((eps) => {
      if (eps === 0) return 100 * c.clean!;
      const row = c.rows!.find((r) => r.method === method && r.epsilon === eps);
      return row ? 100 * row.accuracy : null;
    });
  // The tightest certificate at each ε: CROWN's is the larger of its own bound and IBP's, but
  // take the larger share anyway so that a file with either method alone still bands.
  const certified = methods.filter((m) => m !== 'pgd').map(valuesOf);
  const band = methods.includes('pgd') && certified.length > 0;
  const series: ChartSeries[] = methods.map((m) => ({ label: LABELS[m], values: valuesOf(m) }));
  if (band) {
    const low = epsilons.map((_, i) =>
      certified.reduce<number | null>((best, v) => (v[i] === null ? best : Math.max(best ?? v[i]!, v[i]!)), null),
    );
    series.push(
      { label: 'true robust accuracy: low', values: low, bandOf: LABELS.pgd },
      { label: 'true robust accuracy: high', values: valuesOf('pgd'), bandOf: LABELS.pgd },
    );
  }
  return [
    {
      title: `certified ≤ true ≤ PGD against ε (${c.model ?? file}${c.data ? `; ${c.data}` : ''}; ε = 0: clean)`,
      ratios: epsilons,
      series,
      axes: { x: 'ε (L∞, pixel scale 0–1)', y: 'robust accuracy (%)', logY: false },
    },
  ];
}
