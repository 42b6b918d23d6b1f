"""The only module that imports SMAC: builds the optimiser and wraps ask/tell.

The recommendations of ``SMAC.md`` are applied here: ask/tell only (our driver
owns workers and clock), finite costs, a random forest with ``n_jobs=1``, a
config selector that predicts all observed configurations in one call, plain
dicts out, fresh ``Configuration`` objects for warm-start configurations,
``overwrite=True`` and ``tell(save=False)``.
"""

from __future__ import annotations

import functools
import logging
import math
import tempfile
import threading
import warnings
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
from ConfigSpace import Configuration, ConfigurationSpace
from smac import HyperparameterOptimizationFacade, Scenario
from smac.acquisition.maximizer import LocalAndSortedRandomSearch, LocalSearch
from smac.initial_design import SobolInitialDesign
from smac.intensifier.hyperband import Hyperband
from smac.intensifier.successive_halving import SuccessiveHalving
from smac.main.config_selector import ConfigSelector
from smac.model.random_forest.random_forest import RandomForest
from smac.runhistory.dataclasses import TrialInfo, TrialValue
from smac.runhistory.enumerations import StatusType
from smac.utils.configspace import convert_configurations_to_array

from automl.search.fidelity import FULL, Fidelity
from automl.search.proposals import Proposal

_STATUS = {
    "ok": StatusType.SUCCESS,
    "crashed": StatusType.CRASHED,
    "timeout": StatusType.TIMEOUT,
    "memout": StatusType.MEMORYOUT,
}


class _BatchedConfigSelector(ConfigSelector):
    """SMAC predicts observed configurations one by one in ``_get_x_best``; batch it."""

    def _get_x_best(self, X: np.ndarray) -> tuple[np.ndarray, float]:
        assert self._model is not None
        means, _ = self._model.predict_marginalized(X)
        i = int(np.argmin(means[:, 0]))
        return X[i], float(means[i, 0])


class _KeepingUpConfigSelector(_BatchedConfigSelector):
    """Proposals whose cost does not grow with the number of observations.

    SMAC retrains its surrogate on every observation each ``retrain_after``
    proposals, so the cost of a proposal grows with the search. Here:

    * the surrogate trains on at most ``MAX_SURROGATE_ROWS`` observations
      (the best half of them and a random sample of the rest);
    * it is retrained every ``max(n_workers, observations / RETRAIN_GROWTH)``
      proposals, so the retraining cost per proposal stays flat;
    * configurations still running enter its data with the mean cost
      observed (a constant liar), so the next batch of proposals looks
      elsewhere instead of next to them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._min_retrain_after = self._retrain_after
        self._rows_rng = np.random.default_rng(0)

    def __iter__(self) -> Iterator[Configuration]:
        # SMAC's loop tests each challenger against the list of processed
        # configurations (linear in the observations); the list it makes on
        # its first step is swapped for one with a set of the vectors.
        configs = super().__iter__()
        first = next(configs)
        self._processed_configs = _ConfigList(self._processed_configs)
        yield first
        yield from configs

    def _collect_data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        X, Y, X_configs = super()._collect_data()
        if X.shape[0] == 0:
            return X, Y, X_configs
        self._retrain_after = max(
            self._min_retrain_after, math.ceil(X.shape[0] / RETRAIN_GROWTH)
        )
        self._previous_entries = -1  # retrain each round, whatever the rows
        X, Y = _best_and_sampled(X, Y, MAX_SURROGATE_ROWS, self._rows_rng)
        assert self._runhistory is not None
        pending = self._runhistory.get_running_configs()
        if pending:
            X = np.vstack([X, convert_configurations_to_array(pending)])
            lie = np.broadcast_to(Y.mean(axis=0), (len(pending), Y.shape[1]))
            Y = np.vstack([Y, lie])
        return X, Y, X_configs


_EQUALITY_LOCK = threading.Lock()
_EQUALITY_DEPTH = 0
_CONFIGSPACE_EQ = Configuration.__eq__


def _vector_eq(self: Configuration, other: Any) -> bool:
    if isinstance(other, Configuration) and self.config_space is other.config_space:
        return _key(self) == _key(other)
    return _CONFIGSPACE_EQ(self, other)


@contextmanager
def _vector_equality() -> Iterator[None]:
    """Compare configurations of one space by their vectors inside the block.

    SMAC keeps proposed, running and rejected configurations in lists and
    tests membership with ``==``; ConfigSpace 1.2 compares two
    configurations by building a dict over every hyperparameter of the
    space, which made most of an ask's cost and made it grow with the
    observations (10 workers, full space: 0.05 s an ask at 100 observations,
    0.28 s at 400; 0.02 s and 0.03 s with vectors). Equal vectors in one space
    are equal values, so the hash (from the values) stays consistent.
    """
    global _EQUALITY_DEPTH
    with _EQUALITY_LOCK:
        _EQUALITY_DEPTH += 1
        Configuration.__eq__ = _vector_eq  # type: ignore[method-assign]
    try:
        yield
    finally:
        with _EQUALITY_LOCK:
            _EQUALITY_DEPTH -= 1
            if _EQUALITY_DEPTH == 0:
                Configuration.__eq__ = _CONFIGSPACE_EQ  # type: ignore[method-assign]


class _ConfigList(list[Configuration]):
    """A list of configurations of one space whose ``in`` is a set lookup."""

    def __init__(self, configs: list[Configuration]) -> None:
        super().__init__(configs)
        self._vectors = {_key(c) for c in configs}

    def append(self, config: Configuration) -> None:
        super().append(config)
        self._vectors.add(_key(config))

    def __contains__(self, config: object) -> bool:
        return isinstance(config, Configuration) and _key(config) in self._vectors


def _key(config: Configuration) -> bytes:
    """The configuration's vector as bytes, inactive values (NaN) as -1."""
    vector = config.get_array()
    return np.where(np.isnan(vector), -1.0, vector).tobytes()


def _running_configs(runhistory: Any) -> list[Configuration]:
    """``RunHistory.get_running_configs`` in linear time (SMAC's is quadratic)."""
    unique = {_key(t.config): t.config for t in runhistory._running_trials}
    return list(unique.values())


def _best_and_sampled(
    X: np.ndarray, Y: np.ndarray, n_rows: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """At most ``n_rows`` rows: the lowest-cost half and a random sample of the rest."""
    if len(X) <= n_rows:
        return X, Y
    order = np.argsort(Y[:, 0], kind="stable")
    best, rest = order[: n_rows // 2], order[n_rows // 2 :]
    keep = np.concatenate([best, rng.choice(rest, n_rows - len(best), replace=False)])
    return X[keep], Y[keep]


class _WarmStartDesign(SobolInitialDesign):
    """SMAC's initial design for ``HyperparameterOptimizationFacade``, given the
    warm-start configurations, with a ``meta`` that does not call ConfigSpace's
    deprecated ``Configuration.get_dictionary()`` (SMAC 2.4 does)."""

    @property
    def meta(self) -> dict[str, Any]:
        return {
            "name": type(self).__name__,
            "n_configs": self._n_configs,
            "n_configs_per_hyperparameter": self._n_configs_per_hyperparameter,
            "additional_configs": [dict(c) for c in self._additional_configs],
            "seed": self._seed,
        }


#: Observations a budget needs before the surrogate trains on it (SMAC.md §2:
#: with SMAC's default of 1, the model would see only a few top-budget points).
MIN_TRIALS = 8
#: Successive halving keeps the best 1/ETA of each rung.
ETA = 3
#: Observations the surrogate trains on, at most (see ``_KeepingUpConfigSelector``).
MAX_SURROGATE_ROWS = 512
#: The surrogate is retrained after observations / RETRAIN_GROWTH proposals
#: (or after ``n_workers`` of them, if more).
RETRAIN_GROWTH = 50


def _quiet_smac_logger() -> None:
    """SMAC's INFO records are internals; keep WARNING+ unless the user set a level."""
    smac_logger = logging.getLogger("smac")
    if smac_logger.level == logging.NOTSET:
        smac_logger.setLevel(logging.WARNING)
    selector = logging.getLogger("smac.main.config_selector")
    if _expected_warnings not in selector.filters:
        selector.addFilter(_expected_warnings)


#: SMAC warnings that describe our normal operation, dropped: an empty initial
#: design (an optimiser started after others, the halving of the auto policy,
#: is told their results instead), and a batch of proposals topped up with
#: random configurations (with many workers, the acquisition's challengers
#: run out before ``retrain_after`` new ones; SMAC then samples at random).
_EXPECTED_WARNINGS = (
    "No initial configurations were sampled",
    "Did not find enough configurations from the acquisition function",
)


def _expected_warnings(record: logging.LogRecord) -> bool:
    message = record.getMessage()
    return not any(expected in message for expected in _EXPECTED_WARNINGS)


class _HigherStagesFirst(defaultdict):
    """A halving tracker listing its ``(bracket, stage)`` keys highest stage first."""

    def keys(self) -> list[tuple[int, int]]:  # type: ignore[override]
        return sorted(super().keys(), key=lambda key: (-key[1], key[0]))


@contextmanager
def _keys_at_every_budget(runhistory: Any) -> Iterator[None]:
    """``runhistory.get_instance_seed_budget_keys`` counts every budget a
    configuration ran on, not only its highest."""
    every = functools.partial(
        type(runhistory).get_instance_seed_budget_keys,
        runhistory,
        highest_observed_budget_only=False,
    )
    runhistory.get_instance_seed_budget_keys = every
    try:
        yield
    finally:
        del runhistory.get_instance_seed_budget_keys


class _SuccessiveHalving(SuccessiveHalving):
    """SMAC 2.4's successive halving with its promotions mended.

    Measured on a search of 90 trials, two in flight, ``min_budget`` 1/27:
    SMAC's intensifier promoted 8 configurations (and none of 61 trials in
    300 s on a table of 800,000 rows), and with 5 results told before its
    first ask it raised ``ValueError`` at its first promotion. Three causes:

    * each ``ask`` resumes one long generator, which runs every new first-stage
      batch (opened whenever a rung waits for a running trial) before the
      configurations promoted meanwhile: here each ``ask`` takes a fresh pass
      over the tracker, highest stage first;
    * the configurations told before the first ask fill a first-stage batch
      topped up with one new configuration, not up to the batch's size, so
      that batch has fewer configurations than it must promote: here the
      batches are filled, and only configurations with a result on the lowest
      rung (an earlier fit's halving trials) are batched, not those that ran
      on all rows only;
    * a rung is judged complete from each configuration's highest-budget
      results only, so a configuration that also ran on all rows never
      completes its rung: here every budget counts.

    SMAC's set-up from the run history (``__post_init__``, linear in the
    trials) still runs once, as each pass would otherwise repeat it.
    """

    _set_up: bool = False

    def __iter__(self) -> Iterator[TrialInfo]:
        while True:
            if not self._tracker:
                self._batch_known_configs()
            trial = next(super().__iter__(), None)
            if trial is None:  # SMAC found no new configuration
                return
            yield trial

    def __post_init__(self) -> None:
        if not self._set_up:
            super().__post_init__()
            self._set_up = True

    def reset(self) -> None:
        super().reset()
        self._tracker = _HigherStagesFirst(list)
        self._set_up = False

    def _batch_known_configs(self) -> None:
        self.__post_init__()
        lowest = self._budgets_in_stage[0][0]
        known = [
            config
            for config in self.runhistory.get_configs()
            if any(
                key.budget == lowest
                for key in self.runhistory.get_instance_seed_budget_keys(
                    config, highest_observed_budget_only=False
                )
            )
        ]
        size = self._n_configs_in_stage[0][0]
        for start in range(0, max(1, len(known)), size):
            batch = known[start : start + size]
            while len(batch) < size:
                batch.append(next(self.config_generator))
            self._tracker[(0, 0)].append((self._get_next_order_seed(), batch))

    def _get_best_configs(self, *args: Any, **kwargs: Any) -> list[Configuration]:
        with _keys_at_every_budget(self.runhistory):
            return super()._get_best_configs(*args, **kwargs)


class _Hyperband(_SuccessiveHalving, Hyperband):
    """SMAC's Hyperband (brackets of successive halving), mended the same way."""


def _intensifier(scenario: Scenario, fidelity: Fidelity) -> Any:
    if fidelity.schedule == "successive_halving":
        return _SuccessiveHalving(scenario, eta=fidelity.eta)
    if fidelity.schedule == "hyperband":
        return _Hyperband(scenario, eta=fidelity.eta)
    return HyperparameterOptimizationFacade.get_intensifier(
        scenario, max_config_calls=1
    )


def stage_budgets(min_budget: float, max_budget: float = 1.0) -> list[float]:
    """The rungs successive halving uses: ``max_budget * ETA**-k`` down to min."""
    budgets = [max_budget]
    while budgets[-1] / ETA >= min_budget * (1 - 1e-9):
        budgets.append(budgets[-1] / ETA)
    return sorted(budgets)


def config_values(config: Configuration) -> dict[str, Any]:
    """Active hyperparameters as plain Python values (numpy scalars unwrapped)."""
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in config.items()}


def _origin(config: Configuration, warm: dict[Configuration, str]) -> str:
    if config in warm:
        return warm[config]
    text = (config.origin or "").lower()
    return "random" if "random" in text else "smac"


def _facade(
    scenario: Scenario,
    warm: list[Configuration],
    n_workers: int,
    fidelity: Fidelity,
    bounded_proposals: bool,
) -> HyperparameterOptimizationFacade:
    """SMAC's HPO facade with the settings ``SMAC.md`` recommends for our driver."""
    facade = HyperparameterOptimizationFacade
    selector = _KeepingUpConfigSelector if bounded_proposals else _BatchedConfigSelector
    return facade(
        scenario,
        target_function=None,
        overwrite=True,
        logging_level=False,  # never reconfigure the application's logging
        intensifier=_intensifier(scenario, fidelity),
        initial_design=_WarmStartDesign(
            scenario,
            n_configs=0,
            n_configs_per_hyperparameter=10,
            max_ratio=0.25,
            additional_configs=warm,
        ),
        model=_surrogate(scenario),
        acquisition_maximizer=_acquisition_maximizer(scenario),
        config_selector=selector(
            scenario, retrain_after=max(1, n_workers), min_trials=MIN_TRIALS
        ),
    )


def _acquisition_maximizer(scenario: Scenario) -> LocalAndSortedRandomSearch:
    # SMAC.md §5: fewer challengers and local-search steps cut the ask cost by
    # a third at no visible loss in the proposals' quality.
    maximizer = HyperparameterOptimizationFacade.get_acquisition_maximizer(
        scenario, challengers=1000, local_search_iterations=5
    )
    # The maximizer builds its local search itself: swap in the ordered one.
    maximizer._local_search.__class__ = _OrderedLocalSearch
    return maximizer


class _OrderedLocalSearch(LocalSearch):
    """SMAC's local search, started from its start points in a fixed order.

    SMAC 2.4 removes duplicate start points through a ``set``, whose order
    follows the process's string-hash seed (``PYTHONHASHSEED``); the start
    points draw in turn from one random stream, so the same seed gave other
    proposals in another process. Sorting the unique points restores
    reproducibility.
    """

    def _get_init_points_from_previous_configs(
        self,
        previous_configs: list[Configuration],
        n_points: int,
        additional_start_points: list[tuple[float, Configuration]] | None,
    ) -> list[Configuration]:
        points = super()._get_init_points_from_previous_configs(
            previous_configs, n_points, additional_start_points
        )
        return sorted(points, key=lambda c: tuple(np.nan_to_num(c.get_array(), nan=-1)))


def _surrogate(scenario: Scenario) -> RandomForest:
    return RandomForest(
        scenario.configspace,
        log_y=True,
        n_trees=10,
        ratio_features=1.0,
        min_samples_split=2,
        min_samples_leaf=1,
        # SMAC's default of 2**20 makes scikit-learn build every tree
        # best-first into a 2**20-node heap: 80 ms a tree on 200 rows
        # instead of 3 ms. No tree here gets near that many leaves.
        max_leaf_nodes=None,  # type: ignore[arg-type]
        bootstrapping=True,
        seed=scenario.seed,
        n_jobs=1,
    )


class SMACOptimizer:
    """SMAC's random-forest Bayesian optimisation behind ``ask`` / ``tell``
    (an :class:`~automl.search.proposals.Optimizer`).

    Parameters
    ----------
    space : ConfigurationSpace
    seed : int
    n_workers : int
        Trials that run at once; the surrogate is retrained after that many asks.
    initial_configs : list of (origin, dict)
        Configurations evaluated first, in order, each with the label its
        trials get as ``Proposal.origin`` (e.g. ``"portfolio"``).
    output_dir : path or None
        Where SMAC writes its files; a temporary directory when None.
    fidelity : Fidelity, default=full budgets
        With successive halving (eta=3), configurations run on budgets from
        ``fidelity.min_budget`` up to 1.0 and the best third of each rung is
        promoted; Hyperband runs SH brackets that start at each rung in turn
        (the last one at the full budget).
    bounded_proposals : bool, default=True
        Proposals at a cost that does not grow with the observations: a
        surrogate on at most ``MAX_SURROGATE_ROWS`` of them, retrained less
        often as they grow, with running configurations as constant lies,
        and SMAC's bookkeeping comparing configurations by their vectors.
        False: SMAC's own retraining on all observations every ``n_workers``
        proposals (kept for ``benchmarks/scale.py`` to compare).
    """

    def __init__(
        self,
        space: ConfigurationSpace,
        *,
        seed: int,
        n_workers: int = 1,
        initial_configs: list[tuple[str, dict[str, Any]]] | None = None,
        output_dir: Path | None = None,
        fidelity: Fidelity = FULL,
        bounded_proposals: bool = True,
    ) -> None:
        self._tmp = None
        self._asked = False
        if output_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="automl-smac-")
            output_dir = Path(self._tmp.name)
        scenario = Scenario(
            space,
            name="search",
            output_directory=output_dir,
            deterministic=True,
            seed=seed,
            n_trials=100_000,  # ask/tell ignores it, except to size the design
            min_budget=fidelity.min_budget,
            max_budget=None if fidelity.min_budget is None else 1.0,
        )
        self._warm = {
            Configuration(space, values=d): origin
            for origin, d in initial_configs or []
        }
        _quiet_smac_logger()
        self._smac = _facade(
            scenario, list(self._warm), n_workers, fidelity, bounded_proposals
        )
        self._equality = _vector_equality if bounded_proposals else nullcontext
        if bounded_proposals:
            history = self._smac.runhistory
            running = functools.partial(_running_configs, history)
            history.get_running_configs = running  # type: ignore[method-assign]

    def tell_known(
        self,
        config: dict[str, Any],
        *,
        seed: int,
        budget: float | None,
        loss: float,
        status: str,
        seconds: float,
    ) -> None:
        """Report a trial finished before this optimiser existed (e.g. on resume).

        Must be called before the first :meth:`ask`: SMAC's intensifier takes
        its seeds and first-stage configurations from the run history on the
        first ask, so results told later are not used the same way and would be
        run again (SMAC.md §4(b)). ``seed`` and ``budget`` must be the trial's
        own (the exact stage-budget float it was asked with).

        Parameters
        ----------
        config : dict
            Plain configuration values, valid in this optimiser's space.
        seed, budget : int, float or None
            As in the trial's :class:`Proposal`.
        loss : float
            The trial's finite loss.
        status : {"ok", "crashed", "timeout", "memout"}
        seconds : float
            Wall-clock seconds the trial took.
        """
        if self._asked:
            raise RuntimeError(
                "tell_known() must be called before the first ask(); create a "
                "new optimiser to add known results."
            )
        space = self._smac.scenario.configspace
        info = TrialInfo(Configuration(space, values=config), seed=seed, budget=budget)
        value = TrialValue(cost=loss, time=seconds, status=_STATUS[status])
        with self._equality():
            self._smac.tell(info, value, save=False)

    def ask(self) -> Proposal:
        """The next configuration to evaluate."""
        self._asked = True
        with warnings.catch_warnings(), self._equality():
            # SMAC's local search averages an empty list of timings: harmless.
            warnings.simplefilter("ignore", RuntimeWarning)
            info = self._smac.ask()
        origin = _origin(info.config, self._warm)
        return Proposal(
            config_values(info.config), info.seed or 0, info.budget, origin, info
        )

    def tell(
        self, proposal: Proposal, loss: float, status: str, seconds: float
    ) -> None:
        """Report a finished trial; ``loss`` must be finite."""
        value = TrialValue(cost=loss, time=seconds, status=_STATUS[status])
        with self._equality():
            self._smac.tell(proposal.info, value, save=False)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
