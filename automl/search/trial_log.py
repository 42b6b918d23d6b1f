"""The trial log of ``output_dir``: what a killed fit needs to continue.

``output_dir`` holds::

    trials.jsonl            header line, then one JSON line per finished trial
    predictions/<id>.npy    validation predictions of full-budget successes
    trials.lock             held (``flock``) while a fit uses the directory

The header names the data (a fingerprint of the typed features, target and
task), the settings that must match for old and new trials to be comparable
(task, metric, splits, seed, budgets, include/exclude) and the configuration
space's hash. Every trial line is one ``write`` followed by ``fsync``; its
predictions file is written first (temporary file, ``fsync``, ``os.replace``),
so a logged trial always has its predictions. A fit killed mid-write leaves at
most a truncated last line, which reading ignores and reopening cuts off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl.search.driver import TrialRecord

if sys.platform != "win32":
    import fcntl

logger = logging.getLogger("automl")

#: Version of the log's format; a log of another version is not read.
FORMAT_VERSION = 1
LOG_NAME = "trials.jsonl"
PREDICTIONS_DIR = "predictions"
LOCK_NAME = "trials.lock"


@dataclass(frozen=True)
class LogHeader:
    """What a trial log was recorded for.

    Parameters
    ----------
    data_fingerprint : str
        :func:`data_fingerprint` of the fit's data.
    settings : dict
        JSON values that must be equal for a fit to continue the log.
    space_hash : str
        :func:`automl.space.space_hash` of the configuration space; when it
        differs (a new library version), stored configurations are repaired.
    version : int
        :data:`FORMAT_VERSION` of the writer.
    """

    data_fingerprint: str
    settings: dict[str, Any]
    space_hash: str
    version: int = FORMAT_VERSION
    info: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "header",
            "version": self.version,
            "data_fingerprint": self.data_fingerprint,
            "settings": self.settings,
            "space_hash": self.space_hash,
            "info": self.info,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> LogHeader:
        return cls(
            data_fingerprint=str(obj["data_fingerprint"]),
            settings=dict(obj["settings"]),
            space_hash=str(obj["space_hash"]),
            version=int(obj["version"]),
            info=dict(obj.get("info") or {}),
        )


def data_fingerprint(X: pd.DataFrame, y: np.ndarray, task: str) -> str:
    """A hash of the features (values, column names and dtypes), target and task.

    Parameters
    ----------
    X : DataFrame
    y : ndarray
    task : str

    Returns
    -------
    str
        Hex SHA-256 digest; equal data gives equal fingerprints in any process.
    """
    digest = hashlib.sha256(f"{task}|{X.shape}".encode())
    for name in X.columns:
        column = X[name]
        digest.update(f"|{name}|{column.dtype}|".encode())
        try:
            hashed = pd.util.hash_pandas_object(column, index=False)
        except TypeError:  # unhashable objects: hash their text
            hashed = pd.util.hash_pandas_object(column.astype(str), index=False)
        digest.update(np.ascontiguousarray(hashed.to_numpy()).tobytes())
    target = np.asarray(y)
    digest.update(f"|y|{target.dtype}|".encode())
    digest.update(np.ascontiguousarray(target).tobytes())
    return digest.hexdigest()


def splits_fingerprint(splits: Sequence[tuple[np.ndarray, np.ndarray]]) -> str:
    """A hash of train/validation index pairs (losses on other splits differ)."""
    digest = hashlib.sha256()
    for train, valid in splits:
        for part in (train, valid):
            digest.update(np.ascontiguousarray(part, dtype=np.int64).tobytes())
            digest.update(b"|")
    return digest.hexdigest()


def read_trial_log(
    directory: str | os.PathLike[str],
) -> tuple[LogHeader, list[dict[str, Any]]]:
    """The header and the complete trial lines of the log in ``directory``.

    Parameters
    ----------
    directory : str or Path
        An ``output_dir`` a fit wrote to.

    Returns
    -------
    header : LogHeader
    trials : list of dict
        One dict per logged trial, in the order they finished (``trial_id``,
        ``config``, ``seed``, ``budget``, ``loss``, ``status``, ``duration``,
        ``fit_time``, ``finished_at``, ``error``, ``origin``, ``predictions``).
    """
    header, trials, _ = _read(Path(directory) / LOG_NAME)
    return header, trials


class TrialLog:
    """The append-only trial log of one fit in ``directory``.

    Opening it takes the directory's lock, checks an existing log against
    ``header`` (``ValueError`` naming what differs), cuts off a line left
    half-written by a killed fit, or creates the log. :attr:`trials` holds
    the trials found.

    Parameters
    ----------
    directory : str or Path
    header : LogHeader
        What this fit is; a new log is started with it.
    """

    def __init__(self, directory: str | os.PathLike[str], header: LogHeader) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.header = header
        self._lock_fd = _lock(self.directory)
        self._failed = False
        try:
            self.trials, self.space_changed = self._open()
        except BaseException:
            self.close()
            raise

    @property
    def path(self) -> Path:
        return self.directory / LOG_NAME

    def _open(self) -> tuple[list[dict[str, Any]], bool]:
        if not self.path.exists():
            _write_atomically(self.path, _line(self.header.to_json()))
            _clean_predictions(self.directory, keep=set())
            return [], False
        found, trials, valid_bytes = _read(self.path)
        _check_header(found, self.header, self.directory)
        if self.path.stat().st_size > valid_bytes:
            logger.info("trial log: ignoring a line cut off when the fit was killed")
            os.truncate(self.path, valid_bytes)
        keep = {int(t["trial_id"]) for t in trials if t.get("predictions")}
        _clean_predictions(self.directory, keep)
        return trials, found.space_hash != self.header.space_hash

    def append(self, record: TrialRecord, predictions: np.ndarray | None) -> None:
        """Log a finished trial (and its predictions, written first).

        A write that fails (e.g. a full disk) warns once and stops the logging;
        the fit itself goes on.
        """
        if self._failed:
            return
        try:
            if predictions is not None:
                target = self.predictions_path(record.trial_id)
                _write_array_atomically(target, np.asarray(predictions))
            with open(self.path, "ab") as file:
                file.write(_line(_trial_json(record, predictions is not None)))
                file.flush()
                os.fsync(file.fileno())
        except OSError as exc:
            self._failed = True
            warnings.warn(
                f"Writing the trial log in {self.directory} failed ({exc}); later "
                "trials are not logged and would be run again on resume.",
                RuntimeWarning,
                stacklevel=2,
            )

    def predictions_path(self, trial_id: int) -> Path:
        return self.directory / PREDICTIONS_DIR / f"{int(trial_id)}.npy"

    def load_predictions(self, trial_id: int) -> np.ndarray:
        """The stored validation predictions of a logged trial."""
        array: np.ndarray = np.load(self.predictions_path(trial_id))
        return array

    def resumed_records(self, start: float) -> list[TrialRecord]:
        """The logged trials as records of a fit that started at ``start``.

        ``started`` is relative to ``start``, hence negative (they finished
        before this fit began); ``resumed`` is True.
        """
        return [
            TrialRecord(
                trial_id=int(t["trial_id"]),
                config=dict(t["config"]),
                seed=int(t["seed"]),
                budget=None if t["budget"] is None else float(t["budget"]),
                origin=str(t["origin"]),
                loss=float(t["loss"]),
                status=str(t["status"]),
                started=float(t["finished_at"]) - float(t["duration"]) - start,
                duration=float(t["duration"]),
                error=t.get("error"),
                resumed=True,
            )
            for t in self.trials
        ]

    def close(self) -> None:
        """Release the directory's lock (idempotent)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor drops the flock
            self._lock_fd = None

    def __enter__(self) -> TrialLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _lock(directory: Path) -> int | None:
    """Take the directory's lock, or raise if another fit holds it."""
    fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    if sys.platform == "win32":
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ValueError(
            f"Another fit is using output_dir={str(directory)!r} (its lock "
            f"{LOCK_NAME} is held). Wait for it to finish (or for the worker "
            "processes of a killed fit to exit), or pass another output_dir."
        ) from None
    return fd


def _line(obj: dict[str, Any]) -> bytes:
    return (json.dumps(obj, sort_keys=True, default=_plain) + "\n").encode()


def _plain(value: Any) -> Any:
    """numpy scalars as Python values; anything else as its text."""
    return value.item() if hasattr(value, "item") else str(value)


def _trial_json(record: TrialRecord, has_predictions: bool) -> dict[str, Any]:
    return {
        "kind": "trial",
        "trial_id": record.trial_id,
        "config": record.config,
        "seed": record.seed,
        "budget": record.budget,
        "loss": record.loss,
        "status": record.status,
        "duration": record.duration,
        "fit_time": getattr(record.outcome, "fit_time", None),
        "finished_at": time.time(),
        "error": record.error,
        "origin": record.origin,
        "predictions": has_predictions,
    }


def _read(path: Path) -> tuple[LogHeader, list[dict[str, Any]], int]:
    """Header, complete trial lines, and the byte length of the valid prefix."""
    data = path.read_bytes()
    lines = data.split(b"\n")
    complete = lines[:-1]  # the last element lacks its newline: cut off
    header = _parse_header(complete[0] if complete else lines[-1], path)
    if not complete:
        return header, [], len(data)
    trials: list[dict[str, Any]] = []
    valid_bytes = len(complete[0]) + 1
    for number, raw in enumerate(complete[1:], start=2):
        trial = _parse_trial(raw)
        if trial is None:
            if number == len(complete):  # the last line: cut off when killed
                break
            warnings.warn(
                f"Line {number} of {path} is not a trial record; skipped.",
                RuntimeWarning,
                stacklevel=3,
            )
        else:
            trials.append(trial)
        valid_bytes += len(raw) + 1
    return header, trials, valid_bytes


def _parse_header(raw: bytes, path: Path) -> LogHeader:
    try:
        obj = json.loads(raw)
        if obj.get("kind") != "header":
            raise ValueError("the first line is not a header")
        if obj.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"format version {obj.get('version')}, this library reads "
                f"version {FORMAT_VERSION}"
            )
        return LogHeader.from_json(obj)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(
            f"{path} is not a trial log this library can continue ({exc}). "
            "Pass a new output_dir, or delete the old one to start afresh."
        ) from None


def _parse_trial(raw: bytes) -> dict[str, Any] | None:
    try:
        obj = json.loads(raw)
    except ValueError:
        return None
    required = ("trial_id", "config", "seed", "budget", "loss", "status")
    if not isinstance(obj, dict) or obj.get("kind") != "trial":
        return None
    if any(key not in obj for key in required):
        return None
    return obj


def _check_header(found: LogHeader, expected: LogHeader, directory: Path) -> None:
    """Raise ``ValueError`` if the log was written for other data or settings."""
    if found.data_fingerprint != expected.data_fingerprint:
        raise ValueError(
            f"output_dir={str(directory)!r} holds the trial log of a fit on "
            "different data (X, y or the task differ), so its trials cannot be "
            "continued. Pass a new output_dir for this data, or delete the old "
            "one to start afresh."
        )
    differences = [
        f"{key}={found.settings.get(key)!r} in the log, "
        f"{expected.settings.get(key)!r} now"
        for key in sorted(set(found.settings) | set(expected.settings))
        if found.settings.get(key) != expected.settings.get(key)
    ]
    if differences:
        raise ValueError(
            f"output_dir={str(directory)!r} holds the trial log of a fit with "
            f"incompatible settings: {'; '.join(differences)}. Use the same "
            "settings to continue it, or pass a new output_dir."
        )


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    _fsync_directory(path.parent)


def _write_array_atomically(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as file:
        np.save(file, array, allow_pickle=False)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def _fsync_directory(directory: Path) -> None:
    if sys.platform == "win32":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _clean_predictions(directory: Path, keep: set[int]) -> None:
    """Remove prediction files no logged trial owns (written just before a kill)."""
    folder = directory / PREDICTIONS_DIR
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        owned = path.suffix == ".npy" and path.stem.isdigit() and int(path.stem) in keep
        if not owned:
            with contextlib.suppress(OSError):
                path.unlink()
