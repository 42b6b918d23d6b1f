"""The text summary and the ensemble members it reports."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest

from automl.reporting import ensemble_members, summary_text

pytestmark = pytest.mark.slow


def test_summary_reports_metric_best_time_trials_and_final_model(verbose_fit):
    clf = verbose_fit.estimator
    text = clf.summary()
    n_ok = sum(t["status"] == "ok" for t in clf.trials_)
    assert text.splitlines()[0] == "AutoClassifier: binary, 30 features"
    assert "roc_auc (higher is better)" in text
    assert f"{clf.best_score_:.4g} ({clf.best_config_['model']})" in text
    assert "of 30 s" in text
    # The search's end and the final model's share of the time.
    assert 0 < clf.search_time_ <= clf.fit_time_
    after = clf.fit_time_ - clf.search_time_
    assert f"(search {clf.search_time_:.1f} s, then {after:.1f} s" in text
    assert f"{len(clf.trials_)} ({n_ok} ok" in text
    # The first trial on the full budget: a usable model, and when.
    first = clf.performance_over_time_.iloc[0]
    assert f"first model      after {first['time']:.1f} s: {first['model']}" in text
    assert first["time"] <= clf.search_time_
    members = ensemble_members(clf)
    if len(members) == 1:
        assert f"the single best model ({members[0].label}" in text
    else:
        assert f"ensemble of {len(members)} members" in text


def test_without_ensemble_the_final_model_is_the_best_trial(verbose_fit):
    clf = copy.copy(verbose_fit.estimator)
    clf.ensemble_ = None
    [member] = ensemble_members(clf)
    best_trial = next(t for t in clf.trials_ if t["config"] == clf.best_config_)
    assert member.label == f"trial {best_trial['trial_id']}"
    assert member.model == clf.best_config_["model"]
    assert member.weight == 1.0


def test_an_ensemble_is_read_from_ensemble_(verbose_fit):
    clf = copy.copy(verbose_fit.estimator)
    ids = [t["trial_id"] for t in clf.trials_ if t["status"] == "ok"][:2]
    clf.ensemble_ = [(ids[0], 0.25), (ids[1], 0.75), ("stacker", 0.0)]
    members = ensemble_members(clf)
    assert [m.weight for m in members] == [0.75, 0.25, 0.0]
    assert members[0].label == f"trial {ids[1]}"
    assert members[2].model is None
    assert "ensemble of 3 members" in summary_text(clf)


class AutoClassifier(SimpleNamespace):
    """Stands in for a fitted estimator whose search found nothing."""


def test_a_fallback_model_is_called_a_constant_baseline() -> None:
    est = AutoClassifier(
        trials_=[
            {"trial_id": 0, "config": {"model": "knn"}, "status": "timeout"},
        ],
        best_config_={"model": "fallback:DummyClassifier"},
        best_score_=float("nan"),
        metric_=SimpleNamespace(name="roc_auc", greater_is_better=True),
        time_limit=None,
        fit_time_=3.0,
        task_="binary",
        n_features_in_=4,
        resampling_="holdout",
    )
    text = summary_text(est)
    assert "1 (0 ok, 1 timed out)" in text
    assert "constant baseline (DummyClassifier)" in text
    assert "best validation  none" in text


def test_an_ensemble_object_with_weight_pairs_is_read_too(verbose_fit):
    clf = copy.copy(verbose_fit.estimator)
    first = clf.trials_[0]["trial_id"]
    clf.ensemble_ = SimpleNamespace(weight_pairs=lambda: [(first, 1.0)])
    [member] = ensemble_members(clf)
    assert member.label == f"trial {first}"
    assert member.model == clf.trials_[0]["config"]["model"]
