"""What the user sees while ``fit`` runs: a progress bar, trial lines and log records.

:class:`SearchProgress` is the driver's ``on_trial`` callback. Whatever
``verbose`` is, every trial is also logged under the ``automl`` logger (INFO),
so that applications route it with :mod:`logging` like any other library's
messages. :func:`enable_logging` is a one-line way to see those records.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, TextIO

from automl.metrics import Metric
from automl.search import TrialRecord, is_full_budget_success

logger = logging.getLogger(__name__)

#: Seconds between refreshes of the bar while no trial finishes.
REFRESH_SECONDS = 1.0
#: How statuses read in the bar and the summary.
STATUS_WORDS = {
    "crashed": "failed",
    "timeout": "timed out",
    "memout": "out of memory",
}
_HANDLER_MARK = "_automl_handler"


def enable_logging(
    level: int | str = logging.INFO, stream: TextIO | None = None
) -> logging.Handler:
    """Print the ``automl`` logger's records (one handler; calling again replaces it).

    Libraries should not configure logging for the application; this helper
    is for scripts and notebooks that simply want to see what happens.
    ``logging.basicConfig(level="INFO")`` works as well.

    Parameters
    ----------
    level : int or str, default=logging.INFO
        Lowest level shown: ``"DEBUG"`` adds each trial's configuration.
    stream : file-like or None, default=None
        Where to write; None means ``sys.stderr``.

    Returns
    -------
    logging.Handler
        The handler attached to the ``automl`` logger (remove it to stop).

    Examples
    --------
    >>> import io
    >>> from automl.reporting import enable_logging
    >>> out = io.StringIO()
    >>> handler = enable_logging("INFO", stream=out)
    >>> logging.getLogger("automl").info("hello")
    >>> out.getvalue()
    'automl: hello\\n'
    >>> logging.getLogger("automl").removeHandler(handler)
    """
    root = logging.getLogger("automl")
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("automl: %(message)s"))
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


class SearchProgress:
    """Progress bar, trial lines and log records of one search.

    Call it with every finished :class:`~automl.search.TrialRecord` (it is an
    ``on_trial`` callback), and :meth:`close` it when the search ends.

    Parameters
    ----------
    verbose : int
        0 shows nothing, 1 a progress bar (time left, trials done and failed,
        best score so far), 2 the bar and one line per trial.
    metric : Metric
        Turns losses into scores in the user's metric.
    start : float
        ``time.time()`` when ``fit`` started.
    time_limit : float or None
        Seconds the fit may take; the bar counts seconds when it is set and
        trials (up to ``max_trials``) otherwise.
    max_trials : int or None
        Trial cap, shown when there is no time limit.
    name : str, default="automl"
        Label in front of the bar.
    file : file-like or None, default=None
        Where the bar and lines go; None means ``sys.stderr``.

    Examples
    --------
    >>> import io, time
    >>> from automl.metrics import get_metric
    >>> from automl.search import TrialRecord, is_full_budget_success
    >>> out = io.StringIO()
    >>> progress = SearchProgress(2, get_metric("accuracy", "binary"),
    ...                           start=time.time(), time_limit=10,
    ...                           max_trials=None, file=out)
    >>> progress(TrialRecord(0, {"model": "linear"}, 0, None, "default", 0.1,
    ...                      "ok", 0.0, 0.5))
    >>> progress.close()
    >>> "trial   0 linear" in out.getvalue() and "accuracy=0.9" in out.getvalue()
    True
    """

    def __init__(
        self,
        verbose: int,
        metric: Metric,
        *,
        start: float,
        time_limit: float | None,
        max_trials: int | None,
        name: str = "automl",
        file: TextIO | None = None,
    ) -> None:
        self.verbose = verbose
        self.metric = metric
        self.start = start
        self.time_limit = time_limit
        self.max_trials = max_trials
        self.counts: Counter[str] = Counter()
        self.best_loss = float("inf")
        self.best_model: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._file = file if file is not None else sys.stderr
        self._bar = _make_bar(self._total(), name, file) if verbose >= 1 else None
        self._ticker = self._start_ticker() if self._bar is not None else None
        logger.info(
            "search started: time_limit=%s, max_trials=%s, metric=%s",
            "none" if time_limit is None else f"{time_limit:g} s",
            max_trials,
            metric.name,
        )

    def __call__(self, record: TrialRecord) -> None:
        """Count one finished trial, log it and update the display."""
        with self._lock:  # the ticker thread reads the counts
            self.counts[record.status] += 1
            if (
                is_full_budget_success(record.status, record.budget)
                and record.loss < self.best_loss
            ):
                self.best_loss = record.loss
                self.best_model = record.config.get("model")
            line = self._trial_line(record)
            logger.info("%s", line)
            logger.debug("trial %d configuration: %s", record.trial_id, record.config)
            if self._bar is None:
                return
            if self.verbose >= 2:
                self._bar.write(line, file=self._file)
            self._refresh()

    def chain(
        self, *callbacks: Callable[[TrialRecord], None]
    ) -> Callable[[TrialRecord], None]:
        """One ``on_trial`` callback that calls ``callbacks`` and then this one.

        Parameters
        ----------
        *callbacks : callable
            Other ``on_trial`` callbacks, called first in the given order.

        Returns
        -------
        callable
        """

        def on_trial(record: TrialRecord) -> None:
            for callback in callbacks:
                callback(record)
            self(record)

        return on_trial

    def close(self) -> None:
        """Stop the display and log the outcome of the search (idempotent)."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2 * REFRESH_SECONDS)
        logger.info("search finished: %s", self.status_text())
        if self._bar is None:
            return
        with self._lock:
            self._bar.n = self._bar.total if self._bar.total else self._bar.n
            self._bar.set_postfix_str(self.status_text(), refresh=False)
            self._bar.close()

    # -- text --------------------------------------------------------------------

    def status_text(self) -> str:
        """Trials done and failed, and the best score so far, in one line."""
        n_trials = sum(self.counts.values())
        failures = [
            f"{self.counts[status]} {word}"
            for status, word in STATUS_WORDS.items()
            if self.counts[status]
        ]
        text = f"{n_trials} trial{'s' if n_trials != 1 else ''}"
        if failures:
            text += f" ({', '.join(failures)})"
        if self.best_model is not None:
            score = self.metric.loss_to_score(self.best_loss)
            text += f", best {self.metric.name}={score:.4g} ({self.best_model})"
        return text

    def _trial_line(self, record: TrialRecord) -> str:
        model = record.config.get("model", "?")
        head = f"trial {record.trial_id:>3} {model:<13} {record.status:<8}"
        if record.status != "ok":
            reason = (record.error or "").strip().splitlines()
            return f"{head} {reason[0] if reason else ''}".rstrip()
        score = self.metric.loss_to_score(record.loss)
        budget = record.budget if record.budget is not None else 1.0
        text = f"{head} {self.metric.name}={score:.4g} in {record.duration:.1f} s"
        return text if budget >= 1 else f"{text} on {budget:.0%} of the rows"

    # -- bar ---------------------------------------------------------------------

    def _total(self) -> float | None:
        if self.time_limit is not None:
            return float(self.time_limit)
        return None if self.max_trials is None else float(self.max_trials)

    def _refresh(self) -> None:
        """Move the bar to the time used (or trials done) and redraw it."""
        assert self._bar is not None
        elapsed = time.time() - self.start
        if self.time_limit is not None:
            self._bar.n = round(min(elapsed, self.time_limit), 1)
            left = max(0.0, self.time_limit - elapsed)
            text = f"{left:.0f} s left, {self.status_text()}"
        else:
            self._bar.n = sum(self.counts.values())
            text = self.status_text()
        self._bar.set_postfix_str(text, refresh=False)
        self._bar.refresh()

    def _start_ticker(self) -> threading.Thread:
        """Redraw every second, so that the time left moves during long trials."""

        def tick() -> None:
            while not self._stop.wait(REFRESH_SECONDS):
                with self._lock:
                    self._refresh()

        thread = threading.Thread(target=tick, name="automl-progress", daemon=True)
        thread.start()
        return thread


def _make_bar(total: float | None, name: str, file: TextIO | None) -> Any:
    """A tqdm bar: the notebook widget inside Jupyter (with ipywidgets), else text."""
    bar_class = _without_monitor(_tqdm_class() if file is None else _text_tqdm())
    return bar_class(
        total=total,
        desc=name,
        file=file,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}{postfix}"
        if total
        else "{desc}: {elapsed}{postfix}",
        leave=True,
        dynamic_ncols=True,
        mininterval=0.2,
    )


def _without_monitor(bar_class: Any) -> Any:
    """The tqdm class without its monitor thread, which never stops once started.

    The ticker redraws the bar every second already; tqdm's monitor would be
    left running after ``fit``.
    """
    return type(bar_class.__name__, (bar_class,), {"monitor_interval": 0})


def _text_tqdm() -> Any:
    from tqdm.std import tqdm

    return tqdm


def _tqdm_class() -> Any:
    """``tqdm.notebook.tqdm`` in a Jupyter kernel with ipywidgets, else ``tqdm.std``.

    Unlike ``tqdm.auto`` this never warns when ipywidgets is missing: the text
    bar works in notebooks too.
    """
    in_kernel = "ipykernel.zmqshell" in sys.modules
    in_qt = any(key == "QT_API" or key.startswith("SPYDER") for key in os.environ)
    if in_kernel and not in_qt:
        try:
            from tqdm.notebook import IProgress, tqdm

            if IProgress is not None:
                return tqdm
        except ImportError:
            pass
    return _text_tqdm()
