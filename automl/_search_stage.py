"""The search stage of a run: its workers, trial log, optimiser, and the
trials it keeps for the final model.

A :class:`SearchStage` is made complete (the trial log opened or started, the
temporary folder, the workers and the data they share), with every resource
registered on the run's cleanup stack, so that nothing outlives the run.
What it uses of the world (workers, optimiser, knowledge base, clock) comes
from the run's :class:`~automl.run.Runtime`.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from automl import _resume
from automl.costs import CostModel
from automl.ensemble import Candidate, CandidatePool
from automl.evaluation import TrialData, TrialResult, TrialSettings, evaluate, refit
from automl.limits import KILL_GRACE_SECONDS
from automl.metalearning.warm_start import (
    initial_design,
    with_large_table_configs,
    with_text_variants,
)
from automl.metrics import crash_loss
from automl.plan import FitPlan
from automl.reporting import SearchProgress
from automl.search import (
    Executor,
    Optimizer,
    SearchSettings,
    TrialRecord,
    is_full_budget_success,
    run_search,
)
from automl.search.fidelity import FULL, Fidelity, HalvingWhenDear
from automl.search.trial_log import TrialLog
from automl.space.memory import bytes_per_value, estimate_memory_mb
from automl.space.registry import PLUGIN_MODULES

if TYPE_CHECKING:
    from automl.run import RunOptions, Runtime

logger = logging.getLogger("automl")


class SearchStage:
    """The search of one run (see the module docstring).

    Parameters
    ----------
    plan : FitPlan
    data : TrialData
    options : RunOptions
    runtime : Runtime
    space : ConfigurationSpace
    costs : CostModel
        The run's one cost model (the search's reserve asks it).
    fallback_loss : float
        The constant baseline's validation loss (a crashed trial's is past it).
    cleanup : ExitStack
        Where every resource's release is registered.
    """

    def __init__(
        self,
        plan: FitPlan,
        data: TrialData,
        options: RunOptions,
        runtime: Runtime,
        space: Any,
        costs: CostModel,
        fallback_loss: float,
        cleanup: ExitStack,
    ) -> None:
        self.plan, self.data, self.options, self.runtime = plan, data, options, runtime
        self.space, self.costs = space, costs
        self.deadline = options.deadline
        self.notes: list[str] = []
        self.initial_design: list[tuple[str, dict[str, Any]]] = []
        self.trial_log = self._open_trial_log()
        if self.trial_log is not None:
            cleanup.callback(self.trial_log.close)
        self.workdir = Path(tempfile.mkdtemp(prefix="automl-"))
        cleanup.callback(shutil.rmtree, self.workdir, ignore_errors=True)
        self.executor: Executor = runtime.make_executor(plan, options)
        cleanup.callback(self.executor.close)
        # Trials on a share of the rows join the pool too (see joins_pool).
        self.partial_trials_join = plan.large_table
        self.settings = TrialSettings(
            metric=plan.metric,
            crash_loss=crash_loss(plan.metric, fallback_loss),
            n_threads=plan.threads_per_trial,
            memory_limit_mb=plan.per_trial_memory_mb,
            memory_reserved_mb=plan.policy.worker_base_mb + plan.memory.data_mb,
            plugins=tuple(PLUGIN_MODULES),
            models_dir=self._models_dir(),
            budget_unit=self.fidelity.unit,
            row_caps=dict(plan.memory.row_caps),
            predict_share=plan.policy.predict_share,
            partial_models=self.partial_trials_join,
        )
        self.pool = CandidatePool(
            directory=self.workdir / "predictions",
            max_candidates=plan.policy.max_candidates,
        )
        self.data_ref = self.executor.share(data, self.workdir)

    def _models_dir(self) -> str | None:
        """Where trials keep their fold models for the ensemble: in the
        temporary folder, when the workers share this machine's disk. Kept
        k-fold bags are the members; a holdout trial's model is the member
        when its refit on all rows is not affordable. With ``refit_full``
        and k-fold splits the members are always refits: nothing is kept."""
        refits_only = self.plan.reserve.refit_full and len(self.data.splits) > 1
        if self.options.dask_cluster is not None or refits_only:
            return None
        directory = self.workdir / "models"
        directory.mkdir()
        return str(directory)

    @property
    def fidelity(self) -> Fidelity:
        return self.plan.fidelity(len(self.data.splits[0][0]))

    def _open_trial_log(self) -> TrialLog | None:
        """The trial log of ``output_dir`` (None without one); see ``_resume``."""
        if self.options.output_dir is None:
            return None
        settings = {
            "task": self.data.task,
            "metric": self.plan.metric.name,
            "resampling": self.plan.resampling,
            "cv_repeats": self.plan.cv_repeats,
            "seed": self.plan.seed,
            "fidelity": [
                self.fidelity.schedule,
                self.fidelity.min_budget,
                self.fidelity.unit,
            ],
            "include": self.plan.include,
            "exclude": self.plan.exclude,
        }
        if self.plan.metric.quantile_levels:  # other levels are another problem
            settings["quantile_levels"] = list(self.plan.metric.quantile_levels)
        return _resume.open_trial_log(
            self.options.output_dir,
            self.data,
            self.space,
            settings,
            self.plan.policy.as_dict(),
        )

    # -- search -------------------------------------------------------------------

    def search(self) -> list[TrialRecord]:
        prior: list[TrialRecord] = []
        if self.trial_log is not None:  # resume: logged trials are told, not re-run
            prior = _resume.resumed_trials(
                self.trial_log, self.space, self.deadline.start
            )
            _resume.offer_resumed(self.pool, self.trial_log, prior)
        self.initial_design = self._initial_design()
        optimizer = self._optimizer()
        progress = SearchProgress(
            self.options.verbose,
            self.plan.metric,
            start=self.deadline.start,
            time_limit=self.deadline.limit,
            max_trials=self.options.max_trials,
            name=self.options.name,
        )
        try:
            return run_search(
                optimizer,
                self.executor,
                evaluate,
                {"data": self.data_ref, "settings": self.settings},
                self._search_settings(),
                on_trial=progress.chain(self._keep_for_ensemble),
                prior=prior,
            )
        finally:
            progress.close()
            optimizer.close()

    def _optimizer(self) -> Optimizer:
        fidelity = self.fidelity

        def make(fidelity: Fidelity, design: list[Any]) -> Optimizer:
            n_workers, seed = self.executor.n_workers, self.plan.seed
            return self.runtime.make_optimizer(
                self.space, design, n_workers, self.workdir, fidelity, seed
            )

        if fidelity.schedule != "auto":
            return make(fidelity, self.initial_design)
        halving = Fidelity("successive_halving", fidelity.min_budget)

        def make_halving(told: list[dict[str, Any]]) -> Optimizer:
            # Halving is told what ran; of the design, it starts what did not.
            ran = [t["config"] for t in told]
            rest = [(o, c) for o, c in self.initial_design if c not in ran]
            return make(halving, rest)

        return HalvingWhenDear(
            make(FULL, self.initial_design),
            make_halving,
            self.deadline.remaining,
            self.executor.n_workers,
            policy=self.plan.policy,
            large_table=self.plan.large_table,
        )

    def _initial_design(self) -> list[tuple[str, dict[str, Any]]]:
        """Portfolio and nearest-task configurations (or family defaults)."""
        data, policy = self.data, self.plan.policy
        seeds = initial_design(
            self.space,
            self.runtime.load_knowledge(self.options.meta_learning),
            data.X,
            data.y,
            data.task,
            data.columns,
            time_limit=self.deadline.limit,
            n_cores=self.plan.n_cores,
            policy=policy,
        )
        seeds = with_large_table_configs(seeds, self.space, len(data.y), policy)
        return with_text_variants(seeds, self.space)

    def _search_settings(self) -> SearchSettings:
        return SearchSettings(
            deadline=self.deadline,
            max_trials=self.options.max_trials,
            per_trial_limit=self.plan.per_trial_time_limit,
            crash_loss=self.settings.crash_loss,
            reserve=self.reserve,
        )

    def reserve(self) -> float:
        """Seconds the search keeps free for the final model (see ReservePolicy)."""
        return self.plan.reserve.seconds(self.pool.candidates, self.costs)

    def _keep_for_ensemble(self, record: TrialRecord) -> None:
        joins = joins_pool(record, self.partial_trials_join)
        if self.trial_log is not None:
            predictions = getattr(record.outcome, "predictions", None)
            self.trial_log.append(record, predictions if joins else None)
        if joins:
            self.pool.add_record(record)
        if isinstance(record.outcome, TrialResult):
            record.outcome.predictions = None  # the pool holds what it keeps

    # -- what the final model gets --------------------------------------------------

    def refit(self, record: TrialRecord) -> Any:
        """The trial's configuration fitted on all rows in a worker, within the
        fit's deadline (the rows the time affords: ``CostModel.refit_budget``);
        None if it failed or ran out of time."""
        deadline, policy = self.deadline, self.plan.policy
        if deadline.remaining() < policy.margin_seconds:
            return None
        end = None if deadline.at is None else deadline.at - policy.margin_seconds
        future = self.executor.submit(
            refit,
            config=record.config,
            data=self.data_ref,
            settings=self.settings,
            seed=record.seed,
            deadline=end,
            budget=self.costs.refit_budget(
                record.budget,
                getattr(record.outcome, "fit_time", None),
                deadline.remaining(),
            ),
        )
        timeout = (
            None
            if end is None
            else max(0.1, end - deadline.clock()) + KILL_GRACE_SECONDS
        )
        try:
            model = future.result(timeout=timeout)
        except Exception as exc:
            logger.warning("Refitting trial %d failed: %s", record.trial_id, exc)
            if not future.done():
                self.executor.kill(future)
            return None
        return model


def candidates_that_fit(
    candidates: list[Candidate],
    data: TrialData,
    working_mb: float,
    row_caps: dict[str, float],
) -> tuple[list[Candidate], str | None]:
    """The ensemble's candidates whose refit on all rows (or on their family's
    ``row_caps``) fits in ``working_mb`` (the memory plan's), and a note on
    those left out (None if none was)."""
    n_bytes = bytes_per_value(data.X)

    def refit_mb(config: dict[str, Any]) -> float:
        cap = row_caps.get(str(config.get("model")), 1.0)
        return estimate_memory_mb(
            config,
            data.properties,
            int(len(data.y) * cap),
            bytes_per_value=n_bytes,
            row_copy=len(data.splits) > 1 or cap < 1,  # bags and samples copy
        )

    kept = [c for c in candidates if refit_mb(c.config) <= working_mb]
    if len(kept) == len(candidates):
        return kept, None
    note = (
        f"{len(candidates) - len(kept)} of {len(candidates)} ensemble "
        f"candidates left out: their refit on all rows would need more "
        f"than {working_mb:,.0f} MiB"
    )
    logger.info("Memory plan: %s", note)
    return kept, note


def joins_pool(record: TrialRecord, partial_trials_join: bool) -> bool:
    """Whether a finished trial is offered to the ensemble: a success on all
    rows, or, with ``partial_trials_join`` (tables of
    ``Policy.large_table_rows`` rows or more), on any share of them.

    There the trials on all rows run out of time first: on 4M rows at 300 s a
    CatBoost on 3.7 % of the rows scored 0.099 (1 - AUC) on the holdout, the
    best trial on all rows 0.134, and the final model was that one (0.872
    test AUC; 0.898 with partial trials in the pool). A partial trial's
    validation predictions are as honest as any: the validation rows are the
    same.
    """
    if is_full_budget_success(record.status, record.budget):
        return True
    return partial_trials_join and record.status == "ok"
