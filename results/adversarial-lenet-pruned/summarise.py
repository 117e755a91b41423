"""summary.csv of results/adversarial-lenet-pruned: per seed, method, ratio and stage, clean
accuracy and PGD-40 worst at ε = 0.1 on the first 2,000 test images, certified at ε = 0.05 on the
first 500 (and PGD-40 there). Folders: <method>-<ratio>/ (seed 1), seed<N>/<method>-<ratio>/;
hydra-lr<lr>-<ratio>/ is HYDRA with another score learning rate. Usage: summarise.py [out.csv]"""
import csv, glob, gzip, json, os, re, sys
R = os.path.dirname(os.path.abspath(__file__))

def load(path):
    return json.load(open(path)) if os.path.exists(path) else json.load(gzip.open(path + '.gz'))

def exists(path):
    return os.path.exists(path) or os.path.exists(path + '.gz')

rows = []
def add(seed, method, ratio, stage, eval_file, certify_file):
    if not exists(eval_file):
        return
    e = load(eval_file)
    clean = next(x for x in e['noise'] if x['noise'] == 'clean')['accuracy']
    worst = next(a for a in e['attacks'] if a['attack'] == 'worst')['accuracy']
    cert = {}
    if certify_file and exists(certify_file):
        cert = {x['method']: x['accuracy'] for x in load(certify_file)['rows'] if x['epsilon'] == 0.05}
    rows.append([seed, method, ratio, stage, clean, worst, cert.get('ibp', ''), cert.get('crown', ''), cert.get('pgd', '')])

for seed, base, at in ((1, R, f'{R}/../adversarial-lenet/fgsm-rs'), (2, f'{R}/seed2', f'{R}/../adversarial-lenet/seed2/fgsm-rs')):
    add(seed, 'unpruned', 0, 'adversarially trained', f'{base}/unpruned/eval.json', f'{at}/certify.json')
    dirs = [d for d in glob.glob(f'{base}/*-0.*') if os.path.isdir(d)]
    key = lambda d: (['abs', 'hydra', 'act', 'combined', 'random'].index(re.sub(r'-lr.*', '', os.path.basename(d).rsplit('-', 1)[0])), d)
    for d in sorted(dirs, key=key):
        method, ratio = os.path.basename(d).rsplit('-', 1)
        for stage, n in (('one-shot', 'oneshot'), ('adversarially fine-tuned', 'tuned')):
            add(seed, method, ratio, stage, f'{d}/eval-{n}.json', f'{d}/certify-{n}.json')
w = csv.writer(sys.stdout if len(sys.argv) < 2 else open(sys.argv[1], 'w'))
w.writerow(['seed', 'method', 'ratio', 'stage', 'clean_2000', 'pgd40_worst_eps0.1_2000', 'certified_ibp_eps0.05_500', 'certified_crown_eps0.05_500', 'pgd40_eps0.05_500'])
w.writerows(rows)
