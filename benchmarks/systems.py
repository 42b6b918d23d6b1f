"""The systems a benchmark run can measure.

Every system gets the raw training DataFrame as ``pd.read_csv`` reads it
(strings, NaN), the task, the time budget, the seed and ``n_jobs``, and is told
to optimise the task's main metric where it takes one (ROC AUC, log loss,
RMSE).

- ``automl``: ours, ``AutoClassifier`` / ``AutoRegressor`` with their defaults
  and ``time_limit=budget``.
- ``lightgbm``: ``LGBMClassifier`` / ``LGBMRegressor`` with default parameters;
  string columns become pandas ``category`` columns (LightGBM's native
  categorical handling, categories fixed on the training split, unseen and
  missing values are missing), NaN is left as is; columns are renamed by
  position, since LightGBM refuses names with JSON characters.
- ``random_forest``: ``RandomForestClassifier`` / ``RandomForestRegressor``
  with default parameters; string columns are ordinal-encoded (missing and
  unseen values get their own codes, -2 and -1) and numeric columns are
  median-imputed.
- ``constant``: the class prior or the training mean, the floor.
- ``flaml`` and ``autogluon``: peers, run only from their own virtual
  environments (see ``benchmarks/peers/``); never dependencies of the package.
  They get the frame as is: FLAML fails on spambase, whose column names
  LightGBM refuses, as it would for a user.
  ``autogluon_best_v150`` and ``autogluon_best`` are AutoGluon with the
  presets ``best_quality_v150`` and ``best_quality``, in the same environment.

Only numpy, pandas and scikit-learn are imported at module level: each system
imports its own library when it is built, in the worker's interpreter.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from importlib import import_module
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

OPTIMISED_METRIC = {
    "binary": "roc_auc",
    "multiclass": "log_loss",
    "regression": "rmse",
}
#: Peer systems by the virtual environment they run in (``benchmarks/.venv-<env>``).
PEER_ENV = {
    "flaml": "flaml",
    "autogluon": "autogluon",
    "autogluon_best_v150": "autogluon",
    "autogluon_best": "autogluon",
    "autogluon_medium": "autogluon",
}
PEERS = tuple(PEER_ENV)


def string_columns(X: pd.DataFrame) -> list[str]:
    """Return the columns that are not numeric or boolean.

    Parameters
    ----------
    X : DataFrame
        Features.

    Returns
    -------
    list of str
        Column names, in order.
    """
    return [c for c in X.columns if not (is_numeric_dtype(X[c]) or is_bool_dtype(X[c]))]


def as_object(column: pd.Series) -> pd.Series:
    """Return a column as ``object`` dtype with ``np.nan`` for missing values."""
    values = column.astype(object)
    return values.where(column.notna(), np.nan)


def module_version(name: str) -> str:
    """Return ``"name version"`` of an importable module."""
    module = import_module(name)
    return f"{name} {getattr(module, '__version__', 'unknown')}"


def source_digest(package_init: str) -> str:
    """Return 8 hex digits of SHA-1 over a package's ``.py`` files.

    Parameters
    ----------
    package_init : str
        The package's ``__init__.py`` path.

    Returns
    -------
    str
    """
    root = Path(package_init).parent
    digest = hashlib.sha1()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


@dataclass(frozen=True)
class RunSettings:
    """What every system is told.

    Attributes
    ----------
    task : str
        ``binary``, ``multiclass`` or ``regression``.
    budget : float
        Time budget in seconds (ignored by the baselines).
    seed : int
        Random seed.
    n_jobs : int
        Number of cores the system may use.
    dataset : str
        The dataset's name (ours leaves it out of its meta-learning).
    memory_limit_mb : float or None
        The run's memory limit, given to the systems that take one (ours'
        ``memory_limit``, AutoGluon's ``memory_limit``); None: their default.
    """

    task: str
    budget: float
    seed: int
    n_jobs: int
    dataset: str = ""
    memory_limit_mb: float | None = None

    @property
    def metric(self) -> str:
        """The metric the system is told to optimise."""
        return OPTIMISED_METRIC[self.task]


def labels_of(obj: Any, attribute: str) -> list:
    """Return ``obj.attribute`` as a list, or ``[]`` when it is absent."""
    value = getattr(obj, attribute, None)
    return [] if value is None else list(value)


@dataclass
class System:
    """Base class of a benchmarked system.

    Subclasses implement ``version``, ``fit``, ``predict`` and, for
    classification, ``predict_proba`` returning probabilities with one column
    per label of ``classes_``.
    """

    name: str = ""
    classes_: list = field(default_factory=list)

    def version(self) -> str:
        """Return the system's name and version."""
        raise NotImplementedError

    def fit(self, X: pd.DataFrame, y: pd.Series, run: RunSettings) -> None:
        """Fit on the training split within ``run.budget`` seconds."""
        raise NotImplementedError

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predict labels or values."""
        raise NotImplementedError

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Predict class probabilities, columns in the order of ``classes_``."""
        raise NotImplementedError

    def same_fit_variants(self) -> dict[str, System]:
        """Other predictors of the same fit, scored beside it (by system name)."""
        return {}

    def prepare(self, run: RunSettings) -> None:
        """Work before the timed ``fit`` that a user's fit would not do."""

    def details(self) -> dict[str, Any]:
        """What the fit reports about itself, kept beside the results row."""
        return {}


@dataclass
class SklearnSystem(System):
    """A system that wraps one fitted scikit-learn style model."""

    model: Any = None

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predict labels or values with the fitted model."""
        return np.asarray(self.model.predict(self._transform(X)))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Predict class probabilities with the fitted model."""
        return np.asarray(self.model.predict_proba(self._transform(X)))

    def _fit_model(self, X: pd.DataFrame, y: pd.Series) -> None:
        self.model.fit(self._transform(X), y)
        self.classes_ = labels_of(self.model, "classes_")


@dataclass
class Constant(SklearnSystem):
    """Class prior (classification) or training mean (regression)."""

    name: str = "constant"

    def version(self) -> str:
        """Return scikit-learn's version."""
        return module_version("sklearn")

    def fit(self, X: pd.DataFrame, y: pd.Series, run: RunSettings) -> None:
        """Fit on the training split."""
        from sklearn.dummy import DummyClassifier, DummyRegressor

        self.model = (
            DummyRegressor(strategy="mean")
            if run.task == "regression"
            else DummyClassifier(strategy="prior")
        )
        self._fit_model(X, y)


@dataclass
class LightGBM(SklearnSystem):
    """LightGBM with default parameters and native categorical columns."""

    name: str = "lightgbm"
    categories: dict = field(default_factory=dict)

    def version(self) -> str:
        """Return LightGBM's version."""
        return module_version("lightgbm")

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        for column, categories in self.categories.items():
            X[column] = pd.Categorical(as_object(X[column]), categories=categories)
        for column in X.columns:
            if is_bool_dtype(X[column]):
                X[column] = X[column].astype(int)
        # LightGBM refuses names with JSON characters (spambase's "char_freq_;")
        X.columns = [f"column_{i}" for i in range(X.shape[1])]
        return X

    def fit(self, X: pd.DataFrame, y: pd.Series, run: RunSettings) -> None:
        """Fit on the training split."""
        from lightgbm import LGBMClassifier, LGBMRegressor

        self.categories = {
            c: sorted(as_object(X[c]).dropna().unique(), key=str)
            for c in string_columns(X)
        }
        kind = LGBMRegressor if run.task == "regression" else LGBMClassifier
        self.model = kind(random_state=run.seed, n_jobs=run.n_jobs, verbose=-1)
        self._fit_model(X, y)


@dataclass
class RandomForest(SklearnSystem):
    """Random forest with default parameters, ordinal codes, median imputation."""

    name: str = "random_forest"

    def version(self) -> str:
        """Return scikit-learn's version."""
        return module_version("sklearn")

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        for column in string_columns(X):
            X[column] = as_object(X[column])
        return X

    def fit(self, X: pd.DataFrame, y: pd.Series, run: RunSettings) -> None:
        """Fit on the training split."""
        from sklearn.compose import ColumnTransformer
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OrdinalEncoder

        strings = string_columns(X)
        numbers = [c for c in X.columns if c not in strings]
        encode = OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=-1,
            encoded_missing_value=-2,
        )
        impute = SimpleImputer(strategy="median", keep_empty_features=True)
        columns = ColumnTransformer(
            [("strings", encode, strings), ("numbers", impute, numbers)]
        )
        kind = (
            RandomForestRegressor
            if run.task == "regression"
            else RandomForestClassifier
        )
        forest = kind(n_jobs=run.n_jobs, random_state=run.seed)
        self.model = make_pipeline(columns, forest)
        self._fit_model(X, y)


def metadata_without(dataset: str, folder: Path) -> str | bool:
    """The knowledge base with ``dataset`` left out, in ``folder``.

    Compiled from the build records of the checkout the ``automl`` package
    comes from (another tree's with ``benchmarks.run --tree``). The builder
    searched every corpus dataset's training split; a fit on that dataset
    would otherwise start from its own best configurations.
    """
    import automl
    from automl.metalearning.metadata import (
        BUILD_DIR,
        METADATA_FILE,
        compile_metadata,
    )

    checkout = Path(automl.__file__).resolve().parents[1]
    build_dir = checkout / "metadata" / BUILD_DIR
    if not build_dir.is_dir():
        return True
    metadata = compile_metadata(build_dir, exclude=[dataset])
    (folder / METADATA_FILE).write_text(json.dumps(metadata))
    return str(folder)


@dataclass
class AutoML(SklearnSystem):
    """Ours: ``automl.AutoClassifier`` / ``AutoRegressor`` with its defaults."""

    name: str = "automl"

    def version(self) -> str:
        """Return automl's version and a digest of its source files.

        The digest tells apart runs of uncommitted code of the same version.
        """
        import automl

        return f"{module_version('automl')}+src.{source_digest(automl.__file__)}"

    def prepare(self, run: RunSettings) -> None:
        """Compile the knowledge base without this dataset (about 2 s, not
        part of a user's fit)."""
        self._folder = tempfile.TemporaryDirectory(prefix="automl-bench-")
        self._metadata = metadata_without(run.dataset, Path(self._folder.name))

    def fit(self, X: pd.DataFrame, y: pd.Series, run: RunSettings) -> None:
        """Fit on the training split."""
        from automl import AutoClassifier, AutoRegressor

        kind = AutoRegressor if run.task == "regression" else AutoClassifier
        if not hasattr(self, "_metadata"):
            self.prepare(run)
        params = {
            "time_limit": run.budget,
            "metric": run.metric,
            "random_state": run.seed,
            "n_jobs": run.n_jobs,
            "meta_learning": self._metadata,
            **self.options,
        }
        if run.memory_limit_mb is not None:
            params["memory_limit"] = run.memory_limit_mb
        if self.policy:
            from automl import Policy

            params["policy"] = Policy(**self.policy)
        # An older automl on PYTHONPATH (the foundation's frozen copy) is run
        # with the parameters it has; an ablation it cannot express is an error.
        known = kind().get_params()
        if self.policy and "policy" not in known:
            raise TypeError(f"{self.name}: this automl takes no policy")
        self.model = kind(**{k: v for k, v in params.items() if k in known})
        self._fit_model(X, y)

    def same_fit_variants(self) -> dict[str, System]:
        """``automl/best_single``: the best trial's model alone, from this fit.

        The trial with the lowest validation loss among those the ensemble
        fitted; none when the fit did not end in an ensemble (the single
        model of an older automl, or a fallback).
        """
        ensemble = getattr(self.model, "model_", None)
        if not hasattr(ensemble, "only"):
            return {}
        board = self.model.leaderboard()
        trials = board[board["trial_id"].notna() & (board["status"] == "ok")]
        trials = trials[trials["budget"] >= 1.0].sort_values("loss")
        fitted = {m.trial_id for m in ensemble.base}
        best = next((int(t) for t in trials["trial_id"] if int(t) in fitted), None)
        if best is None:
            return {}
        single = copy.copy(self.model)
        single.model_ = ensemble.only(best)
        return {f"{self.name}/best_single": replace(self, model=single)}

    def details(self) -> dict[str, Any]:
        """Where the fit's time went: the search, the final model's stages,
        what the time plan reserved and estimated, and the trials' budgets."""
        model = self.model
        info = dict(getattr(model, "ensemble_info_", {}))
        # The members in short: family, weight and predictor of each.
        info["members"] = [
            [m.get("family"), m.get("weight"), m.get("predictor")]
            for m in info.get("members", [])
        ]
        budgets = Counter(
            "full" if t["budget"] is None or t["budget"] >= 1 else f"{t['budget']:.3g}"
            for t in model.trials_
        )
        return {
            "fit_time": model.fit_time_,
            "search_time": getattr(model, "search_time_", None),
            "n_trials": len(model.trials_),
            "budgets": dict(budgets),
            "final_model": info,
            "trials": _trial_lines(model),
        }

    #: Non-default parameters of a variant (see the subclasses below).
    options: ClassVar[dict[str, Any]] = {}
    #: ``automl.Policy`` fields a variant changes (ablations: one ingredient
    #: left out), passed as the estimator's ``policy``.
    policy: ClassVar[dict[str, Any]] = {}


def _trial_lines(model: Any) -> list[list[Any]] | None:
    """Each trial's family, budget, status, validation loss, fit seconds and
    the second of the fit it ended at, best first (``leaderboard()`` in
    short; None for an older automl)."""
    if not hasattr(model, "leaderboard"):
        return None
    board = model.leaderboard()
    columns = ["model", "budget", "status", "loss", "fit_time"]
    board = board[board["trial_id"].notna()]
    ended = {t["trial_id"]: t["started"] + t["duration"] for t in model.trials_}
    rows = board[columns].to_numpy().tolist()
    return [
        [None if pd.isna(v) else v for v in row] + [round(ended[trial_id], 1)]
        for row, trial_id in zip(rows, board["trial_id"], strict=True)
    ]


@dataclass
class AutoMLFullBudget(AutoML):
    """Ours without successive halving: every trial on all training rows."""

    name: str = "automl_full_budget"
    options: ClassVar[dict[str, Any]] = {"multi_fidelity": False}


@dataclass
class AutoMLHalving(AutoML):
    """Ours with successive halving over row fractions from the first trial
    (the ``"auto"`` policy of 0.1.0 on tables of 6,000 training rows or more)."""

    name: str = "automl_halving"
    options: ClassVar[dict[str, Any]] = {"multi_fidelity": True}


@dataclass
class AutoMLHyperband(AutoML):
    """Ours with Hyperband's brackets over row fractions."""

    name: str = "automl_hyperband"
    options: ClassVar[dict[str, Any]] = {"multi_fidelity": "hyperband"}


@dataclass
class AutoMLIterations(AutoML):
    """Ours with successive halving over boosting rounds, trees and epochs."""

    name: str = "automl_iterations"
    options: ClassVar[dict[str, Any]] = {"multi_fidelity": "iterations"}


@dataclass
class AutoMLNoStacking(AutoML):
    """Ours without the stacking check and the stack (a plain ensemble), nor
    their share of the search's reserve."""

    name: str = "automl_no_stacking"
    options: ClassVar[dict[str, Any]] = {"stacking": False}


@dataclass
class AutoMLNoSelectionCheck(AutoML):
    """Ours without the held-out check of ensemble selection on small tables."""

    name: str = "automl_no_selection_check"
    policy: ClassVar[dict[str, Any]] = {"checked_selection_rows": 0}


@dataclass
class AutoMLNoCalibration(AutoML):
    """Ours without temperature scaling and decision-rule tuning."""

    name: str = "automl_no_calibration"
    policy: ClassVar[dict[str, Any]] = {"calibrate": False}


@dataclass
class AutoMLNoGuard(AutoML):
    """Ours without the regression ensemble's guard."""

    name: str = "automl_no_guard"
    policy: ClassVar[dict[str, Any]] = {"regression_guard": None}


@dataclass
class AutoMLNoStrongDefaults(AutoML):
    """Ours without the random forest, extra trees and linear defaults forced
    among the first configurations."""

    name: str = "automl_no_strong_defaults"
    policy: ClassVar[dict[str, Any]] = {"strong_defaults": ()}


@dataclass
class AutoMLNoRepeats(AutoML):
    """Ours with k-fold never repeated (``cv_repeats="auto"`` capped at 1)."""

    name: str = "automl_no_repeats"
    policy: ClassVar[dict[str, Any]] = {"max_cv_repeats": 1}


@dataclass
class AutoMLNoGeneratedFeatures(AutoML):
    """Ours without ``feature_generator`` in the space."""

    name: str = "automl_no_generated_features"
    policy: ClassVar[dict[str, Any]] = {"generated_features": False}


@dataclass
class AutoMLTemperatureOnMetric(AutoML):
    """Ours with the temperature judged on the fit's metric (the default before
    the log-loss rule was adopted; ``automl_temperature_on_log_loss`` in the
    results of before)."""

    name: str = "automl_temperature_on_metric"
    policy: ClassVar[dict[str, Any]] = {"temperature_on_log_loss": False}


@dataclass
class AutoMLProbabilityFloor(AutoML):
    """Ours with the class prior mixed into the probabilities as one row."""

    name: str = "automl_probability_floor"
    policy: ClassVar[dict[str, Any]] = {"probability_floor_rows": 1.0}


@dataclass
class AutoMLSelectionOneSE(AutoML):
    """Ours with greedy selection cut back by the one-standard-error rule."""

    name: str = "automl_selection_one_se"
    policy: ClassVar[dict[str, Any]] = {"selection_one_se": True}


@dataclass
class AutoMLStackCheckAgainstPlain(AutoML):
    """Ours with the stacking check against the fit's own plain ensemble."""

    name: str = "automl_stack_check_against_plain"
    policy: ClassVar[dict[str, Any]] = {"stack_check_against_plain": True}


@dataclass
class AutoMLStackShare20(AutoML):
    """Ours keeping up to a fifth of ``time_limit`` for the stacking check and
    stack (``stack_share`` 0.2, default 0.1): at 300 s the check did not fit
    in the reserve on 9 of 15 standard tables; given the time, it kept the
    plain ensemble on the four tried (``standard-300s-stack-share/``)."""

    name: str = "automl_stack_share_20"
    policy: ClassVar[dict[str, Any]] = {"stack_share": 0.2}


@dataclass
class AutoMLMLPStrongDefault(AutoML):
    """Ours with the MLP's default among the strong defaults of small tables:
    the knowledge base was built while early stopping crippled the MLP, so
    the warm start rarely proposes it (no MLP trial on vehicle or
    mfeat-factors at 60 s), though its default now matches the whole fit's
    test log loss there."""

    name: str = "automl_mlp_strong_default"
    policy: ClassVar[dict[str, Any]] = {
        "strong_defaults": ["random_forest", "extra_trees", "linear", "mlp"]
    }


@dataclass
class AutoMLNoMinHoldoutMinority(AutoML):
    """Ours with rows alone choosing between holdout and k-fold (before the
    minority rule became the default; runs before stop 41 measured the rule
    as the arm ``automl_min_holdout_minority``)."""

    name: str = "automl_no_min_holdout_minority"
    policy: ClassVar[dict[str, Any]] = {"min_holdout_minority": 0}


@dataclass
class AutoMLHoldoutFraction(AutoML):
    """Ours with a holdout of a fifth of the rows however many (before the
    10,000-row cap became the default; runs before stop 41 measured the cap
    as the arm ``automl_holdout_rows``)."""

    name: str = "automl_holdout_fraction"
    policy: ClassVar[dict[str, Any]] = {"holdout_max_rows": 0}


@dataclass
class AutoMLPredictShare(AutoML):
    """Ours with fold models leaving a fifth of their time to predict their
    validation rows (``Policy.predict_share`` 0.2; measured as the arm
    ``automl`` against ``automl_no_predict_share`` when it was the default)."""

    name: str = "automl_predict_share"
    policy: ClassVar[dict[str, Any]] = {"predict_share": 0.2}


@dataclass
class AutoMLNoLongCV(AutoML):
    """Ours with k-fold capped at 5,000 rows whatever the budget (0.1.0's rule)."""

    name: str = "automl_no_long_cv"
    policy: ClassVar[dict[str, Any]] = {"cv_max_rows_long": 0}


@dataclass
class AutoMLBalancedAccuracy(AutoML):
    """Ours told to optimise balanced accuracy (classification tables only).

    Scored beside ``<name>/argmax``: the same fit predicting the most probable
    class instead of its tuned decision rule, so the rule's ablation is free
    of the noise between two fits (``compare_runs --metric balanced_accuracy``).
    """

    name: str = "automl_balanced_accuracy"
    options: ClassVar[dict[str, Any]] = {"metric": "balanced_accuracy"}

    def same_fit_variants(self) -> dict[str, System]:
        """``best_single`` and ``argmax`` of the same fit."""
        from automl.ensemble.calibration import Calibration

        variants = super().same_fit_variants()
        ensemble = getattr(self.model, "model_", None)
        calibration = getattr(ensemble, "calibration", None)
        if calibration is None:
            return variants
        argmax = copy.copy(self.model)
        argmax.model_ = replace(
            ensemble, calibration=Calibration(temperature=calibration.temperature)
        )
        return variants | {f"{self.name}/argmax": replace(self, model=argmax)}


@dataclass
class AutoMLSingle(AutoML):
    """Ours with the ensemble cut to one member: the best single model (bagged)."""

    name: str = "automl_single"
    options: ClassVar[dict[str, Any]] = {"max_ensemble_members": 1}


@dataclass
class AutoMLRefitFull(AutoML):
    """Ours with the fast-inference option: members refitted on all rows."""

    name: str = "automl_refit_full"
    options: ClassVar[dict[str, Any]] = {"refit_full": True}


@dataclass
class FLAML(SklearnSystem):
    """FLAML's ``AutoML`` with its defaults and ``time_budget=budget``.

    String columns are handed over as ``object`` dtype, the form FLAML's own
    preprocessing recognises (pandas 3 reads them as ``str``).
    """

    name: str = "flaml"

    def version(self) -> str:
        """Return FLAML's version."""
        return module_version("flaml")

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        for column in string_columns(X):
            X[column] = as_object(X[column])
        return X

    def fit(self, X: pd.DataFrame, y: pd.Series, run: RunSettings) -> None:
        """Fit on the training split."""
        from flaml import AutoML as FlamlAutoML

        self.model = FlamlAutoML()
        self.model.fit(
            X_train=self._transform(X),
            y_train=y,
            task="regression" if run.task == "regression" else "classification",
            metric=run.metric,
            time_budget=run.budget,
            seed=run.seed,
            n_jobs=run.n_jobs,
            verbose=0,
        )
        self.classes_ = labels_of(self.model, "classes_")


AUTOGLUON_METRIC = {
    "binary": "roc_auc",
    "multiclass": "log_loss",
    "regression": "root_mean_squared_error",
}


@dataclass
class AutoGluon(System):
    """AutoGluon's ``TabularPredictor`` with its default presets."""

    name: str = "autogluon"
    predictor: Any = None
    #: ``presets`` of ``TabularPredictor.fit`` (None: AutoGluon's default).
    presets: ClassVar[str | None] = None

    def version(self) -> str:
        """Return AutoGluon tabular's version."""
        from autogluon.tabular import __version__

        return f"autogluon.tabular {__version__}"

    def fit(self, X: pd.DataFrame, y: pd.Series, run: RunSettings) -> None:
        """Fit on the training split."""
        from autogluon.tabular import TabularPredictor

        frame = X.copy()
        frame["__target__"] = y.to_numpy()
        self.predictor = TabularPredictor(
            label="__target__",
            problem_type=run.task,
            eval_metric=AUTOGLUON_METRIC[run.task],
            path=tempfile.mkdtemp(prefix="autogluon-", dir="."),
            verbosity=0,
        ).fit(
            frame,
            time_limit=run.budget,
            num_cpus=run.n_jobs,
            **({} if self.presets is None else {"presets": self.presets}),
            **(
                {}
                if run.memory_limit_mb is None
                else {"memory_limit": run.memory_limit_mb / 1024}
            ),
        )
        self.classes_ = labels_of(self.predictor, "class_labels")

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predict labels or values."""
        return np.asarray(self.predictor.predict(X))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Predict class probabilities, one column per label."""
        proba = self.predictor.predict_proba(X, as_multiclass=True)
        self.classes_ = list(proba.columns)
        return proba.to_numpy()


@dataclass
class AutoGluonBestV150(AutoGluon):
    """AutoGluon 1.5's strongest CPU preset: zero-shot portfolio, bagged, stacked."""

    name: str = "autogluon_best_v150"
    presets: ClassVar[str | None] = "best_quality_v150"


@dataclass
class AutoGluonMedium(AutoGluon):
    """AutoGluon's ``medium_quality`` preset: fast, no bagging or stacking."""

    name: str = "autogluon_medium"
    presets: ClassVar[str | None] = "medium_quality"


@dataclass
class AutoGluonBest(AutoGluon):
    """AutoGluon's ``best_quality`` preset."""

    name: str = "autogluon_best"
    presets: ClassVar[str | None] = "best_quality"


SYSTEMS: dict[str, type[System]] = {
    "automl": AutoML,
    "automl_balanced_accuracy": AutoMLBalancedAccuracy,
    "automl_full_budget": AutoMLFullBudget,
    "automl_halving": AutoMLHalving,
    "automl_hyperband": AutoMLHyperband,
    "automl_iterations": AutoMLIterations,
    "automl_no_selection_check": AutoMLNoSelectionCheck,
    "automl_no_stacking": AutoMLNoStacking,
    "automl_no_calibration": AutoMLNoCalibration,
    "automl_no_guard": AutoMLNoGuard,
    "automl_no_strong_defaults": AutoMLNoStrongDefaults,
    "automl_no_repeats": AutoMLNoRepeats,
    "automl_no_generated_features": AutoMLNoGeneratedFeatures,
    "automl_no_long_cv": AutoMLNoLongCV,
    "automl_temperature_on_metric": AutoMLTemperatureOnMetric,
    "automl_probability_floor": AutoMLProbabilityFloor,
    "automl_selection_one_se": AutoMLSelectionOneSE,
    "automl_stack_check_against_plain": AutoMLStackCheckAgainstPlain,
    "automl_stack_share_20": AutoMLStackShare20,
    "automl_mlp_strong_default": AutoMLMLPStrongDefault,
    "automl_no_min_holdout_minority": AutoMLNoMinHoldoutMinority,
    "automl_holdout_fraction": AutoMLHoldoutFraction,
    "automl_predict_share": AutoMLPredictShare,
    "automl_single": AutoMLSingle,
    "automl_refit_full": AutoMLRefitFull,
    "lightgbm": LightGBM,
    "random_forest": RandomForest,
    "constant": Constant,
    "flaml": FLAML,
    "autogluon": AutoGluon,
    "autogluon_best_v150": AutoGluonBestV150,
    "autogluon_best": AutoGluonBest,
    "autogluon_medium": AutoGluonMedium,
}
BASELINES = ("lightgbm", "random_forest")
IMPORT_NAME = {"flaml": "flaml", "autogluon": "autogluon.tabular"}  # by PEER_ENV


def base_name(system: str) -> str:
    """The system behind a run's name: ``automl@67328fa`` is ``automl`` run
    with the package of another source tree (``benchmarks.run --tree``)."""
    return system.split("@", 1)[0]


def make_system(name: str) -> System:
    """Build an unfitted system by name.

    Parameters
    ----------
    name : str
        One of ``SYSTEMS``.

    Returns
    -------
    System
    """
    if name not in SYSTEMS:
        raise ValueError(f"unknown system {name!r}; choose from {sorted(SYSTEMS)}")
    return SYSTEMS[name]()
