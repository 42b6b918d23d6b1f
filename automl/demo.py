"""`make demo`: fit AutoClassifier for about a minute on a bundled real dataset.

Run with ``python -m automl.demo [seconds]``.
"""

from __future__ import annotations

import logging
import sys
import time

import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from automl import AutoClassifier


def main(time_limit: float = 60.0) -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    print(
        f"Breast cancer (Wisconsin): {len(X_train)} training rows, "
        f"{X.shape[1]} features. Fitting AutoClassifier(time_limit={time_limit:g})..."
    )
    start = time.time()
    clf = AutoClassifier(time_limit=time_limit, random_state=0).fit(X_train, y_train)
    elapsed = time.time() - start
    with pd.option_context("display.width", 120, "display.max_colwidth", 40):
        columns = ["rank", "model", "score", "status", "fit_time", "origin"]
        print(clf.leaderboard()[columns].head(10).to_string(index=False))
    auc = roc_auc_score(y_test, clf.predict_proba(X_test)[:, 1])
    print(
        f"\nfit took {elapsed:.1f} s for {len(clf.trials_)} trials; best model: "
        f"{clf.best_config_['model']}"
    )
    print(f"test ROC AUC: {auc:.4f}   test accuracy: {clf.score(X_test, y_test):.4f}")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
