"""Why cpu_act's test RMSE (2.05-2.57) varies at one validation RMSE (~2.1).

Fits ours for ``argv[1]`` seconds (default 60) on the benchmark's split and
prints the test rows with the largest squared errors, each member's
prediction on them and a default LightGBM's.
"""

import sys

import numpy as np
from lightgbm import LGBMRegressor

from automl import AutoRegressor
from benchmarks.datasets import load_split, read_index

budget = float(sys.argv[1]) if len(sys.argv) > 1 else 60
specs = {s.name: s for s in read_index("../shared/datasets")}
X_train, X_test, y_train, y_test = load_split(specs["cpu_act"], 0)
model = AutoRegressor(time_limit=budget, n_jobs=2, random_state=0)
pred = model.fit(X_train, y_train).predict(X_test)
errors = (pred - y_test.to_numpy()) ** 2
print("test rmse", np.sqrt(errors.mean()))
typed = model.typer_.transform(X_test)
members = [
    (m.name, round(m.weight, 3), m.model.predict_raw(typed))
    for m in model.model_.base
    if m.weight > 0
]
lightgbm = LGBMRegressor(verbose=-1).fit(X_train, y_train).predict(X_test)
print("lightgbm rmse", np.sqrt(((lightgbm - y_test) ** 2).mean()))
for name, weight, member in members:
    print(f"{name} w={weight} rmse={np.sqrt(((member - y_test) ** 2).mean()):.3f}")
top = np.argsort(-errors)[:12]
print("share of SSE in top 12 rows", errors[top].sum() / errors.sum())
for i in top:
    print(
        i,
        "y",
        y_test.iloc[i],
        "ens",
        round(pred[i], 2),
        "lgb",
        round(lightgbm[i], 2),
        [round(float(m[i]), 1) for _, _, m in members],
    )
print(model.ensemble_info_.get("decision"))
