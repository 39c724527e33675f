# Validation-only: combinations of the per-view scores saved by adbench_views.py (mean ROC AUC / AP over 12 sets x 3 seeds),
# beside IsolationForest's validation records. Usage: exec from the repository root (python3 -i scripts/explore/adbench_combos.py).
import glob, json, os, itertools, numpy as np
from sklearn.metrics import roc_auc_score, average_precision_score
D=os.environ.get("VSCORES", "target/vscores")
sets=sorted({os.path.basename(f).rsplit('_',2)[0] for f in glob.glob(D+"/*_y.npy")})
views="min-max:0.8 quantile:0.5 standard:0.5 min-max:0.2 min-max:0.4 standard:0.25 quantile:0.25 standard:1".split()
def load(s,seed,v): return np.load(f"{D}/{s}_{seed}_{v}.npy")
recs=[json.loads(l) for l in open('results/adbench.jsonl')]
ifv={}
for r in recs:
    if r['protocol']=='adbench-validation' and r['detector']=='IsolationForest()': ifv[(r['set'],r['seed'])]=(r['roc_auc'],r['average_precision'])
def md(s, seed, y):
    return False
def ev(combo, link='softplus', md_rule=None):
    A=[];P=[]; per={}
    for s in sets:
        for seed in (0,1,2):
            y=np.load(f"{D}/{s}_{seed}_y.npy")
            vs=combo if not (md_rule and md_rule(s)) else ['min-max:0.2']
            Z=np.array([load(s,seed,v) for v in vs])
            sc=(np.log1p(np.exp(Z)) if link=='softplus' else Z).mean(0) if link!='max' else Z.max(0)
            a,p=roc_auc_score(y,sc),average_precision_score(y,sc)
            A.append(a);P.append(p); per.setdefault(s,[]).append((a,p))
    return np.mean(A),np.mean(P),per
MD={'25_musk','31_satimage-2'}  # placeholder, replaced below
ifA=np.mean([v[0] for v in ifv.values()]); ifP=np.mean([v[1] for v in ifv.values()])
print("IF val", round(ifA,4), round(ifP,4), len(ifv))
