"""summary.csv of results/pruned-vs-at-lenet (issue 30 (a), (b)): per model (natural, FGSM-RS
adversarially trained, each pruning method at its chosen ratio), over the seeds present: clean
accuracy and PGD-40 worst at ε = 0.1 on the first 2,000 test images; certified by IBP and CROWN
and not broken by PGD-40 at ε = 0.01 and 0.05 on the first 500; mean and 95% t-interval over
seeds. Usage: summarise.py [out.csv]"""
import csv, glob, gzip, json, os, re, statistics, sys
R = os.path.dirname(os.path.abspath(__file__))
def load(path):
    return json.load(gzip.open(path)) if path.endswith('.gz') else json.load(open(path))

T95 = {1: 12.706, 2: 4.303, 3: 3.182}

def interval(xs):
    m = statistics.mean(xs)
    if len(xs) < 2:
        return [m, '', '']
    h = T95[len(xs) - 1] * statistics.stdev(xs) / len(xs) ** 0.5
    return [m, m - h, m + h]

models = {}  # (name, seed) -> dict
for f in sorted(glob.glob(f'{R}/seed*/certify-*.json') + glob.glob(f'{R}/seed*/certify-*.json.gz')):
    seed = int(re.search(r'seed(\d+)', f).group(1))
    name = os.path.basename(f)[len('certify-'):].split('.json')[0]
    e = load(f.replace('certify-', 'eval-'))
    row = {
        'ratio': float(name.rsplit('-', 1)[1]) if name not in ('natural', 'fgsm-rs') else 0.0,
        'clean': next(x for x in e['noise'] if x['noise'] == 'clean')['accuracy'],
        'pgd40_eps0.1': next(a for a in e['attacks'] if a['attack'] == 'worst')['accuracy'],
    }
    for x in load(f)['rows']:
        row[f"{x['method']}_eps{x['epsilon']}"] = x['accuracy']
    models[(name if name in ('natural', 'fgsm-rs') else name.rsplit('-', 1)[0], seed)] = row

order = ['natural', 'fgsm-rs', 'abs', 'act', 'combined', 'random', 'pixel-mask']
cols = ['clean', 'pgd40_eps0.1'] + [f'{m}_eps{e}' for e in (0.01, 0.05) for m in ('ibp', 'crown', 'pgd')]
w = csv.writer(sys.stdout if len(sys.argv) < 2 else open(sys.argv[1], 'w'))
w.writerow(['model', 'seeds', 'ratios'] + [f'{c}_{s}' for c in cols for s in ('mean', 'low95', 'high95')])
for name in [n for n in order if any(k[0] == n for k in models)]:
    seeds = sorted(s for n, s in models if n == name)
    rows = [models[(name, s)] for s in seeds]
    out = [name, ' '.join(map(str, seeds)), ' '.join(str(r['ratio']) for r in rows)]
    for c in cols:
        out += [round(100 * v, 2) if v != '' else '' for v in interval([r[c] for r in rows])]
    w.writerow(out)
