"""summary.csv of results/adversarial-lenet-pruned: per method, ratio and stage, clean accuracy and
PGD-40 worst at ε = 0.1 on the first 2,000 test images, certified at ε = 0.05 on the first 500."""
import csv, json, os, sys
R = os.path.dirname(os.path.abspath(__file__))
rows = []
def add(method, ratio, stage, eval_file, certify_file):
    if not os.path.exists(eval_file):
        return
    e = json.load(open(eval_file))
    clean = next(x for x in e['noise'] if x['noise'] == 'clean')['accuracy']
    worst = next(a for a in e['attacks'] if a['attack'] == 'worst')['accuracy']
    cert = {}
    if certify_file and os.path.exists(certify_file):
        cert = {x['method']: x['accuracy'] for x in json.load(open(certify_file))['rows'] if x['epsilon'] == 0.05}
    rows.append([method, ratio, stage, clean, worst, cert.get('ibp', ''), cert.get('crown', ''), cert.get('pgd', '')])
add('unpruned', 0, 'adversarially trained', f'{R}/unpruned/eval.json', f'{R}/../adversarial-lenet/fgsm-rs/certify.json')
for method in ('abs', 'hydra'):
    for r in ('0.9', '0.95', '0.99'):
        for stage, n in (('one-shot', 'oneshot'), ('adversarially fine-tuned', 'tuned')):
            add(method, r, stage, f'{R}/{method}-{r}/eval-{n}.json', f'{R}/{method}-{r}/certify-{n}.json')
w = csv.writer(sys.stdout if len(sys.argv) < 2 else open(sys.argv[1], 'w'))
w.writerow(['method', 'ratio', 'stage', 'clean_2000', 'pgd40_worst_eps0.1_2000', 'certified_ibp_eps0.05_500', 'certified_crown_eps0.05_500', 'pgd40_eps0.05_500'])
w.writerows(rows)
