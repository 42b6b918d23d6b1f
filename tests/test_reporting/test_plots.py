"""Plots render to PNG and show what they claim."""

from __future__ import annotations

import copy
import sys

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from automl.reporting import plot_ensemble, plot_trajectory

PNG_MAGIC = b"\x89PNG"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _save(ax, path) -> bytes:
    ax.figure.savefig(path)
    return path.read_bytes()


def test_trajectory_has_a_point_per_trial_coloured_by_family(verbose_fit, tmp_path):
    clf = verbose_fit.estimator
    ax = clf.plot_trajectory()
    assert _save(ax, tmp_path / "trajectory.png").startswith(PNG_MAGIC)
    ok = [t for t in clf.trials_ if t["status"] == "ok"]
    families = {t["config"]["model"] for t in ok}
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == len(clf.trials_)
    legend = {text.get_text() for text in ax.get_legend().get_texts()}
    assert families | {"best so far"} <= legend
    [best_line] = [line for line in ax.get_lines() if line.get_label() == "best so far"]
    best_trial = max(ok, key=lambda t: -t["loss"])  # all full budget here
    best = clf.metric_.loss_to_score(best_trial["loss"])
    assert max(best_line.get_ydata()) == pytest.approx(best)
    assert ax.get_ylabel() == "validation roc_auc"


def test_plots_draw_on_a_given_axes(verbose_fit):
    fig, (left, right) = plt.subplots(1, 2)
    assert plot_trajectory(verbose_fit.estimator, ax=left) is left
    assert plot_ensemble(verbose_fit.estimator, ax=right) is right
    assert len(fig.axes) == 2


def test_ensemble_plot_shows_the_single_best_model_with_weight_one(
    verbose_fit, tmp_path
):
    clf = copy.copy(verbose_fit.estimator)
    clf.ensemble_ = None
    ax = clf.plot_ensemble()
    assert _save(ax, tmp_path / "ensemble.png").startswith(PNG_MAGIC)
    [bar] = ax.patches
    assert bar.get_width() == 1.0
    assert ax.get_title() == "Final model (single best)"


def test_ensemble_plot_has_a_bar_per_member(verbose_fit):
    clf = copy.copy(verbose_fit.estimator)
    ids = [t["trial_id"] for t in clf.trials_ if t["status"] == "ok"][:2]
    clf.ensemble_ = [(ids[0], 0.4), (ids[1], 0.6)]
    ax = plot_ensemble(clf)
    assert sorted(bar.get_width() for bar in ax.patches) == [0.4, 0.6]
    labels = [label.get_text() for label in ax.get_yticklabels()]
    assert labels[0].startswith(f"trial {ids[1]} (")  # heaviest first
    assert ax.get_title() == "Ensemble members"


def test_missing_matplotlib_says_how_to_install_it(verbose_fit, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'automl\[plots\]'"):
        verbose_fit.estimator.plot_trajectory()
