"""The ``automl`` command: from a CSV to a model, a submission and a leaderboard.

::

    automl fit train.csv --target Survived --time-limit 300
    automl predict model.automl test.csv --out submission.csv
    automl leaderboard model.automl

Tables are CSV (optionally compressed, e.g. ``.csv.gz``), TSV or Parquet.
Mistakes in the input (a missing file or column, an empty table, ...) print a
one-line error and exit with status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

import automl
from automl.exceptions import ModelFileError

#: Exit status for mistakes in the command line or its input files.
USAGE_ERROR = 2
#: A numeric target with at most this many distinct integer values is a class label.
MAX_CLASSES_FOR_AUTO = 20
_PARQUET = (".parquet", ".pq")
_COLUMNS_SHOWN = ["rank", "model", "score", "status", "fit_time", "budget", "origin"]


class CliError(Exception):
    """A mistake the user can fix; printed as one line, exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``automl`` command line.

    Parameters
    ----------
    argv : sequence of str or None, default=None
        Arguments without the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status: 0 on success, 2 for a mistake in the arguments or input.

    Examples
    --------
    >>> from automl.cli import main
    >>> main(["fit", "train.csv", "--target", "label"])  # doctest: +SKIP
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or argparse's own usage errors
        return exc.code if isinstance(exc.code, int) else USAGE_ERROR
    with _short_warnings():
        try:
            return int(args.run(args))
        except (CliError, ModelFileError, OSError, ValueError, ImportError) as exc:
            if args.traceback:
                raise
            print(f"automl {args.command}: error: {_first_line(exc)}", file=sys.stderr)
            return USAGE_ERROR


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``automl`` (its subcommands: fit, predict, leaderboard).

    Returns
    -------
    argparse.ArgumentParser

    Examples
    --------
    >>> build_parser().parse_args(["leaderboard", "model.automl"]).command
    'leaderboard'
    """
    parser = argparse.ArgumentParser(
        prog="automl",
        description="AutoML for tables: fit a model on a CSV or Parquet file, "
        "predict, and inspect the leaderboard.",
    )
    parser.add_argument(
        "--version", action="version", version=f"automl {automl.__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_fit(commands)
    _add_predict(commands)
    _add_leaderboard(commands)
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--traceback",
        action="store_true",
        help="show the full traceback instead of a one-line error",
    )


def _add_fit(commands: Any) -> None:
    fit = commands.add_parser(
        "fit",
        help="search models on a table and save the best",
        description="Search preprocessing, model families and hyperparameters on "
        "a table, then save the fitted model.",
    )
    fit.add_argument("train", help="training table (.csv, .csv.gz, .tsv, .parquet)")
    fit.add_argument("--target", "-t", required=True, help="column to predict")
    fit.add_argument(
        "--task",
        choices=["auto", "binary", "multiclass", "regression"],
        default="auto",
        help="auto: classification for text, boolean or few integer values, "
        "regression otherwise (default: auto)",
    )
    fit.add_argument(
        "--metric",
        help="e.g. roc_auc, log_loss, accuracy, f1_macro, rmse, mae, r2 "
        "(default: roc_auc / log_loss / rmse by task)",
    )
    fit.add_argument(
        "--out", "-o", default="model.automl", help="model file (default: %(default)s)"
    )
    _column_options(fit)
    _search_options(fit)
    fit.add_argument(
        "--format",
        choices=["pickle", "skops"],
        default="pickle",
        help="model file format; skops files are safe to share (default: pickle)",
    )
    _verbosity(fit)
    _common(fit)
    fit.set_defaults(run=_fit)


def _column_options(fit: argparse.ArgumentParser) -> None:
    """Columns of the table that are not features."""
    fit.add_argument(
        "--id-column", help="identifier column: not a feature, written by predict"
    )
    fit.add_argument(
        "--drop",
        action="append",
        default=[],
        metavar="COLUMN",
        help="column to leave out of the features (repeatable)",
    )


def _search_options(fit: argparse.ArgumentParser) -> None:
    """How long and how wide ``fit`` searches."""
    fit.add_argument(
        "--time-limit", type=float, default=300.0, help="seconds (default: 300)"
    )
    fit.add_argument("--max-trials", type=int, help="stop after this many trials")
    fit.add_argument(
        "--n-jobs", type=int, default=-1, help="parallel trials; -1 = all cores"
    )
    fit.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    fit.add_argument(
        "--include", help="comma-separated model families, e.g. lightgbm,catboost"
    )


def _add_predict(commands: Any) -> None:
    predict = commands.add_parser(
        "predict",
        help="predict a table with a saved model; writes a submission-shaped CSV",
        description="Predict every row of a table and write the predictions as "
        "CSV: the id column (if any), then the prediction named after the target.",
    )
    predict.add_argument("model", help="model file written by 'automl fit'")
    predict.add_argument("data", help="table to predict (.csv, .tsv, .parquet)")
    predict.add_argument(
        "--out",
        "-o",
        default="predictions.csv",
        help="output CSV, '-' for standard output (default: %(default)s)",
    )
    predict.add_argument(
        "--proba",
        action="store_true",
        help="class probabilities: the positive class for two classes, "
        "one column per class otherwise",
    )
    predict.add_argument(
        "--id-column",
        help="column copied to the output (default: the one given to fit)",
    )
    predict.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="TYPE",
        help="skops files: a further type to trust when loading (repeatable)",
    )
    _common(predict)
    predict.set_defaults(run=_predict)


def _add_leaderboard(commands: Any) -> None:
    board = commands.add_parser(
        "leaderboard",
        help="print the summary and leaderboard of a saved model",
        description="Print a saved model's summary and its trials, best first.",
    )
    board.add_argument("model", help="model file written by 'automl fit'")
    board.add_argument(
        "--top", type=int, default=20, help="rows to print (default: 20; 0 = all)"
    )
    board.add_argument("--out", "-o", help="also write the full leaderboard as CSV")
    board.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="TYPE",
        help="skops files: a further type to trust when loading (repeatable)",
    )
    _common(board)
    board.set_defaults(run=_leaderboard)


def _verbosity(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--verbose",
        "-v",
        action="store_const",
        const=2,
        default=1,
        dest="verbose",
        help="a line per trial under the progress bar",
    )
    group.add_argument(
        "--quiet",
        "-q",
        action="store_const",
        const=0,
        dest="verbose",
        help="no progress bar",
    )


# -- fit ---------------------------------------------------------------------------


def _fit(args: argparse.Namespace) -> int:
    table = read_table(args.train)
    y, X = _split_target(table, args.target, args.train)
    X = _drop_columns(X, [c for c in [args.id_column, *args.drop] if c], args.train)
    task = infer_task(y) if args.task == "auto" else args.task
    _check_task(task, y, args.target)
    estimator_class = (
        automl.AutoRegressor if task == "regression" else automl.AutoClassifier
    )
    estimator = estimator_class(
        time_limit=args.time_limit,
        metric=args.metric,
        max_trials=args.max_trials,
        n_jobs=args.n_jobs,
        random_state=args.seed,
        include=args.include.split(",") if args.include else None,
        verbose=args.verbose,
    )
    how = "inferred; pass --task to change" if args.task == "auto" else "given"
    _note(f"{len(X)} rows, {X.shape[1]} features; task {task} ({how})")
    estimator.fit(X, y)
    info = {
        "target": args.target,
        "id_column": args.id_column,
        "task": task,
        "train_file": Path(args.train).name,
    }
    path = estimator.save(args.out, format=args.format, info=info)
    print(estimator.summary())
    print(f"saved the model to {path}")
    return 0


def _split_target(
    table: pd.DataFrame, target: str, source: str
) -> tuple[pd.Series, pd.DataFrame]:
    if target not in table.columns:
        raise CliError(
            f"no column {target!r} in {source}; its columns are {_names(table)}."
        )
    y = table[target]
    missing = y.isna()
    if missing.all():
        raise CliError(f"column {target!r} in {source} has no values.")
    if missing.any():
        _note(f"left out {int(missing.sum())} rows without a value for {target!r}")
    X = table.loc[~missing].drop(columns=target)
    if X.shape[1] == 0:
        raise CliError(f"{source} has no columns besides the target {target!r}.")
    return y[~missing].reset_index(drop=True), X.reset_index(drop=True)


def _drop_columns(X: pd.DataFrame, columns: list[str], source: str) -> pd.DataFrame:
    unknown = [c for c in columns if c not in X.columns]
    if unknown:
        raise CliError(
            f"no column {unknown[0]!r} in {source} to leave out; its columns are "
            f"{_names(X)}."
        )
    X = X.drop(columns=columns)
    if X.shape[1] == 0:
        raise CliError(f"no feature columns are left in {source}.")
    return X


def infer_task(y: pd.Series) -> str:
    """Guess the task from the target column.

    Text, boolean and categorical targets are classification, and so are
    numbers with at most 20 distinct integer values; other numbers are
    regression.

    Parameters
    ----------
    y : pandas.Series
        The target, without missing values.

    Returns
    -------
    {"binary", "multiclass", "regression"}

    Examples
    --------
    >>> infer_task(pd.Series([0.5, 1.25, 3.0]))
    'regression'
    >>> infer_task(pd.Series(["cat", "dog", "cat"]))
    'binary'
    """
    n_unique = y.nunique()
    if is_numeric_dtype(y) and not is_bool_dtype(y):
        values = y.astype("float64")
        integral = bool((values == values.round()).all())
        if not integral or n_unique > MAX_CLASSES_FOR_AUTO:
            return "regression"
    return "binary" if n_unique <= 2 else "multiclass"


def _check_task(task: str, y: pd.Series, target: str) -> None:
    n_classes = y.nunique()
    if task != "regression" and n_classes < 2:
        raise CliError(f"column {target!r} has a single value; nothing to learn.")
    if task == "binary" and n_classes != 2:
        raise CliError(
            f"--task binary, but column {target!r} has {n_classes} classes; use "
            "--task multiclass."
        )
    if task == "regression" and not is_numeric_dtype(y):
        raise CliError(
            f"--task regression needs a numeric target; column {target!r} is {y.dtype}."
        )


# -- predict -----------------------------------------------------------------------


def _predict(args: argparse.Namespace) -> int:
    estimator, info = _load(args.model, args.trust)
    table = read_table(args.data)
    id_column = args.id_column or info.get("id_column")
    if args.id_column and args.id_column not in table.columns:
        raise CliError(
            f"no column {args.id_column!r} in {args.data}; its columns are "
            f"{_names(table)}."
        )
    if id_column and id_column not in table.columns:
        _note(f"{args.data} has no column {id_column!r}; writing no ids")
        id_column = None
    features = _features_for(estimator, table, args.data)
    predictions = _prediction_frame(estimator, features, info, args.proba)
    if id_column:
        predictions.insert(0, id_column, table[id_column].to_numpy())
    _write_csv(predictions, args.out)
    return 0


def _load(path: str, trusted: list[str]) -> tuple[Any, dict[str, Any]]:
    from automl.persistence import load, read_metadata

    info = read_metadata(path).get("info", {})
    return load(path, trusted=trusted), info


def _features_for(estimator: Any, table: pd.DataFrame, source: str) -> pd.DataFrame:
    """The columns the model was trained on, by name (extra columns are ignored)."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        return table
    missing = [c for c in names if c not in table.columns]
    if missing:
        shown = ", ".join(repr(c) for c in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise CliError(
            f"{source} lacks columns the model was trained on: {shown}{more}."
        )
    return table[list(names)]


def _prediction_frame(
    estimator: Any, X: pd.DataFrame, info: dict[str, Any], proba: bool
) -> pd.DataFrame:
    name = info.get("target") or "prediction"
    if not proba:
        return pd.DataFrame({name: estimator.predict(X)})
    if not hasattr(estimator, "predict_proba"):
        raise CliError("--proba needs a classification model; this is a regressor.")
    probabilities = estimator.predict_proba(X)
    classes = list(estimator.classes_)
    if len(classes) == 2:
        return pd.DataFrame({name: probabilities[:, 1]})
    return pd.DataFrame(probabilities, columns=[str(c) for c in classes])


def _write_csv(frame: pd.DataFrame, out: str) -> None:
    if out == "-":
        try:
            frame.to_csv(sys.stdout, index=False)
            sys.stdout.flush()
        except BrokenPipeError:  # e.g. piped into `head`
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return
    path = Path(out)
    if path.parent != Path() and not path.parent.is_dir():
        raise CliError(f"cannot write {out}: folder {path.parent} does not exist.")
    frame.to_csv(path, index=False)
    print(f"wrote {len(frame)} predictions to {path}")


# -- leaderboard -------------------------------------------------------------------


def _leaderboard(args: argparse.Namespace) -> int:
    estimator, _ = _load(args.model, args.trust)
    board = estimator.leaderboard()
    print(estimator.summary())
    print()
    shown = board if args.top <= 0 else board.head(args.top)
    columns = [c for c in [*_COLUMNS_SHOWN, "hyperparameters"] if c in board]
    table = shown[columns].copy()
    if "hyperparameters" in table:
        table["hyperparameters"] = table["hyperparameters"].map(_shorten)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if args.out:
        board.to_csv(args.out, index=False)
        print(f"wrote the leaderboard ({len(board)} rows) to {args.out}")
    return 0


# -- input -------------------------------------------------------------------------


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV, TSV or Parquet file, with one-line errors for common mistakes.

    Parameters
    ----------
    path : str or Path
        ``.parquet``/``.pq`` are Parquet, ``.tsv`` is tab-separated, anything
        else is CSV (compressed ``.gz``, ``.bz2``, ``.zip``, ``.xz`` too).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    CliError
        If the file is missing, empty, or cannot be parsed.

    Examples
    --------
    >>> read_table("train.csv").shape  # doctest: +SKIP
    (891, 12)
    """
    path = Path(path)
    if not path.is_file():
        kind = "a folder, not a file" if path.is_dir() else "no such file"
        raise CliError(f"cannot read {path}: {kind}.")
    try:
        table = _read(path)
    except pd.errors.EmptyDataError:
        raise CliError(f"{path} is empty.") from None
    except ImportError as exc:
        raise CliError(f"cannot read {path}: {exc}") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as exc:
        raise CliError(f"cannot read {path} as a table: {_first_line(exc)}") from None
    if table.empty:
        raise CliError(f"{path} has no rows.")
    return table


def _read(path: Path) -> pd.DataFrame:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _PARQUET:
        return pd.read_parquet(path)
    if ".tsv" in suffixes:
        return pd.read_csv(path, sep="\t", low_memory=False)
    return pd.read_csv(path, low_memory=False)


def _shorten(text: Any, width: int = 60) -> Any:
    if not isinstance(text, str) or len(text) <= width:
        return text
    return text[: width - 3] + "..."


def _names(table: pd.DataFrame, limit: int = 12) -> str:
    names = [str(c) for c in table.columns]
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def _note(message: str) -> None:
    print(f"automl: {message}", file=sys.stderr)


@contextlib.contextmanager
def _short_warnings() -> Iterator[None]:
    """Show Python warnings as one ``automl: warning: ...`` line each."""
    original = warnings.formatwarning

    def one_line(message: Any, category: Any, *args: Any, **kwargs: Any) -> str:
        return f"automl: warning: {message}\n"

    warnings.formatwarning = one_line
    try:
        yield
    finally:
        warnings.formatwarning = original


if __name__ == "__main__":
    sys.exit(main())
