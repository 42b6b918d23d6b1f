"""``make docs-images``: the README's first screen, from one real fit.

Fits ``AutoClassifier`` on scikit-learn's bundled breast cancer data (the
demo's split and seed), saves ``plot_trajectory`` and ``plot_ensemble`` to
``docs/images/`` and writes the head of the leaderboard into ``README.md``
between the ``leaderboard`` markers. Run it again to refresh all three.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from automl import AutoClassifier

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
README = ROOT / "README.md"
MARKERS = ("<!-- leaderboard:start -->", "<!-- leaderboard:end -->")
COLUMNS = ["rank", "model", "score", "status", "fit_time", "budget", "origin"]


def fit(time_limit: float) -> AutoClassifier:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, _, y_train, _ = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    return AutoClassifier(time_limit=time_limit, random_state=0).fit(X_train, y_train)


def leaderboard_block(clf: AutoClassifier, rows: int = 8) -> str:
    """The leaderboard's head as the README shows it (a fenced text block)."""
    head = clf.leaderboard()[COLUMNS].head(rows)
    with pd.option_context("display.width", 100, "display.precision", 4):
        table = head.to_string(index=False)
    return f"```text\n>>> clf.leaderboard().head({rows})\n{table}\n```"


def replace_between_markers(text: str, block: str) -> str:
    start, end = map(re.escape, MARKERS)
    pattern = re.compile(f"{start}.*?{end}", flags=re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"README.md lacks the markers {MARKERS}")
    return pattern.sub(lambda _: f"{MARKERS[0]}\n{block}\n{MARKERS[1]}", text)


def main(time_limit: float = 60.0) -> None:
    clf = fit(time_limit)
    IMAGES.mkdir(parents=True, exist_ok=True)
    for name, plot in [
        ("trajectory", clf.plot_trajectory),
        ("ensemble", clf.plot_ensemble),
    ]:
        ax = plot()
        ax.figure.set_size_inches(7, 3.6)
        ax.figure.savefig(IMAGES / f"{name}.png", dpi=110, bbox_inches="tight")
        print(f"wrote {IMAGES / f'{name}.png'}")
    README.write_text(
        replace_between_markers(README.read_text(), leaderboard_block(clf))
    )
    print(f"wrote the leaderboard head into {README}")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
