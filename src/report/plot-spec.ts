import type { Chart } from './charts.js';

/**
 * uPlot options and data for a chart, shared by the demo page and the self-contained report
 * (which inlines this function's source, so it must stay free of imports and outer names).
 * Accuracy charts span 0–100%; timing charts use a log scale; `bandOf` series are drawn as a
 * shaded 95% band around their series instead of lines.
 */
export function plotSpec(c: Chart, width: number) {
  // Okabe & Ito's eight colours, told apart with the common kinds of colour blindness; series
  // past eight repeat them dashed.
  const palette = ['#000000', '#E69F00', '#56B4E9', '#009E73', '#CC79A7', '#0072B2', '#D55E00', '#B8A000'];
  const colour: Record<string, string> = {};
  const dashed: Record<string, boolean> = {};
  let k = 0;
  for (const s of c.series)
    if (!s.bandOf) {
      colour[s.label] = palette[k % palette.length];
      dashed[s.label] = k >= palette.length;
      k++;
    }
  const series = c.series.map((s) =>
    s.bandOf
      ? { label: s.label, stroke: 'transparent', width: 0, points: { show: false } }
      : {
          label: s.label,
          stroke: colour[s.label],
          width: s.label === 'clean' ? 3 : 1.5,
          ...(dashed[s.label] && { dash: [6, 4] }),
        },
  );
  const bands: { series: [number, number]; fill: string }[] = [];
  c.series.forEach((s, i) => {
    if (s.bandOf && s.label.endsWith('high')) {
      const low = c.series.findIndex((t) => t.bandOf === s.bandOf && t.label.endsWith('low'));
      if (low >= 0) bands.push({ series: [i + 1, low + 1], fill: `${colour[s.bandOf]}33` });
    }
  });
  const xLabel = c.axes?.x ?? 'pruning ratio';
  return {
    opts: {
      title: c.title,
      width,
      height: 300,
      // The legend shows the values at the last point until the cursor picks another (a static
      // view would otherwise read "--").
      hooks: {
        ready: [
          (u: { data: unknown[][]; setLegend: (o: { idx: number }) => void }) =>
            u.setLegend({ idx: u.data[0].length - 1 }),
        ],
      },
      scales: {
        x: { time: false },
        y: (c.axes?.logY
          ? { distr: 3 }
          : c.axes?.yRange === null
            ? {}
            : { range: c.axes?.yRange ?? [0, 100] }) as Record<string, unknown>,
      },
      axes: [{ label: xLabel }, { label: c.axes?.y ?? 'test accuracy (%)' }],
      series: [{ label: xLabel }, ...series],
      bands,
    },
    data: [c.ratios, ...c.series.map((s) => s.values)],
  };
}
