import numpy as np

from automl.data.types import DatasetProperties
from automl.evaluation import TrialData, TrialSettings, evaluate
from automl.metrics import get_metric
from automl.space.memory import estimate_memory_mb


def _properties(n_rows: int, cardinality: int = 0) -> DatasetProperties:
    return DatasetProperties(
        n_rows=n_rows,
        n_features=50,
        n_numeric=40,
        n_categorical=10,
        n_datetime=0,
        has_missing_numeric=False,
        has_missing_categorical=False,
        max_cardinality=cardinality,
        missing_fraction=0.0,
        task="binary",
        n_classes=2,
    )


def test_estimate_grows_with_rows_trees_and_one_hot_width() -> None:
    forest = {"model": "random_forest", "model:random_forest:n_estimators": 500}
    small = estimate_memory_mb(forest, _properties(10_000), 10_000)
    large = estimate_memory_mb(forest, _properties(2_000_000), 2_000_000)
    assert large > 100 * small
    assert large > 20_000  # fully grown forest on 2M rows: tens of GiB
    native = {"model": "lightgbm", "categorical_encoder": "native"}
    onehot = {
        "model": "lightgbm",
        "categorical_encoder": "onehot",
        "categorical_encoder:onehot:max_categories": 64,
    }
    props = _properties(100_000, cardinality=500)
    assert estimate_memory_mb(onehot, props, 100_000) > 5 * estimate_memory_mb(
        native, props, 100_000
    )


def test_a_hopeless_configuration_is_skipped_without_running(breast_cancer) -> None:
    from automl.data import FeatureTyper, dataset_properties
    from automl.resampling import make_splits

    X, y = breast_cancer
    typer = FeatureTyper().fit(X)
    Xt = typer.transform(X)
    properties = dataset_properties(Xt, typer.columns_, task="binary", n_classes=2)
    y = y.to_numpy()
    data = TrialData(
        Xt,
        y,
        "binary",
        typer.columns_,
        properties,
        make_splits("cv", y, "binary", 0),
        2,
    )
    settings = TrialSettings(get_metric(None, "binary"), 1.0, 1, memory_limit_mb=0.01)
    result = evaluate(
        {"model": "knn"}, data=data, settings=settings, seed=0, deadline=None
    )
    assert result.status == "memout" and "over the per-trial limit" in result.error
    assert result.predictions is None
    roomy = TrialSettings(get_metric(None, "binary"), 1.0, 1, memory_limit_mb=1e6)
    result = evaluate(
        {"model": "knn"}, data=data, settings=roomy, seed=0, deadline=None
    )
    assert result.status == "ok" and np.isfinite(result.loss)
