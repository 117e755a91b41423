"""summary.csv of results/adversarial-lenet: per run (loss, seed, training), clean accuracy and
PGD-40 worst at ε = 0.1 on all 10,000 test images, training seconds and iterations/s, held-out
PGD-10 at the last evaluation, catastrophic overfitting, and the certified shares (IBP, CROWN)
and PGD-40 on the first 500 at each ε. Usage: summarise.py [out.csv]"""
import csv, glob, gzip, json, os, sys
R = os.path.dirname(os.path.abspath(__file__))

def load(path):
    if os.path.exists(path):
        return json.load(open(path))
    return json.load(gzip.open(path + '.gz'))

runs = []
for d in sorted(glob.glob(f'{R}/**/eval-pgd40.json*', recursive=True)):
    d = os.path.dirname(d)
    rel = os.path.relpath(d, R).split(os.sep)
    loss = 'softmax-ce' if 'softmax-ce' in rel else 'quadratic'
    seed = next((int(p[4:]) for p in rel if p.startswith('seed')), 1)
    t = load(f'{d}/train.json')
    e = load(f'{d}/eval-pgd40.json')
    c = load(f'{d}/certify.json') if glob.glob(f'{d}/certify.json*') else {'rows': []}
    held = [h['robustAccuracy'] for h in t['metrics']['history'] if 'robustAccuracy' in h]
    row = {
        'training': rel[-1], 'loss': loss, 'seed': seed,
        'clean_10000': next(x for x in e['noise'] if x['noise'] == 'clean')['accuracy'],
        'pgd40_worst_eps0.1_10000': next(a for a in e['attacks'] if a['attack'] == 'worst')['accuracy'],
        'train_seconds': round(t['metrics']['trainMs'] / 1000, 1),
        'iterations_per_second': round(t['metrics']['iterationsPerSecond'], 2),
        'heldout_pgd10_last': held[-1] if held else '',
        'catastrophic_overfitting': t['metrics'].get('catastrophicOverfitting') or 'none',
    }
    for x in c['rows']:
        row[f"{x['method']}_eps{x['epsilon']}_500"] = x['accuracy']
    runs.append(row)
cols = list(dict.fromkeys(k for r in runs for k in r))
w = csv.DictWriter(sys.stdout if len(sys.argv) < 2 else open(sys.argv[1], 'w'), fieldnames=cols)
w.writeheader()
w.writerows(runs)
