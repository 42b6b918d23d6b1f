"""The search: SMAC proposes, our driver runs trials on an executor."""

from automl.search.driver import (
    SearchSettings,
    TrialRecord,
    is_full_budget_success,
    run_search,
)
from automl.search.executors import (
    DaskExecutor,
    Executor,
    ProcessExecutor,
    SerialExecutor,
    available_cores,
    dask_trial_memory_mb,
    joblib_dask_client,
    reuse_workers,
    shutdown_idle_workers,
)
from automl.search.optimizer import SMACOptimizer
from automl.search.proposals import Optimizer, Proposal

__all__ = [
    "DaskExecutor",
    "Executor",
    "Optimizer",
    "ProcessExecutor",
    "Proposal",
    "SMACOptimizer",
    "SearchSettings",
    "SerialExecutor",
    "TrialRecord",
    "available_cores",
    "dask_trial_memory_mb",
    "is_full_budget_success",
    "joblib_dask_client",
    "reuse_workers",
    "run_search",
    "shutdown_idle_workers",
]
