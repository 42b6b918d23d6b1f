"""The search: SMAC proposes, our driver runs trials on an executor."""

from automl.search.driver import SearchSettings, TrialRecord, run_search
from automl.search.executors import LokyExecutor, SerialExecutor, available_cores
from automl.search.optimizer import Optimizer

__all__ = [
    "LokyExecutor",
    "Optimizer",
    "SearchSettings",
    "SerialExecutor",
    "TrialRecord",
    "available_cores",
    "run_search",
]
