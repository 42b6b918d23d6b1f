"""Base classes of the components and the context they are built in.

A component is one small class with class attributes and class methods only:
it is never instantiated. Preprocessing components turn a plain parameter
dict into a scikit-learn transformer; model components turn one into an
estimator and know how to fit it under a deadline.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

import numpy as np
from ConfigSpace import ConfigurationSpace

from automl.data.types import TASKS, DatasetProperties, FeatureColumns, Task

Params = Mapping[str, Any]
#: Seconds since the epoch, as ``time.time`` gives them; tests inject a fake one.
Clock = Callable[[], float]


@dataclass(frozen=True)
class BuildContext:
    """Everything a component needs, besides its parameters, to be built.

    Parameters
    ----------
    task : {"binary", "multiclass", "regression"}
        The learning task.
    columns : FeatureColumns
        Numeric and categorical column names of the typed frame.
    properties : DatasetProperties
        Facts about the training table.
    seed : int, default=0
        Seed of every random component.
    n_threads : int, default=1
        Number of threads each model may use.
    deadline : float or None, default=None
        Epoch seconds (on ``clock``) after which iterative models stop adding
        iterations; None means no deadline.
    clock : callable or None, default=None
        What the deadline is read against; None means ``time.time``.
    quantile_levels : tuple of float or None, default=None
        Quantile regression: the model predicts these quantiles of the target.
    """

    task: Task
    columns: FeatureColumns
    properties: DatasetProperties
    seed: int = 0
    n_threads: int = 1
    deadline: float | None = None
    clock: Clock | None = None
    quantile_levels: tuple[float, ...] | None = None


class Component:
    """A named piece of the pipeline with its own hyperparameter space."""

    name: ClassVar[str]

    @classmethod
    def search_space(cls, properties: DatasetProperties) -> ConfigurationSpace:
        """Return the component's hyperparameters (unprefixed names).

        Parameters
        ----------
        properties : DatasetProperties
            Facts about the training table; ranges may depend on them.

        Returns
        -------
        ConfigurationSpace
            The space; empty when the component has no hyperparameters.
        """
        return ConfigurationSpace()


class TransformerComponent(Component):
    """A preprocessing step; ``build`` returns None for "no step"."""

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        """Return an unfitted transformer, or None when the step is skipped."""
        return None

    @classmethod
    def n_columns(cls, params: Params, properties: DatasetProperties) -> int:
        """Columns the step adds at most, for the memory estimate (default 0)."""
        return 0


class ModelComponent(Component):
    """A model family.

    Attributes
    ----------
    tasks : frozenset of str
        The tasks the family handles.
    native_categorical : bool
        Whether the library consumes the pandas ``category`` dtype itself.
    handles_missing : bool
        Whether NaN in numeric features is handled natively (no imputer).
    needs_scaling : bool
        Whether the scaler and the feature preprocessor are active for it.
    supports_sample_weight : bool
        Whether ``fit`` takes ``sample_weight`` (class balancing uses it).
    standardize_target : bool
        Whether a regression target is standardised before fitting.
    fidelity : str or None
        Name of the iteration hyperparameter (unprefixed), for multi-fidelity.
    generated_features : bool
        Whether the search offers the family generated features
        (``feature_generator``; :mod:`automl.space.components.features`).
    requires : tuple of str
        Importable modules the family needs; it is skipped without them.
    default_encoder : str
        Categorical encoding of the family's default configuration.
    converts_to_float64 : bool
        Whether the library converts float32 input to float64 (two more
        float64 copies of the data in memory).
    lightest : tuple of (str, {"lower", "upper"})
        Hyperparameters (unprefixed) whose value at that end of their range
        makes the family's lightest configuration for memory (e.g. fewest
        trees): if that does not fit, no configuration of the family does.
    quantile_objective : bool
        Whether the library fits a quantile (pinball) loss itself, so that
        the family takes part in quantile regression (see :meth:`quantile`).
    large_table : dict
        Hyperparameters (unprefixed) of the configuration tried second on
        tables of ``Policy.large_table_rows`` rows or more, where boosters
        need more and larger trees than on the knowledge base's tables (the
        trial's deadline stops the trees that do not fit its time).
    """

    tasks: ClassVar[frozenset[Task]] = frozenset(TASKS)
    native_categorical: ClassVar[bool] = False
    handles_missing: ClassVar[bool] = False
    needs_scaling: ClassVar[bool] = False
    supports_sample_weight: ClassVar[bool] = True
    standardize_target: ClassVar[bool] = False
    fidelity: ClassVar[str | None] = None
    generated_features: ClassVar[bool] = False
    requires: ClassVar[tuple[str, ...]] = ()
    default_encoder: ClassVar[str] = "onehot"
    converts_to_float64: ClassVar[bool] = False
    lightest: ClassVar[tuple[tuple[str, str], ...]] = ()
    quantile_objective: ClassVar[bool] = False
    large_table: ClassVar[dict[str, Any]] = {}

    @classmethod
    def available(cls) -> bool:
        """Return whether every module in ``requires`` imports."""
        return all(_importable(module) for module in cls.requires)

    @classmethod
    def supports_native(cls, properties: DatasetProperties) -> bool:
        """Return whether ``native`` categorical encoding works on this data."""
        return cls.native_categorical

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        """Return the unfitted estimator for ``params`` (unprefixed names)."""
        raise NotImplementedError

    @classmethod
    def quantile(cls, estimator: Any, level: float, ctx: BuildContext) -> Any:
        """The regression ``estimator`` (from :meth:`build`) made to predict the
        ``level`` quantile with the library's own quantile objective; only
        called when ``quantile_objective`` is True.

        Parameters
        ----------
        estimator : estimator
            Unfitted, built for regression.
        level : float
            Between 0 and 1.
        ctx : BuildContext
        """
        raise NotImplementedError(f"{cls.name} has no quantile objective.")

    @classmethod
    def model_bytes(
        cls,
        params: Params,
        properties: DatasetProperties,
        n_rows: int,
        n_predict_rows: int,
        width: int,
    ) -> float:
        """Bytes the fitted model holds beyond the copies of its data (e.g. the
        trees of a forest); small models may ignore it (the default, 0).

        Parameters
        ----------
        params : mapping
            The family's hyperparameters (unprefixed names).
        properties : DatasetProperties
        n_rows, n_predict_rows : int
            Rows fitted on, and predicted after the fit.
        width : int
            Columns after categorical encoding.
        """
        return 0.0

    @classmethod
    def as_stacker(cls, task: Task, n_rows: int) -> dict[str, Any] | None:
        """A plain configuration of the family as a second-layer model of the
        ensemble (:mod:`automl.ensemble.stacking`), or None (the default)."""
        return None

    #: Whether the family, as a stacker, also sees the original features.
    stacker_sees_features: ClassVar[bool] = False

    @classmethod
    def prepare_X(cls, X: Any) -> Any:
        """Adapt the model's input at fit and predict time (default: as is)."""
        return X

    @classmethod
    def fit(
        cls,
        estimator: Any,
        X: Any,
        y: np.ndarray,
        *,
        sample_weight: np.ndarray | None,
        deadline: float | None,
        clock: Clock = time.time,
    ) -> bool:
        """Fit ``estimator`` in place; return True if it stopped at the deadline.

        The default fits in one call and ignores the deadline: right for models
        that are bounded by construction.
        """
        fit_kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        estimator.fit(X, y, **fit_kwargs)
        return False


class ChunkedModelComponent(ModelComponent):
    """A model fitted in chunks of its ``fidelity`` parameter with ``warm_start``,
    so that it stops adding iterations near the deadline."""

    @classmethod
    def first_chunk(cls, estimator: Any) -> int:
        """Units of the first chunk (later ones are sized from its timing)."""
        return 1

    @classmethod
    def fit(
        cls,
        estimator: Any,
        X: Any,
        y: np.ndarray,
        *,
        sample_weight: np.ndarray | None,
        deadline: float | None,
        clock: Clock = time.time,
    ) -> bool:
        assert cls.fidelity is not None
        return fit_in_chunks(
            estimator,
            cls.fidelity,
            getattr(estimator, cls.fidelity),
            X,
            y,
            sample_weight=sample_weight,
            deadline=deadline,
            clock=clock,
            first_chunk=cls.first_chunk(estimator),
        )


@cache
def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except (
        Exception
    ):  # an optional backend may fail in many ways (ImportError, OSError)
        return False
    return True


def round_int(value: float, low: int = 1) -> int:
    """Round a float hyperparameter (sampled on a log scale) to an int >= low."""
    return max(low, round(value))


def fit_in_chunks(
    estimator: Any,
    param: str,
    total: int,
    X: Any,
    y: np.ndarray,
    *,
    sample_weight: np.ndarray | None,
    deadline: float | None,
    first_chunk: int,
    cumulative: bool = True,
    clock: Clock = time.time,
) -> bool:
    """Fit a ``warm_start`` estimator in chunks of ``param`` units up to ``total``.

    Without a deadline this is one plain fit. With one, the first chunk has
    ``first_chunk`` units; later chunks are sized from the measured time per
    unit so as to end near the deadline, and no chunk starts when less than
    half a unit's time is left.
    ``cumulative`` says whether ``param`` counts all units so far (forests,
    HistGradientBoosting) or the units of one call (MLP's ``max_iter``).

    Returns
    -------
    bool
        True if fitting stopped before ``total`` units because of the deadline.
    """
    fit_kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    if deadline is None:
        estimator.set_params(**{param: total, "warm_start": False})
        estimator.fit(X, y, **fit_kwargs)
        return False
    estimator.set_params(warm_start=True)
    done, step = 0, min(first_chunk, total)
    while done < total:
        start = clock()
        expected = done + step if cumulative else step
        estimator.set_params(**{param: expected})
        estimator.fit(X, y, **fit_kwargs)
        if _converged(estimator, expected):
            return False
        per_unit = max((clock() - start) / step, 1e-9)
        done += step
        remaining = deadline - clock()
        if done < total and remaining < 0.5 * per_unit:
            return True
        step = min(total - done, max(1, int(remaining / per_unit)))
    return False


def _converged(estimator: Any, expected: int) -> bool:
    """Whether an iterative estimator stopped on its own before ``expected``."""
    n_iter = getattr(estimator, "n_iter_", None)
    return isinstance(n_iter, int | np.integer) and int(n_iter) < expected
