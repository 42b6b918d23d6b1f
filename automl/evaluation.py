"""Evaluate one configuration on the validation splits; runs in worker processes.

:func:`evaluate` never raises: a crash becomes a failed trial with a finite
worst-case loss and the error text, so a bad configuration costs one trial.
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import time
import traceback
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import joblib
import numpy as np
import pandas as pd
import psutil
from sklearn.utils.validation import has_fit_parameter
from threadpoolctl import threadpool_limits

from automl.data.types import DatasetProperties, FeatureColumns, Task
from automl.limits import fit_deadline, share_of
from automl.metrics import Metric, score_predictions
from automl.policy import DEFAULT_POLICY
from automl.resampling import OutOfFold, Split, subsample, validation_indices
from automl.space import BuildContext, build_pipeline
from automl.space.memory import bytes_per_value, estimate_memory_mb
from automl.space.registry import MODELS, import_plugins


@dataclass
class TrialData:
    """Everything a trial needs besides its configuration; shipped to workers once."""

    X: pd.DataFrame
    y: np.ndarray
    task: Task
    columns: FeatureColumns
    properties: DatasetProperties
    splits: list[Split]
    n_classes: int | None
    #: Group labels of the rows (``fit(..., groups=)``): checks that split
    #: the rows again keep each group on one side.
    groups: np.ndarray | None = None
    #: Weights of the rows (``fit(..., sample_weight=)``, mean 1): models
    #: train on them and every loss weighs by them. None: unweighted.
    sample_weight: np.ndarray | None = None

    def weights_of(self, rows: np.ndarray) -> np.ndarray | None:
        """The sample weights of ``rows`` (None: unweighted)."""
        return None if self.sample_weight is None else self.sample_weight[rows]


@dataclass(frozen=True)
class TrialSettings:
    """Small per-fit settings sent with every trial."""

    metric: Metric
    crash_loss: float
    n_threads: int
    #: Resident MiB the trial's worker may use (process, data and model).
    memory_limit_mb: float | None = None
    #: MiB of that limit taken before the model: the process and its data.
    memory_reserved_mb: float = 0.0
    #: Modules of families added with ``register_model``, imported by the
    #: workers before they build a pipeline (see ``automl.space.registry``).
    plugins: tuple[str, ...] = ()
    #: What a trial's budget is a fraction of (see :func:`budgeted`).
    budget_unit: Literal["rows", "iterations"] = "rows"
    #: Share of a fold's time its model leaves for its predictions
    #: (``Policy.predict_share``).
    predict_share: float = DEFAULT_POLICY.predict_share
    #: Family -> the most rows (a fraction) its fits may use: the memory
    #: plan's ``row_caps``, for families that do not fit on all rows.
    row_caps: dict[str, float] = field(default_factory=dict)
    #: Folder (on the workers' file system) where full-budget trials keep
    #: their fold models (one for a holdout), for the ensemble to use
    #: instead of refitting them; None: not kept.
    models_dir: str | None = None
    #: Whether trials on a share of the rows keep theirs too (they join the
    #: ensemble's pool on large tables: ``Policy.large_table_rows``).
    partial_models: bool = False


@dataclass
class TrialResult:
    """What one trial produced.

    ``predictions`` are the validation predictions for the rows in
    ``validation_indices(splits)`` (class probabilities for classification).
    ``peak_memory_mb`` is the peak resident memory of the process during the
    trial (Linux; None elsewhere), data included.
    """

    loss: float
    status: str
    fit_time: float
    predictions: np.ndarray | None = None
    error: str | None = None
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    peak_memory_mb: float | None = None
    model_files: tuple[str, ...] = ()
    model_save_seconds: float = 0.0


#: Data files from this size on are memory-mapped by the workers rather than
#: read: the workers then share one copy in the page cache.
MMAP_MIN_BYTES = 16 * 2**20


@functools.lru_cache(maxsize=2)
def _load_trial_data(path: str) -> TrialData:
    large = os.path.getsize(path) >= MMAP_MIN_BYTES
    data: TrialData = joblib.load(path, mmap_mode="r" if large else None)
    return data


def _reset_peak_memory() -> None:
    """Start measuring this process's peak memory afresh (Linux, best effort)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _resident_mb() -> float:
    """Resident MiB of this process now."""
    return psutil.Process().memory_info().rss / 2**20


def _peak_memory_mb() -> float | None:
    """Peak resident MiB of this process since the last reset (Linux), or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def evaluate(
    config: dict[str, Any],
    *,
    data: TrialData | str,
    settings: TrialSettings,
    seed: int,
    deadline: float | None,
    budget: float | None = None,
) -> TrialResult:
    """Fit and score one configuration on the validation splits.

    Parameters
    ----------
    config : dict
        Plain configuration values (see :func:`automl.space.config_to_dict`).
    data : TrialData or str
        The data, or the path of a joblib file holding it (loaded once per
        worker process and kept).
    settings : TrialSettings
    seed : int
        Random seed of the models.
    deadline : float or None
        ``time.time()`` by which the trial must be done; iterative models stop
        adding iterations when it passes.
    budget : float or None
        Fraction of each fold's training rows to fit on (None: all).

    Returns
    -------
    TrialResult
        Never raises; failures have ``status="crashed"`` and ``settings.crash_loss``.
    """
    start = time.time()
    _reset_peak_memory()
    result = _evaluate(config, data, settings, seed, deadline, budget, start)
    result.peak_memory_mb = _peak_memory_mb()
    return result


def _evaluate(
    config: dict[str, Any],
    data: TrialData | str,
    settings: TrialSettings,
    seed: int,
    deadline: float | None,
    budget: float | None,
    start: float,
) -> TrialResult:
    kept = _FoldModels(settings.models_dir)
    try:
        trial_data = _load_trial_data(data) if isinstance(data, str) else data
        if budget is not None and budget < 1 and not settings.partial_models:
            kept = _FoldModels(None)  # the ensemble will not take this trial
        config, row_budget = budgeted(config, budget, settings)
        hopeless = _memory_check(config, trial_data, settings, row_budget)
        if hopeless:
            return TrialResult(settings.crash_loss, "memout", 0.0, error=hopeless)
        predictions = fit_folds(
            config,
            trial_data,
            settings,
            seed,
            deadline,
            budget=row_budget,
            keep=kept.add,
        ).predictions()
        rows = validation_indices(trial_data.splits)
        loss = score_predictions(
            settings.metric,
            trial_data.y[rows],
            predictions,
            trial_data.task,
            trial_data.weights_of(rows),
        )
        if not np.isfinite(loss):
            raise ValueError(f"the metric returned a non-finite loss ({loss})")
        loss = min(loss, settings.crash_loss)
        return TrialResult(
            loss,
            "ok",
            time.time() - start,
            predictions,
            model_files=kept.files,
            model_save_seconds=kept.save_seconds,
        )
    except Exception as exc:  # a failed trial is data, not an error
        kept.remove()
        return TrialResult(
            settings.crash_loss,
            "memout" if isinstance(exc, MemoryError) else "crashed",
            time.time() - start,
            error=f"{type(exc).__name__}: {exc}\n{_short_traceback()}",
        )


def fit_folds(
    config: dict[str, Any],
    data: TrialData,
    settings: TrialSettings,
    seed: int,
    deadline: float | None,
    *,
    budget: float | None = None,
    keep: Callable[[Any], None] = lambda model: None,
    before_fold: Callable[[int], None] = lambda k: None,
) -> OutOfFold:
    """Fit ``config`` once per split of ``data``: the one fold loop of a trial
    and of an ensemble's bag.

    The time left is shared equally between the folds still to fit
    (:func:`~automl.limits.share_of`), of which each model leaves
    ``settings.predict_share`` to predict its validation rows (models that
    stop at their deadline, boosters and forests, then do not overrun it);
    each fold trains on ``budget`` of its
    rows; each fold model is handed to ``keep`` once it has predicted its
    validation rows, and ``before_fold(k)`` runs before fold ``k`` (e.g. to
    give up when the deadline has passed).

    Returns
    -------
    OutOfFold
        The validation predictions (averaged over repeats).
    """
    oof = OutOfFold(data.splits)
    for k, (train, valid) in enumerate(data.splits):
        before_fold(k)
        fold_deadline = share_of(deadline, parts_left=len(data.splits) - k)
        fit_until = fit_deadline(fold_deadline, settings.predict_share)
        rows = subsample(train, budget, seed=k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipeline = fit_pipeline(config, data, rows, settings, seed, fit_until)
            X_valid = data.X.iloc[valid]
            pred = predict_pipeline(pipeline, X_valid, data.task, data.n_classes)
        oof.add(valid, pred)
        keep(pipeline)
    return oof


class _FoldModels:
    """The fold models a trial keeps, each written to ``directory`` as soon as
    it is fitted (so that a trial holds one fold model in memory at a time)."""

    def __init__(self, directory: str | None) -> None:
        self.directory = directory
        self.files: tuple[str, ...] = ()
        #: Seconds the writes took: the estimate of reading them back.
        self.save_seconds = 0.0
        self._stem = uuid.uuid4().hex

    def add(self, model: Any) -> None:
        if self.directory is None:
            return
        path = os.path.join(self.directory, f"{self._stem}_{len(self.files)}.joblib")
        start = time.perf_counter()
        joblib.dump(model, path)
        self.save_seconds += time.perf_counter() - start
        self.files += (path,)

    def remove(self) -> None:
        """Delete the files of a trial that failed after some folds."""
        for path in self.files:
            with contextlib.suppress(OSError):
                os.remove(path)
        self.files = ()


def budgeted(
    config: dict[str, Any], budget: float | None, settings: TrialSettings
) -> tuple[dict[str, Any], float | None]:
    """The configuration and the row fraction of a trial at ``budget``.

    With ``settings.budget_unit="iterations"`` a family with an iteration
    hyperparameter (``ModelComponent.fidelity``: boosting rounds, trees,
    epochs) fits that share of its iterations on all rows; a family without
    one, and every family with ``"rows"``, fits on that share of the rows.
    Either way no family fits on more rows than its ``settings.row_caps``.
    """
    family = str(config.get("model"))
    config, rows = _budgeted(config, budget, settings.budget_unit, family)
    cap = settings.row_caps.get(family)
    if cap is not None and cap < (rows or 1.0):
        return config, cap
    return config, rows


def _budgeted(
    config: dict[str, Any], budget: float | None, unit: str, family: str
) -> tuple[dict[str, Any], float | None]:
    if budget is None or budget >= 1:
        return config, None
    component = MODELS.get(family)
    if unit == "iterations" and component is not None and component.fidelity:
        key = f"model:{family}:{component.fidelity}"
        if key in config:
            return {**config, key: max(1, round(float(config[key]) * budget))}, None
    return config, budget


def _memory_check(
    config: dict[str, Any],
    data: TrialData,
    settings: TrialSettings,
    budget: float | None,
) -> str | None:
    """Why the configuration cannot fit in the memory limit, or None if it may."""
    if settings.memory_limit_mb is None:
        return None
    n_rows = int(len(data.splits[0][0]) * (budget or 1.0))
    model = estimate_memory_mb(
        config,
        data.properties,
        n_rows,
        bytes_per_value=bytes_per_value(data.X),
        n_predict_rows=max(len(valid) for _, valid in data.splits),
    )
    # The worker may already hold more than the plan's allowance (libraries
    # differ between machines; allocators keep freed memory).
    needed = model + max(settings.memory_reserved_mb, _resident_mb())
    if needed <= settings.memory_limit_mb:
        return None
    return (
        f"skipped: estimated {needed:,.0f} MiB ({model:,.0f} for the model), over "
        f"the per-trial limit of {settings.memory_limit_mb:,.0f} MiB"
    )


def fit_pipeline(
    config: dict[str, Any],
    data: TrialData,
    rows: np.ndarray | None,
    settings: TrialSettings,
    seed: int,
    deadline: float | None,
) -> Any:
    """Build the configuration's pipeline and fit it on ``rows`` (None: all)."""
    import_plugins(settings.plugins)
    context = BuildContext(
        task=data.task,
        columns=data.columns,
        properties=data.properties,
        seed=seed,
        n_threads=settings.n_threads,
        deadline=deadline,
        quantile_levels=settings.metric.quantile_levels,
    )
    pipeline = build_pipeline(config, context)
    X, y = (data.X, data.y) if rows is None else (data.X.iloc[rows], data.y[rows])
    weighted = {}
    if data.sample_weight is not None:
        weights = data.sample_weight if rows is None else data.weights_of(rows)
        # The model, and the steps that can weigh rows (e.g. StandardScaler).
        weighted = {
            f"{name}__sample_weight": weights
            for name, step in pipeline.steps
            if step not in (None, "passthrough")
            and has_fit_parameter(step, "sample_weight")
        }
    # The preprocessing's BLAS threads too (the model step limits its own):
    # more than the trial's share, on a busy machine, cost ten times the time
    # of one (a truncated SVD of 4,000 titles' n-grams: 2.1 s against 0.14 s).
    with threadpool_limits(limits=settings.n_threads):
        pipeline.fit(X, y, **weighted)
    return pipeline


def predict_pipeline(
    pipeline: Any, X: pd.DataFrame, task: Task, n_classes: int | None
) -> np.ndarray:
    """Predictions: values for regression, probabilities over all classes otherwise.

    A fold may miss a rare class; its probability column is then zero.
    """
    if task == "regression":
        return np.asarray(pipeline.predict(X), dtype=np.float64)
    proba = np.asarray(pipeline.predict_proba(X), dtype=np.float64)
    assert n_classes is not None
    classes = np.asarray(pipeline.classes_, dtype=np.int64)
    if len(classes) == n_classes:
        return proba
    full = np.zeros((len(X), n_classes))
    full[:, classes] = proba
    return full


def _short_traceback(limit: int = 8) -> str:
    return "".join(
        traceback.format_exc(limit=-limit).splitlines(keepends=True)[-limit:]
    )


def refit(
    config: dict[str, Any],
    *,
    data: TrialData | str,
    settings: TrialSettings,
    seed: int,
    deadline: float | None,
    budget: float | None = None,
) -> Any:
    """Fit a configuration on the training rows and return the fitted pipeline.

    ``budget`` is the fraction of the rows to fit on (None: all), the same
    nested subsample a trial at that budget saw.
    """
    trial_data = _load_trial_data(data) if isinstance(data, str) else data
    config, row_budget = budgeted(config, budget, settings)
    rows = None
    if row_budget is not None and row_budget < 1.0:
        rows = subsample(np.arange(len(trial_data.y)), row_budget, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_pipeline(config, trial_data, rows, settings, seed, deadline)
