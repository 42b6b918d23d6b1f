"""Why cpu_act's test RMSE (2.05-2.57) varies at the same validation RMSE (~2.1)."""
import sys, json
import numpy as np
from benchmarks.datasets import read_index, load_split
from automl import AutoRegressor
from lightgbm import LGBMRegressor

budget = float(sys.argv[1]) if len(sys.argv) > 1 else 60
specs = {s.name: s for s in read_index('/work/shared/datasets')}
Xtr, Xte, ytr, yte = load_split(specs['cpu_act'], 0)
est = AutoRegressor(time_limit=budget, n_jobs=2, random_state=0).fit(Xtr, ytr)
pred = est.predict(Xte)
err = (pred - yte.to_numpy()) ** 2
print('test rmse', np.sqrt(err.mean()))
typed = est.typer_.transform(Xte)
ens = est.model_
members = [(m.name, round(m.weight, 3), m.model.predict_raw(typed)) for m in ens.base if m.weight > 0]
lgb = LGBMRegressor(verbose=-1).fit(Xtr, ytr).predict(Xte)
print('lightgbm rmse', np.sqrt(((lgb - yte) ** 2).mean()))
for name, w, p in members:
    print(f'{name} w={w} rmse={np.sqrt(((p - yte) ** 2).mean()):.3f}')
top = np.argsort(-err)[:12]
print('share of SSE in top 12 rows', err[top].sum() / err.sum())
for i in top:
    print(i, 'y', yte.iloc[i], 'ens', round(pred[i], 2), 'lgb', round(lgb[i], 2), [round(p[i], 1) for _, _, p in members])
print(est.ensemble_info_.get('decision'))
