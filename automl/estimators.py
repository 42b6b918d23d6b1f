"""The public estimators: :class:`AutoClassifier` and :class:`AutoRegressor`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from numbers import Real
from typing import Any, ClassVar, Literal

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import check_is_fitted

from automl._base import BaseAuto
from automl.data.types import Task
from automl.ensemble.conformal import ConformityScores, QuantileConformity
from automl.evaluation import predict_pipeline
from automl.metrics import check_quantile_levels
from automl.policy import Policy
from automl.reporting import plot_intervals
from automl.space import MODELS
from automl.space.pipeline import constant_quantiles

_PARAMETERS = """
    Parameters
    ----------
    time_limit : float or None, default=300
        Seconds the whole ``fit`` may take. ``fit`` returns within it plus
        ``automl.limits.TIME_LIMIT_SLACK_S`` (3 s): the search stops proposing
        trials in time to build the final model. None means no limit, and then
        ``max_trials`` is required.
    metric : str, scikit-learn scorer or None, default=None
        What to optimise. None is {default_metric}. Names: {metric_names}; or
        any scorer made with :func:`sklearn.metrics.make_scorer`.{quantile_levels}
    n_jobs : int or None, default=-1
        Trials run at once, each in its own worker process; -1 means all cores,
        None means 1. Threads inside a trial share the remaining cores.
    random_state : int or None, default=0
        Seed of the search and the models. With ``n_jobs=1`` and ``max_trials``
        set (and a ``time_limit`` that does not cut the search short), two fits
        give identical leaderboards and predictions.
    max_trials : int or None, default=None
        Stop after this many trials (the time limit still applies).
    include, exclude : list of str or None, default=None
        Model families to search, or to leave out: {families}.
    column_types : dict of str to str or None, default=None
        The kind of some columns of ``X``, by name: "numeric", "categorical",
        "datetime" or "text" (e.g. ``{{"review": "text", "zip": "categorical"}}``);
        the others' kinds are inferred. A string column is inferred to be free
        text when more than 1 % of its values are distinct, more than half
        its rows hold a text no other row has, and they have at least 5 words
        on average (shorter strings, names and titles, stay categorical).
        Text columns become word or character
        n-gram TF-IDF reduced by a truncated SVD, plus text statistics
        (lengths, words, capitals, digits, punctuation): the encoder is a
        choice of the search.
    resampling : {{"auto", "holdout", "cv"}}, default="auto"
        How trials are validated. "auto" uses 5-fold cross-validation for up to
        1,000 rows, and up to 5,000 rows when ``time_limit`` is 30 s or more;
        a stratified 80/20 holdout otherwise.
    cv : int, cross-validation splitter, iterable or None, default=None
        Your validation, in scikit-learn's convention: an int is a shuffled
        (stratified, for classification) k-fold with that many folds; a
        splitter such as ``GroupKFold``, ``StratifiedGroupKFold`` or
        ``TimeSeriesSplit`` is used as given (with ``fit``'s ``groups``); an
        iterable of (train, validation) index pairs too. It replaces
        ``resampling`` (leave that at "auto") and is not repeated. Rows a
        splitter never validates (the first period of a time series) are left
        out of the ensemble's selection, stacking and calibration, and
        ``validation_`` and ``summary()`` say how many rows were validated;
        the final models are then refitted on all rows. None: ours (see
        ``resampling``), or a group k-fold when ``fit`` gets ``groups``.
    cv_repeats : int or "auto", default="auto"
        Times k-fold cross-validation is repeated with new folds: each row's
        out-of-fold prediction is the mean over the repeats, and each model of
        the ensemble a bag of repeats × 5 fold models. "auto" repeats on small
        tables when the time limit affords it (1,000 rows at 60 s on 2 cores:
        2; at most 3) and not without a time limit; ignored with a holdout.
    per_trial_time_limit : float or None, default=None
        Seconds one trial may take; None means a quarter of ``time_limit``
        (at least 5 s). Boosters and tree ensembles stop adding iterations at
        the limit; a trial still running shortly after it is killed.
    per_trial_memory_limit : float or None, default=None
        MiB one trial's worker process may use (process, data and model);
        None derives it from ``memory_limit``. Configurations estimated to
        need more are skipped; a worker that goes over is killed (status
        "memout").
    memory_limit : float or None, default=None
        MiB the whole fit may use: this process's typed copy of the data and
        kept predictions, every worker at its per-trial limit, and the
        ensemble's refits. None means 60 % of the memory available when
        ``fit`` starts. What does not fit is reduced before the search, in
        this order: fewer parallel workers, then a row subsample of the
        training data; families that do not fit even at the lowest budget are
        not searched (leaderboard rows with status "memout" and the reason).
        See ``memory_plan_``. ``fit`` raises ``MemoryError`` only when one
        worker on a 1,000-row sample does not fit. Large tables are held as
        float32 where that loses nothing that matters.
    multi_fidelity : bool, "auto", "hyperband" or "iterations", default="auto"
        True: successive halving over the fraction of training rows each
        trial sees (eta=3, budgets down to 1/27, at least 2,000 rows);
        "hyperband": Hyperband's brackets over the same budgets (the last one
        all on full budgets); "iterations": successive halving over the
        boosting rounds, trees or epochs of the families that have them
        (eta=4, down to 1/16; the others get that share of the rows); False:
        every trial on all rows. "auto": full
        budgets, and from 6,000 training rows a switch to successive halving
        when the first trials show that fewer than 20 more full-budget trials
        would fit in the time left. Only full-budget trials compete for the
        final model.
    meta_learning : bool or path, default=True
        Start the search from configurations that did well on similar prior
        tasks: a portfolio selected offline over the corpus in ``metadata/``,
        then the best configuration of each of the 5 prior tasks nearest by
        meta-features. A path uses another knowledge base written by
        ``python -m automl.metalearning.build``. False starts from each model
        family's default configuration.
    dask_address : str or None, default=None
        Address of a Dask scheduler (e.g. "tcp://10.0.0.5:8786"): trials run
        on its workers, the search stays in this process. Without it, a fit
        inside ``joblib.parallel_config(backend="dask")`` uses that backend's
        client the same way.
    stacking : bool or "auto", default="auto"
        Fit a second layer of stackers on the ensemble's out-of-fold
        predictions. "auto" keeps the stack only when a held-out check shows
        it beats the plain ensemble; needs k-fold resampling.
    refit_full : bool, default=False
        Refit each ensemble member once on all rows instead of keeping its k
        fold models: several times faster predictions, usually as accurate.
    max_ensemble_members : int or None, default=None
        Cap on the distinct models in the ensemble; 1 keeps the best model.
    infer_limit : float or None, default=None
        Most seconds per row ``predict`` may take, as measured on a batch of
        10,000 rows (drawn from the training rows) after the members are
        fitted; per-row times are higher on smaller batches (a fixed cost per
        call). Members are dropped, least ensemble weight per second of
        predict time first, until the ensemble meets it, and there is no
        stacking; ``ensemble_info_["decision"]`` says whether it was met.
        With ``refit_full=True`` this is the fast-inference option (see the
        README for measured speed-ups). None: no limit, except on tables of
        ``policy.large_table_rows`` rows or more, where the final model must
        predict its training rows within ``time_limit``.
    decision_threshold : "auto", float or None, default="auto"
        Classifiers: "auto" fits a temperature to the final model's
        out-of-fold probabilities when that improves a probability metric
        (log loss), and for a metric on labels (accuracy, balanced accuracy,
        F1, a scorer on ``predict``) tunes the binary decision threshold, or
        weighs multiclass probabilities by 1 / class prior, when a
        cross-fitted check on those rows says it helps. A float in (0, 1) is
        the binary threshold on the positive class's probability; None
        predicts the most probable class. ``ensemble_info_["calibration"]``
        says what was kept. Ignored by regressors.
    verbose : int, default=0
        What ``fit`` shows: 0 nothing (as scikit-learn estimators, so that
        ``Pipeline``, ``cross_val_score`` and ``GridSearchCV`` stay quiet), 1 a
        progress bar (time left, trials done and failed, best score so far; a
        widget in Jupyter when ipywidgets is installed), 2 the bar and a line
        per trial. Every trial is also logged at INFO level by the ``automl``
        logger, whatever ``verbose`` is.
    output_dir : str, path or None, default=None
        Folder for a trial log that survives the process: every finished
        trial is appended to ``trials.jsonl`` (full-budget trials' validation
        predictions under ``predictions/``). A fit killed at any moment and
        started again with the same ``output_dir`` and data continues: the
        logged trials are reused, not run again, and count toward
        ``max_trials`` and the ensemble; ``time_limit`` starts afresh. Other
        data or settings (metric, resampling, seed, include/exclude,
        ``multi_fidelity``) in the same folder raise ``ValueError``. None
        keeps nothing after ``fit``.
    policy : automl.Policy or None, default=None
        Every share, safety factor, margin and row threshold of the fit (the
        time kept for the ensemble, the safety on its estimates, from how
        many rows k-fold is repeated or successive halving starts, ...), as
        one immutable value; None means ``automl.Policy()``, the defaults the
        project's benchmarks chose (each field's documentation says which
        measurement). The numbers quoted above are those defaults. The policy
        a fit ran with is in ``ensemble_info_["policy"]``, the trial log and a
        saved model's metadata.
"""

_ATTRIBUTES = """
    Attributes
    ----------
    best_config_ : dict
        Configuration of the refitted model (family under ``"model"``).
    best_score_ : float
        Its validation score in the chosen metric.
    model_ : automl.ensemble.FittedEnsemble or sklearn.pipeline.Pipeline
        The final model (it takes the typed frame of ``typer_``): the fitted
        ensemble, or the refitted best pipeline if the ensemble failed.
    ensemble_ : list of (int or str, float)
        The ensemble's members (trial id, or stacker name) and weights.
    ensemble_info_ : dict
        The final model's ``kind`` ("stack", "ensemble", "single", or
        "fallback" for the constant baseline), ``members``, the
        ``validation_losses`` of the options tried, the ``decision`` taken
        and why, ``fit_seconds`` it took, its ``stage_seconds`` and the
        ``stage_estimates`` the time plan made of them, and the
        ``reserved_seconds`` the search left for it, and the ``policy`` of
        the fit (:meth:`automl.Policy.as_dict`). Set by every fit, including
        one that ended with a refitted trial.
    leaderboard_ : pandas.DataFrame
        See :meth:`leaderboard`.
    performance_over_time_ : pandas.DataFrame
        Best validation score against time: one row per improvement, columns
        ``time`` (seconds since ``fit`` started), ``score``, ``trial_id``,
        ``model``. :meth:`plot_trajectory` draws it.
    initial_design_ : list of (str, dict)
        The configurations evaluated first, each with its origin
        (``"portfolio"``, ``"nearest-task"``, ``"default"``, ``"large table"``
        or ``"text variant"``).
    trials_ : list of dict
        Every trial, failures included, with its error message; ``resumed``
        is True for trials reused from ``output_dir``'s log (their ``started``
        is negative: seconds before this ``fit`` began).
    metric_ : automl.metrics.Metric
        The metric used.
    task_ : {{"binary", "multiclass", "regression"}}
    resampling_ : {{"holdout", "cv"}}
    validation_ : dict
        How the trials were validated: ``splitter`` (the name of your ``cv``
        or groups' splitter, None for ours), ``n_splits``, ``validated_rows``
        (rows with a validation prediction), ``rows``, ``weighted`` (whether
        ``fit`` got ``sample_weight``) and ``left_out_for_weights`` (the
        families not searched because they cannot weigh rows).
    cv_repeats_ : int
        Times k-fold was repeated (1 with a holdout).
    typer_ : automl.data.FeatureTyper
        Column typing learned from the training data.
    fallback_ : estimator
        Constant baseline fitted before the search; used (with a warning) if no
        searched model could be refitted.
    memory_plan_ : dict
        What ran under ``memory_limit``: ``limit_mb``, ``data_mb``,
        ``n_workers`` (and ``requested_workers``), ``per_trial_mb``,
        ``n_rows`` of ``total_rows`` (``subsampled``), ``skipped`` families
        with the reason, ``notes`` on what was reduced, ``planned_mb``.
    fit_time_ : float
        Seconds ``fit`` took.
    search_time_ : float
        Seconds from the start of ``fit`` to the end of its last trial;
        ``fit_time_ - search_time_`` went into the final model (ensemble,
        stacking or refit).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names.
"""

_FAMILIES = ", ".join(f'"{name}"' for name in MODELS)


class AutoClassifier(ClassifierMixin, BaseAuto):
    """AutoML classifier: searches preprocessing, model family and hyperparameters.

    The search is SMAC's random-forest Bayesian optimisation over one
    conditional configuration space, starting from each family's default; the
    best configuration is refitted on all training data.
    {parameters}{attributes}
    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from automl import AutoClassifier
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> clf = AutoClassifier(time_limit=30, max_trials=3, n_jobs=1).fit(X, y)
    >>> clf.predict_proba(X.iloc[:2]).shape
    (2, 2)
    >>> list(clf.leaderboard().columns[:4])
    ['rank', 'trial_id', 'model', 'score']
    >>> clf.summary().splitlines()[0]
    'AutoClassifier: binary, 30 features'
    """

    _target_kind = "classification"

    def _encode_target(self, y: np.ndarray) -> tuple[np.ndarray, Task]:
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        task: Task = "binary" if len(self.classes_) == 2 else "multiclass"
        return encoder.transform(y).astype(np.int64), task

    def _fallback_model(self) -> BaseEstimator:
        return DummyClassifier(strategy="prior")

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return self._in_batches(
            X,
            lambda rows: predict_pipeline(
                self.model_, rows, self.task_, len(self.classes_)
            ),
        )

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels: the most probable class, or the decision
        rule fitted for a label metric (see ``decision_threshold``).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        calibration = getattr(self.model_, "calibration", None)
        if calibration is None:  # a single refitted trial, or the fallback
            return self.classes_[np.argmax(proba, axis=1)]
        return self.classes_[calibration.labels(proba)]

    def predict_set(
        self, X: Any, alpha: float = 0.1, *, mondrian: bool = False
    ) -> np.ndarray:
        """Conformal prediction sets: the classes that cannot be ruled out.

        A class is in a row's set when one minus its calibrated probability
        is within the ``⌈(1 - alpha)(n + 1)⌉``-th smallest of the ``n``
        out-of-fold scores ``1 - p̂(true class)`` of the training rows (LAC,
        Sadinle et al., 2019): on new rows like the training rows, the true
        class is in the set with probability at least ``1 - alpha`` (see
        :mod:`automl.ensemble.conformal` for what refitting changes).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        alpha : float, default=0.1
            Miscoverage: 0.1 for sets that hold the true class 90 % of the time.
        mondrian : bool, default=False
            Class-conditional sets: the score threshold of each class comes
            from that class's rows, so that each class (a rare one too) is
            covered at ``1 - alpha``; sets are then larger for rare classes.

        Returns
        -------
        ndarray of bool, shape (n_samples, n_classes)
            ``out[i, k]``: class ``classes_[k]`` is in row ``i``'s set.
        """
        scores = _conformity(self, alpha)
        assert isinstance(scores, ConformityScores)  # classifiers fit no quantiles
        return scores.sets(self.predict_proba(X), alpha, mondrian)


class AutoRegressor(RegressorMixin, BaseAuto):
    """AutoML regressor: searches preprocessing, model family and hyperparameters.

    The search is SMAC's random-forest Bayesian optimisation over one
    conditional configuration space, starting from each family's default; the
    best configuration is refitted on all training data.
    {parameters}{attributes}
    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from automl import AutoRegressor
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> reg = AutoRegressor(time_limit=30, max_trials=3, n_jobs=1).fit(X, y)
    >>> reg.predict(X.iloc[:3]).shape
    (3,)
    """

    _target_kind = "regression"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **BaseAuto._parameter_constraints,
        "quantile_levels": ["array-like", Real, None],
    }

    def __init__(
        self,
        *,
        time_limit: float | None = 300,
        metric: Any = None,
        quantile_levels: Sequence[float] | None = None,
        n_jobs: int | None = -1,
        random_state: int | None = 0,
        max_trials: int | None = None,
        include: list[str] | tuple[str, ...] | None = None,
        exclude: list[str] | tuple[str, ...] | None = None,
        column_types: dict[str, str] | None = None,
        resampling: str = "auto",
        cv: Any = None,
        cv_repeats: int | Literal["auto"] = "auto",
        per_trial_time_limit: float | None = None,
        per_trial_memory_limit: float | None = None,
        memory_limit: float | None = None,
        multi_fidelity: bool | str = "auto",
        meta_learning: bool | str | os.PathLike[str] = True,
        dask_address: str | None = None,
        stacking: bool | Literal["auto"] = "auto",
        refit_full: bool = False,
        max_ensemble_members: int | None = None,
        infer_limit: float | None = None,
        decision_threshold: float | Literal["auto"] | None = "auto",
        verbose: int = 0,
        output_dir: str | os.PathLike[str] | None = None,
        policy: Policy | None = None,
    ) -> None:
        super().__init__(
            time_limit=time_limit,
            metric=metric,
            n_jobs=n_jobs,
            random_state=random_state,
            max_trials=max_trials,
            include=include,
            exclude=exclude,
            column_types=column_types,
            resampling=resampling,
            cv=cv,
            cv_repeats=cv_repeats,
            per_trial_time_limit=per_trial_time_limit,
            per_trial_memory_limit=per_trial_memory_limit,
            memory_limit=memory_limit,
            multi_fidelity=multi_fidelity,
            meta_learning=meta_learning,
            dask_address=dask_address,
            stacking=stacking,
            refit_full=refit_full,
            max_ensemble_members=max_ensemble_members,
            infer_limit=infer_limit,
            decision_threshold=decision_threshold,
            verbose=verbose,
            output_dir=output_dir,
            policy=policy,
        )
        self.quantile_levels = quantile_levels

    def _encode_target(self, y: np.ndarray) -> tuple[np.ndarray, Task]:
        return np.asarray(y, dtype=np.float64), "regression"

    def _fallback_model(self) -> BaseEstimator:
        if self.quantile_levels is None:
            return DummyRegressor()
        return constant_quantiles(check_quantile_levels(self.quantile_levels))

    def predict(self, X: Any) -> np.ndarray:
        """Predicted values; with ``quantile_levels``, the predicted quantiles.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,), or (n_samples, n_levels)
            With ``quantile_levels``: one column per level, in increasing
            order of level; along each row the quantiles never decrease.
        """
        return self._in_batches(
            X, lambda rows: predict_pipeline(self.model_, rows, "regression", None)
        )

    def predict_interval(
        self, X: Any, alpha: float = 0.1, *, adaptive: bool | str = "auto"
    ) -> np.ndarray:
        """Conformal prediction intervals with coverage ``1 - alpha``.

        The interval is ``predict(X) ± q``, where ``q`` is the
        ``⌈(1 - alpha)(n + 1)⌉``-th smallest absolute out-of-fold residual of
        the ``n`` validated training rows (split conformal's finite-sample
        rule, Lei et al., 2018; with k-fold bags the CV residual rule behind
        CV+, Barber et al., 2021, whose guarantee is ``1 - 2 alpha`` and whose
        coverage is ``1 - alpha`` in practice). Members refitted on all rows
        (a holdout, ``refit_full=True``) are better than the models the
        residuals came from, so the intervals err on the wide side.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        alpha : float, default=0.1
            Miscoverage: 0.1 for intervals that hold the true value 90 % of
            the time. With fewer than ``1 / alpha - 1`` validated rows the
            intervals are infinite.
        adaptive : bool or "auto", default="auto"
            True: intervals ``predict(X) ± q σ(x)`` whose width follows the
            row: ``σ`` is a residual scale learned from the features (two
            small LightGBMs cross-fitted on the out-of-fold residuals) and
            ``q`` the same rank of the residuals divided by their scale.
            ``"auto"``: the adaptive intervals where they are narrower than
            the plain ones on the out-of-fold rows on average (both cover
            ``1 - alpha`` of them), else the plain ones. Ignored by
            a quantile fit, whose intervals follow the row anyway: with
            ``quantile_levels`` holding ``alpha / 2`` and ``1 - alpha / 2``,
            the interval is ``[q_lo - q, q_hi + q]``, ``q`` the same rank of
            the out-of-fold ``max(q_lo - y, y - q_hi)`` (conformalized
            quantile regression, Romano et al., 2019).

        Returns
        -------
        ndarray of shape (n_samples, 2)
            Lower and upper bounds.
        """
        scores = _conformity(self, alpha)
        if isinstance(scores, QuantileConformity):
            return scores.interval(self.predict(X), alpha)
        scale = scores.scale if scores.uses_adaptive(alpha, adaptive) else None

        def bounds(rows: Any) -> np.ndarray:  # the rows typed once for both
            pred = predict_pipeline(self.model_, rows, "regression", None)
            row_scale = None if scale is None else scale.predict(rows)
            return scores.interval(pred, alpha, row_scale)

        return self._in_batches(X, bounds)

    def plot_intervals(
        self, alpha: float = 0.1, *, adaptive: bool | str = "auto", ax: Any = None
    ) -> Any:
        """Plot the out-of-fold predictions against the true values with their
        conformal intervals (matplotlib); rows outside in red.

        Parameters
        ----------
        alpha : float, default=0.1
        adaptive : bool or "auto", default="auto"
            The intervals of ``predict_interval(..., adaptive=adaptive)``.
        ax : matplotlib Axes or None, default=None

        Returns
        -------
        matplotlib.axes.Axes
        """
        _conformity(self, alpha)
        return plot_intervals(self, alpha=alpha, adaptive=adaptive, ax=ax)


def _conformity(
    estimator: BaseAuto, alpha: float
) -> ConformityScores | QuantileConformity:
    """The fitted model's conformity scores, after checking ``alpha``."""
    check_is_fitted(estimator, "model_")
    if not (isinstance(alpha, Real) and 0 < alpha < 1):
        raise ValueError(f"alpha must be a number between 0 and 1; got {alpha!r}.")
    scores = getattr(estimator.model_, "conformity", None)
    if scores is None:
        raise ValueError(
            "This fit kept no out-of-fold predictions (its final model is a "
            f"single refitted trial: {estimator.ensemble_info_.get('kind')}), "
            "so it cannot give conformal intervals or sets. Fit with more "
            "time, or with resampling='cv'."
        )
    return scores


_QUANTILE_LEVELS = """
    quantile_levels : array-like of float or None, default=None
        Quantile regression: ``predict`` returns these quantiles of the target
        given the features, one column per level (e.g. ``[0.05, 0.5, 0.95]``).
        The search minimises the mean pinball loss over the levels
        (``metric="pinball"``, the default then) with the families that have a
        quantile objective (LightGBM, XGBoost, CatBoost, histogram gradient
        boosting, and scikit-learn's QuantileRegressor as the linear family);
        members are averaged, never stacked, and the quantiles of each row are
        sorted so that they never cross."""


def _fill_docstring(
    cls: type, default_metric: str, metric_names: str, quantile_levels: str = ""
) -> None:
    parameters = _PARAMETERS.format(
        default_metric=default_metric,
        metric_names=metric_names,
        families=_FAMILIES,
        quantile_levels=quantile_levels,
    )
    cls.__doc__ = (cls.__doc__ or "").format(
        parameters=parameters, attributes=_ATTRIBUTES.format()
    )


_fill_docstring(
    AutoClassifier,
    "ROC AUC for two classes and log loss for more",
    '"roc_auc", "log_loss", "accuracy", "balanced_accuracy", "f1", "f1_macro"',
)
_fill_docstring(
    AutoRegressor, "RMSE", '"rmse", "mae", "mse", "r2", "pinball"', _QUANTILE_LEVELS
)
