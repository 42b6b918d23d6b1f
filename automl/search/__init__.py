"""The search: SMAC proposes, our driver runs trials on an executor."""

from automl.search.driver import SearchSettings, TrialRecord, run_search
from automl.search.executors import (
    DaskExecutor,
    Executor,
    ProcessExecutor,
    SerialExecutor,
    available_cores,
    joblib_dask_client,
    reuse_workers,
    shutdown_idle_workers,
)
from automl.search.optimizer import Optimizer

__all__ = [
    "DaskExecutor",
    "Executor",
    "Optimizer",
    "ProcessExecutor",
    "SearchSettings",
    "SerialExecutor",
    "TrialRecord",
    "available_cores",
    "joblib_dask_client",
    "reuse_workers",
    "run_search",
    "shutdown_idle_workers",
]
