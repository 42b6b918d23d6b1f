"""The fit's policy: one immutable value, checked, recorded, and obeyed."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.utils._param_validation import InvalidParameterError

from automl import AutoClassifier, Policy
from automl.persistence import read_metadata, save
from automl.plan import Machine, plan_fit
from tests.test_plan import params, table

TWO_CORES = Machine(cores=2, memory_limit_mb=64_000)


def test_a_policy_round_trips_through_plain_values() -> None:
    policy = Policy(stack_share=0.2, strong_defaults=("linear",), regression_guard=None)
    values = policy.as_dict()
    assert json.loads(json.dumps(values)) == values
    assert Policy.from_dict(values) == policy
    assert Policy.from_dict(values) != Policy()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ensemble_share": 1.5}, "share"),
        ({"trial_share": 0.0}, "share"),
        ({"safety": -1.0}, "must not be negative"),
        ({"cv_max_rows": float("nan")}, "finite number"),
    ],
)
def test_a_policy_refuses_values_that_mean_nothing(
    change: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Policy(**change)  # type: ignore[arg-type]


def test_family_names_may_come_as_a_list_but_must_be_names() -> None:
    policy = Policy(strong_defaults=["linear", "mlp"])  # type: ignore[arg-type]
    assert policy.strong_defaults == ("linear", "mlp")
    assert hash(policy) == hash(Policy(strong_defaults=("linear", "mlp")))
    with pytest.raises(ValueError, match="sequence of family names"):
        Policy(strong_defaults="mlp")  # type: ignore[arg-type]


def test_unknown_fields_are_named_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="not fields of this version's Policy"):
        Policy.from_dict({"stack_shares": 0.2})
    with pytest.raises(TypeError):
        Policy(stack_shares=0.2)  # type: ignore[call-arg]


def test_the_estimator_takes_a_policy_as_a_parameter() -> None:
    policy = Policy(max_cv_repeats=1)
    clf = AutoClassifier(policy=policy)
    assert clf.get_params()["policy"] is policy
    assert clone(clf).get_params()["policy"] == policy
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.raises(InvalidParameterError, match="policy"):
        AutoClassifier(policy={"max_cv_repeats": 1}).fit(X, y)  # type: ignore[arg-type]


def test_the_plan_carries_the_policy_and_obeys_it() -> None:
    default = plan_fit(params(time_limit=60), table(1_000), TWO_CORES)
    assert default.policy == Policy()
    assert default.cv_repeats == 2
    one = Policy(max_cv_repeats=1)
    plan = plan_fit(params(time_limit=60, policy=one), table(1_000), TWO_CORES)
    assert plan.policy is one and plan.reserve.policy is one
    assert plan.cv_repeats == 1
    # row thresholds and time shares
    small_cv = Policy(cv_always_rows=100)
    assert plan_fit(params(time_limit=20), table(500), TWO_CORES).resampling == "cv"
    short = plan_fit(params(time_limit=20, policy=small_cv), table(500), TWO_CORES)
    assert short.resampling == "holdout"
    half = plan_fit(
        params(time_limit=100, policy=Policy(trial_share=0.5)), table(500), TWO_CORES
    )
    assert half.per_trial_time_limit == 50.0
    never = Policy(multi_fidelity_min_rows=10**9)
    big = plan_fit(params(policy=never), table(50_000), TWO_CORES)
    assert plan_fit(params(), table(50_000), TWO_CORES).fidelity(40_000).min_budget
    assert big.fidelity(40_000).min_budget is None


@pytest.mark.slow
def test_a_fit_obeys_and_records_its_policy(tmp_path: Path) -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    policy = Policy(calibrate=False, generated_features=False, strong_defaults=())
    clf = AutoClassifier(
        time_limit=20,
        max_trials=4,
        n_jobs=1,
        metric="log_loss",
        meta_learning=False,
        output_dir=tmp_path / "log",
        policy=policy,
    ).fit(X, y)
    assert clf.ensemble_info_["policy"] == policy.as_dict()
    assert clf.ensemble_info_["calibration"]["temperature"] == 1.0
    assert not any("feature_generator" in t["config"] for t in clf.trials_)
    header = json.loads((tmp_path / "log" / "trials.jsonl").read_text().split("\n")[0])
    assert header["info"]["policy"] == policy.as_dict()
    path = save(clf, tmp_path / "model.automl")
    assert read_metadata(path)["policy"] == policy.as_dict()
    with zipfile.ZipFile(path) as archive:
        assert "estimator.pkl" in archive.namelist()
