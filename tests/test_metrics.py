import numpy as np
import pytest
from sklearn.metrics import make_scorer, roc_auc_score

from automl.metrics import crash_loss, fast_loss, get_metric, score_predictions


def test_default_metrics_per_task() -> None:
    assert get_metric(None, "binary").name == "roc_auc"
    assert get_metric(None, "multiclass").name == "log_loss"
    assert get_metric(None, "regression").name == "rmse"


def test_losses_are_zero_at_the_optimum_and_larger_when_worse() -> None:
    y = np.array([0, 1, 1, 0])
    perfect = np.array([[1, 0], [0, 1], [0, 1], [1, 0]], dtype=float)
    flat = np.full((4, 2), 0.5)
    for name in ("roc_auc", "log_loss", "accuracy"):
        metric = get_metric(name, "binary")
        assert metric.loss(
            y, perfect if metric.needs == "proba" else y
        ) == pytest.approx(0.0, abs=1e-9)
    auc = get_metric("roc_auc", "binary")
    assert auc.loss(y, flat) == pytest.approx(0.5)
    assert auc.loss_to_score(auc.loss(y, flat)) == pytest.approx(0.5)


def test_unknown_metric_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="Unknown metric 'auroc'.*roc_auc"):
        get_metric("auroc", "binary")
    with pytest.raises(ValueError, match="for regression"):
        get_metric("roc_auc", "regression")


def test_scorer_objects_are_accepted() -> None:
    scorer = make_scorer(roc_auc_score, response_method="predict_proba")
    metric = get_metric(scorer, "binary")
    y = np.array([0, 1, 1, 0])
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7]])
    assert metric.loss(y, proba[:, 1]) == pytest.approx(-roc_auc_score(y, proba[:, 1]))


def test_crash_loss_is_finite_and_worse_than_a_constant() -> None:
    assert crash_loss(get_metric("roc_auc", "binary"), 0.5) == pytest.approx(1.0)
    rmse = crash_loss(get_metric("rmse", "regression"), 10.0)
    assert np.isfinite(rmse) and rmse > 10.0


@pytest.mark.parametrize(
    ("name", "task"),
    [("roc_auc", "binary"), ("log_loss", "binary"), ("log_loss", "multiclass")],
)
def test_fast_losses_equal_scikit_learns(name: str, task: str) -> None:
    from sklearn.datasets import load_breast_cancer, load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict

    loader = load_breast_cancer if task == "binary" else load_iris
    X, y = loader(return_X_y=True)
    proba = cross_val_predict(
        LogisticRegression(max_iter=200), X, y, cv=3, method="predict_proba"
    )
    rounded = np.round(proba, 2)  # ties, as averaged members often have
    rounded /= rounded.sum(axis=1, keepdims=True)
    metric = get_metric(name, task)
    fast = fast_loss(metric, task)
    assert fast is not None
    for p in (proba, rounded):
        assert fast(y, p) == pytest.approx(
            score_predictions(metric, y, p, task), rel=1e-9
        )


def test_fast_rmse_equals_scikit_learns() -> None:
    rng = np.random.default_rng(0)
    y, pred = rng.normal(size=200), rng.normal(size=200)
    metric = get_metric("rmse", "regression")
    assert fast_loss(metric, "regression")(y, pred) == pytest.approx(
        score_predictions(metric, y, pred, "regression"), rel=1e-12
    )
    assert fast_loss(get_metric("accuracy", "binary"), "binary") is None
