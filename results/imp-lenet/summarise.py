#!/usr/bin/env python3
"""Robustness of LeNet-300-100 pruned one-shot, fine-tuned and by IMP at matched sparsity
(robustness.sh's sweeps) as one table: clean test accuracy (first 5,000 test images), the mean
over the 8 study vectors of the transferred noise, of each adaptive universal recipe and of the
per-vector worst case, and PGD eps = 0.1 (first 500 images) per loss and worst.
Writes robustness.csv and robustness.json beside this script."""
import csv, json, os, sys
from collections import defaultdict

here = os.path.dirname(os.path.abspath(__file__))
sources = [('one-shot', 'robust-oneshot'), ('dense + 900', 'robust-dense-plus-900'), ('fine-tuned 900', 'robust-finetuned')] + [
    (f'IMP round {k}', f'robust-imp-round{k}') for k in (7, 10, 12)]
out = []
for kind, folder in sources:
    path = os.path.join(here, folder, 'sweep.csv')
    if not os.path.exists(path):
        print(f'missing {path}', file=sys.stderr)
        continue
    by_ratio = defaultdict(list)
    for r in csv.DictReader(open(path)):
        by_ratio[float(r['ratio'])].append(r)
    for ratio, rows in sorted(by_ratio.items()):
        test = [r for r in rows if r['split'] == 'test']
        sparsity = [float(x) for x in test[0]['sparsity_per_matrix'].split(';')]
        if kind == 'dense + 900': ratio = 0.0
        name = 'dense' if kind == 'one-shot' and ratio == 0 else kind
        def mean_of(attack, pgd=False):
            xs = [float(r['accuracy']) for r in test if r['attack'] == attack
                  and (r['noise'].startswith('pgd') == pgd) and r['noise'] != 'clean']
            return sum(xs) / len(xs) if xs else None
        clean = [float(r['accuracy']) for r in test if r['attack'] == 'clean']
        flags = sorted({r['flags'] for r in test if r['flags']})
        out.append({
            'model': name, 'ratio': ratio,
            'sparsity': sum(sparsity) / len(sparsity) if ratio or kind.startswith('IMP') else 0.0,
            'clean': clean[0] if clean else None,
            'transfer': mean_of('transfer'),
            'universal_study': mean_of('universal:study'),
            'universal_no_penalty': mean_of('universal:no-penalty'),
            'universal_worst': mean_of('worst'),
            'pgd_ce': mean_of('pgd-ce', True), 'pgd_margin': mean_of('pgd-margin', True),
            'pgd_worst': mean_of('worst', True),
            'vectors': len({r['noise'] for r in test if r['attack'] == 'transfer'}),
            'flags': ' '.join(flags), 'source': f'{folder}/sweep.csv',
        })
# IMP rows are models already pruned: their sparsity is the weights' own, from the sweep's count at ratio 0.
for r in out:
    if r['model'].startswith('IMP'):
        k = int(r['model'].split()[-1])
        r['sparsity'] = round(1 - 0.8 ** k, 4)
cols = ['model', 'sparsity', 'clean', 'transfer', 'universal_study', 'universal_no_penalty', 'universal_worst',
        'pgd_ce', 'pgd_margin', 'pgd_worst', 'vectors', 'flags', 'source']
with open(os.path.join(here, 'robustness.csv'), 'w', newline='') as f:
    w = csv.DictWriter(f, fieldnames=cols, extrasaction='ignore')
    w.writeheader()
    for r in out:
        w.writerow({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()})
json.dump({'tool': 'sparsegrad pruning-robustness', 'rows': out, 'protocol': 'results/imp-lenet/robustness.sh'}, open(os.path.join(here, 'robustness.json'), 'w'), indent=2)
pct = lambda v: '-' if v is None else f'{100 * v:5.1f}'
print(f"{'model':16} {'sparsity':>8} {'clean':>6} {'transfer':>8} {'univ.worst':>10} {'PGD worst':>9}")
for r in out:
    print(f"{r['model']:16} {r['sparsity']:8.3f} {pct(r['clean']):>6} {pct(r['transfer']):>8} {pct(r['universal_worst']):>10} {pct(r['pgd_worst']):>9}")
