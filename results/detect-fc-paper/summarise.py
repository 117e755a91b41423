#!/usr/bin/env python3
# Tables of every detect.json here: per ratio and attack, robust accuracy, and per score the ROC-AUC and
# the share of test images wrong and unflagged at the 5% threshold (ev). python3 summarise.py > tables.txt
import json,sys
import glob, os
here = os.path.dirname(os.path.abspath(__file__))
for f in sys.argv[1:] or sorted(glob.glob(os.path.join(here, "*/detect.json"))):
    d=json.load(open(f))
    print('==', os.path.relpath(f, here), d.get('loss'), 'ratios', d.get('ratios'), d.get('aware'))
    scores=list(d['scores'].keys())
    attacks=[]
    for r in d['rows']:
        k=(r.get('ratio',0), r['attack'])
        if k not in attacks: attacks.append(k)
    print('%5s %-40s %7s | '%('ratio','attack','robust')+' | '.join('%-30s'%s for s in scores))
    for (ratio,a) in attacks:
        rs={r['score']:r for r in d['rows'] if r['attack']==a and r.get('ratio',0)==ratio}
        r0=next(iter(rs.values()))
        cells=[]
        for s in scores:
            r=rs.get(s)
            if not r: cells.append('%-30s'%'-'); continue
            auc=r['auc']; 
            tpr=r.get('tprAt5')
            cells.append('%-30s'%(('AUC %.3f '%auc if auc is not None and auc==auc else '')+('TPR %.2f '%tpr if tpr is not None and tpr==tpr else '')+'ev %.1f'%(100*r['evaded'])))
        print('%5s %-40s %6.2f%% | '%(ratio,a[:40],100*r0['robustAccuracy'])+' | '.join(cells))
