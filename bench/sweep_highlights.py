"""Highlights of a pruning sweep: per method, the highest ratio whose clean accuracy stays at or
above a threshold (taken from a clean-only sweep on more images, if given), accuracy under every
noise vector there against unpruned, and the largest gain per vector at any ratio that keeps the
threshold. Writes JSON next to the sweep and prints a markdown table.

  python3 bench/sweep_highlights.py SWEEP_DIR [CLEAN_SWEEP_DIR ...] [--threshold 0.98]
"""
import csv, json, os, sys

def load(d):
    with open(os.path.join(d, 'sweep.csv')) as f:
        return list(csv.DictReader(f))

def table(rows):
    """{method: {ratio: {noise: accuracy}}} for one model and scope."""
    out = {}
    for r in rows:
        out.setdefault(r['method'], {}).setdefault(round(float(r['ratio']), 4), {})[r['noise']] = float(r['accuracy'])
    return out

def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    threshold = float(sys.argv[sys.argv.index('--threshold') + 1]) if '--threshold' in sys.argv else 0.98
    if '--threshold' in sys.argv: args.remove(str(sys.argv[sys.argv.index('--threshold') + 1]))
    sweep_dir, clean_dirs = args[0], args[1:]
    curves = table(load(sweep_dir))
    clean = {}
    for d in clean_dirs:  # clean accuracy on more test images decides the threshold
        for m, by_ratio in table(load(d)).items():
            for ratio, acc in by_ratio.items():
                clean.setdefault(m, {})[ratio] = acc['clean']
    result = {'sweep': sweep_dir, 'clean_from': clean_dirs or [sweep_dir], 'threshold': threshold, 'methods': {}}
    for m, by_ratio in sorted(curves.items()):
        clean_m = clean.get(m) or {r: v['clean'] for r, v in by_ratio.items()}
        keeping = [r for r, acc in clean_m.items() if acc >= threshold]
        # the highest ratio such that every measured ratio up to it keeps the threshold
        ordered = sorted(clean_m)
        top = None
        for r in ordered:
            if clean_m[r] < threshold: break
            top = r
        at = max((r for r in by_ratio if top is not None and r <= top), default=None)
        base = by_ratio[0.0]
        vectors = sorted(k for k in base if k != 'clean')
        best = {}
        for v in vectors:
            cands = [(by_ratio[r][v] - base[v], r) for r in by_ratio if top is not None and r <= top]
            gain, ratio = max(cands)
            best[v] = {'gain': round(gain, 4), 'ratio': ratio}
        result['methods'][m] = {
            'highest_ratio_keeping_threshold': top, 'clean_there': clean_m.get(top), 'curve_ratio_used': at,
            'unpruned': base, 'at_highest': by_ratio.get(at), 'best_gain_within_threshold': best,
            'ratios_keeping_threshold': len(keeping),
        }
    out = os.path.join(sweep_dir, 'highlights.json')
    with open(out + '.tmp', 'w') as f: json.dump(result, f, indent=1)
    os.replace(out + '.tmp', out)
    vectors = sorted(k for k in curves[next(iter(curves))][0.0] if k != 'clean')
    print(f'| method | highest ratio, clean ≥ {threshold:.1%} | clean | ' + ' | '.join(vectors) + ' |')
    print('|---' * (3 + len(vectors)) + '|')
    for m, r in result['methods'].items():
        u, a = r['unpruned'], r['at_highest'] or {}
        cells = [f"{100*u[v]:.1f} → {100*a.get(v, float('nan')):.1f}" for v in vectors]
        print(f"| {m} | {r['highest_ratio_keeping_threshold']} | {100*(r['clean_there'] or 0):.2f}% | " + ' | '.join(cells) + ' |')
    print(f'\nwrote {out}')

main()
