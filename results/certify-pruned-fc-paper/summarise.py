"""summary.csv of results/certify-pruned-fc-paper (issue 30 (a)): per method at its chosen ratio,
over the seeds present, the share of the first 100 test images that is clean-correct, certified
by IBP and by CROWN at ε = 0.02, and not broken by PGD-40; mean and 95% t-interval over seeds, and
the gain over the unpruned model paired by seed. Usage: summarise.py [out.csv]"""
import csv, glob, gzip, json, os, re, statistics, sys
R = os.path.dirname(os.path.abspath(__file__))
def load(path):
    return json.load(gzip.open(path)) if path.endswith('.gz') else json.load(open(path))

T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776}

def interval(xs):
    m = statistics.mean(xs)
    if len(xs) < 2:
        return m, '', ''
    h = T95[len(xs) - 1] * statistics.stdev(xs) / len(xs) ** 0.5
    return m, m - h, m + h

measures = {}  # (method, seed) -> dict
for f in sorted(glob.glob(f'{R}/seed*/certify-*.json') + glob.glob(f'{R}/seed*/certify-*.json.gz')):
    seed = int(re.search(r'seed(\d+)', f).group(1))
    name = os.path.basename(f)[len('certify-'):].split('.json')[0]
    method, ratio = (name, 0.0) if name == 'unpruned' else (name.rsplit('-', 1)[0], float(name.rsplit('-', 1)[1]))
    j = load(f)
    row = {'ratio': ratio, 'clean': j['clean']}
    for x in j['rows']:
        if x['epsilon'] == 0.02:
            row[x['method']] = x['accuracy']
    measures[(method, seed)] = row

methods = ['unpruned'] + sorted({m for m, _ in measures if m != 'unpruned'}, key=['abs', 'act', 'combined', 'random', 'pixel-mask'].index)
cols = ['clean', 'ibp', 'crown', 'pgd']
w = csv.writer(sys.stdout if len(sys.argv) < 2 else open(sys.argv[1], 'w'))
w.writerow(['method', 'seeds', 'ratios'] + [f'{c}_{s}' for c in cols for s in ('mean', 'low95', 'high95')]
           + [f'{c}_gain_{s}' for c in ('ibp', 'crown', 'pgd') for s in ('mean', 'low95', 'high95')])
for m in methods:
    seeds = sorted(s for mm, s in measures if mm == m)
    rows = [measures[(m, s)] for s in seeds]
    out = [m, ' '.join(map(str, seeds)), ' '.join(str(r['ratio']) for r in rows)]
    for c in cols:
        out += [round(100 * v, 2) if v != '' else '' for v in interval([r[c] for r in rows])]
    paired = [s for s in seeds if ('unpruned', s) in measures]
    for c in ('ibp', 'crown', 'pgd'):
        gains = [measures[(m, s)][c] - measures[('unpruned', s)][c] for s in paired]
        out += [round(100 * v, 2) if v != '' else '' for v in interval(gains)] if gains else ['', '', '']
    w.writerow(out)
