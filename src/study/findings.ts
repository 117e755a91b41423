import type { MeanCi } from '../metrics/interval.js';
import { ALL_VECTORS, type StudySummary } from './summary.js';

const pts = (c: MeanCi | null | undefined): string =>
  !c?.n
    ? '-'
    : c.n > 1
      ? `${(100 * c.mean).toFixed(1)} [${(100 * c.low).toFixed(1)}, ${(100 * c.high).toFixed(1)}]`
      : (100 * c.mean).toFixed(1);
const signed = (c: MeanCi | null | undefined): string =>
  !c?.n
    ? '-'
    : `${c.mean >= 0 ? '+' : ''}${(100 * c.mean).toFixed(1)}${c.n > 1 ? ` [${(100 * c.low).toFixed(1)}, ${(100 * c.high).toFixed(1)}]` : ''}`;

/** The findings table: per method at its chosen ratio, clean accuracy, each attack (mean over the noise vectors), PGD, and the gains over the controls. */
export function findingsTable(s: StudySummary): { header: string[]; rows: string[][] } {
  const attacks = ['transfer', 'universal:study', 'universal:no-penalty', 'worst'];
  const pgdWorst = (m: StudySummary['methods'][number]) =>
    m.measures.find((x) => x.noise.startsWith('pgd') && x.attack === 'worst') ??
    m.measures.find((x) => x.noise.startsWith('pgd'));
  const pgdName = s.methods.map(pgdWorst).find(Boolean)?.noise ?? 'pgd';
  // The sandwich per certified ε: certified (IBP, CROWN) ≤ true robust accuracy ≤ PGD, same images.
  const sandwiches = [
    ...new Set(s.methods.flatMap((m) => m.measures.filter((x) => x.attack === 'certified-crown').map((x) => x.noise))),
  ];
  const sandwich = (m: StudySummary['methods'][number], label: string) => {
    const of = (attack: string) => m.measures.find((x) => x.noise === label && x.attack === attack)?.value;
    const [ibp, crown, pgd] = [of('certified-ibp'), of('certified-crown'), of('pgd-upper')];
    const gap = crown?.n && pgd?.n ? (100 * (pgd.mean - crown.mean)).toFixed(1) : '-';
    return [`${pts(ibp)} ≤ ${pts(crown)} ≤ ${pts(pgd)}`, gap];
  };
  const header = [
    'method',
    'ratio',
    'clean test %',
    ...attacks.map((a) => `${a} %`),
    `${pgdName} %`,
    'worst − unpruned',
    'worst − random',
    'worst − pixel-mask',
    `${pgdName} − random`,
    ...sandwiches.flatMap((label) => [`${label}: IBP ≤ CROWN ≤ PGD %`, `${label}: PGD − CROWN`]),
  ];
  const rows = s.methods.map((m) => {
    const at = (attack: string) => m.measures.find((x) => x.noise === ALL_VECTORS && x.attack === attack);
    const clean = m.measures.find((x) => x.noise === 'clean' && x.attack === 'clean');
    const worst = at('worst'),
      pgd = pgdWorst(m);
    return [
      m.method + (m.scope ? ` ${m.scope}` : ''),
      m.ratios.join('/'),
      pts(clean?.value),
      ...attacks.map((a) => pts(at(a)?.value)),
      pts(pgd?.value),
      m.method === 'unpruned' ? '' : signed(worst?.vsUnpruned),
      signed(worst?.vsRandom),
      signed(worst?.vsPixelMask),
      signed(pgd?.vsRandom),
      ...sandwiches.flatMap((label) => sandwich(m, label)),
    ];
  });
  return { header, rows };
}

export function printFindings(s: StudySummary, log: (line: string) => void): void {
  const rule =
    'atLeast' in s.rule
      ? `clean validation accuracy ≥ ${(100 * s.rule.atLeast).toFixed(1)}%`
      : `clean validation accuracy within ${(100 * s.rule.drop).toFixed(1)} points of the unpruned model`;
  log(
    `\nAt the highest ratio keeping ${rule} (chosen per seed on validation), test accuracy in % under each attack, mean over the noise vectors; worst = per image, broken by transfer or any adaptive noise; [95% interval over seeds], gains paired by seed:`,
  );
  const { header, rows } = findingsTable(s);
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  log(header.map((h, i) => h.padStart(w[i])).join('  '));
  for (const r of rows) log(r.map((c, i) => c.padStart(w[i])).join('  '));
  if (s.failures.length) {
    const kinds = new Map<string, number>();
    for (const f of s.failures)
      for (const k of f.flags.split(';').filter(Boolean)) kinds.set(k, (kinds.get(k) ?? 0) + 1);
    log(
      `\nAttack failures flagged: ${s.failures.length} (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}). An adaptive noise that ends weaker than the transferred one, or collapses to nothing, failed as an attack; it says nothing about robustness, and the worst case keeps the stronger attack. The list: the flags column of adaptive/seed*/sweep.csv.`,
    );
  } else log('\nNo attack failure flagged.');
}
