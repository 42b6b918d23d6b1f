"""Leave-one-task-out evidence for the meta-learning warm start.

From the repository root, once the metadata builder has written its search,
features (and matrix) records under ``metadata/build``::

    python -m benchmarks.metalearning --budget 30 --budget 120
    python -m benchmarks.metalearning --budget 60 --sample 40 --arms warm,cold
    python -m benchmarks.metalearning --report
    python -m benchmarks.metalearning --compare RUN_A:warm RUN_B:cold

For every held-out task (each task with a search record and meta-features in
``--build-dir``, or the ``--tasks`` given), the knowledge base is compiled from
the builder's records *without that task*
(``compile_metadata(build_dir, exclude=[task])``, written to a temporary
``metadata.json``), so that the task feeds neither the portfolio nor the
nearest tasks. The arms then fit the task's benchmark training split
(``benchmarks.datasets.load_split(spec, seed=0)``) at the same budget, with
``n_jobs=1`` and ``random_state=0`` (``--seed`` changes the fits' seed, not the
split: a second seed on the same tasks measures the noise between fits;
``--n-jobs 2`` fits on two cores, as a user's default fit and the
scoreboard's do; run one arm at a time then):

``warm``
    ``AutoClassifier`` / ``AutoRegressor(time_limit=budget,
    meta_learning=<that knowledge base>)``.
``cold``
    The same with ``meta_learning=False``: SMAC starts from each family's
    default configuration.
``random``
    The same estimator with SMAC replaced by configurations sampled uniformly
    from the fit's space, each on the full budget (no successive halving);
    trials, time limits, ensemble and refit are the estimator's own.
``warm_defaults_first`` (only when named in ``--arms``)
    ``warm`` with a knowledge base whose portfolios are the members that
    complement the family defaults, evaluated after all the defaults, which
    come first as in ``cold`` (``compile_metadata(..., defaults_first=True)``;
    in ``results/metalearning-defaults-first``, code of fd3313d, the defaults
    came in the portfolio's order, interleaved with the nearest tasks).
``warm_gated`` (only when named in ``--arms``)
    ``warm`` with a knowledge base used only where the leave-one-task-out
    runs had it ahead of ``cold`` (:data:`GATED`: multiclass at every budget,
    binary from 300 core-seconds, regression never), the family defaults
    elsewhere (``compile_metadata(..., knowledge_from=GATED)``). On tasks
    those runs did not use (``results/metalearning-gated``): ahead at 60 s on
    multiclass, level at 300 s; not shipped, because on the standard suite at
    60 s on 2 cores the ungated warm start beat it on binary and regression.

Every fit starts its own worker process, as a user's would (no
``reuse_workers``), and one tiny fit first takes the process's one-off import
costs, so that they fall on no arm.

Each (task, budget, arm) appends one JSON line to ``<out>/runs.jsonl``: the
anytime curve (best validation loss so far among full-budget trials, against
seconds since the start of ``fit``), the test score in the task's main metric
(ROC AUC binary, log loss multiclass, RMSE regression; ``benchmarks.metrics``),
the number of trials and of trials run at a time (``workers``, after the
memory plan), the origins of the trials and of the warm-start design,
and the size of the knowledge base the warm arm saw (prior tasks, portfolio
members). A re-run skips the runs that are there (failed runs are retried).

The report (``<out>/report.md``, written after a run or with ``--report``)
gives per budget, over the tasks where every arm run at it finished: the mean
normalised test score of each arm (per task ``(score - worst) / (best -
worst)``, 1 for every arm when the best and worst tie), the mean rank,
wins/ties/losses of warm against cold and against random (ties as in
``benchmarks.report``), and ``anytime-<budget>s.png``: the normalised
validation regret over time averaged over tasks. ``--compare`` sets two arms
side by side, from one run folder or two (e.g. two runs of ``cold``, to see
the noise), or each pooled over several (``R0+R1:warm``: per task the mean
score of the runs, e.g. of two seeds): wins/ties/losses of the first against
the second and the geometric mean of its test error over the second's (1 -
AUC, log loss, RMSE), in all and per metric (``benchmarks.compare_runs.outcome_rows``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl import AutoClassifier, AutoRegressor
from automl.metalearning.metadata import METADATA_FILE, compile_metadata, read_jsonl
from automl.search import Optimizer, Proposal
from automl.space import config_to_dict
from benchmarks.compare_runs import outcome_rows, outcomes
from benchmarks.datasets import DatasetSpec, load_split, read_index
from benchmarks.metrics import (
    MAIN_METRIC,
    align_proba,
    classification_metrics,
    higher_is_better,
    regression_metrics,
)
from benchmarks.report import is_tie, markdown_table, rank_table

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATASETS = ROOT.parent / "shared" / "datasets"
DEFAULT_BUILD_DIR = ROOT / "metadata" / "build"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "metalearning"
RUNS_FILE = "runs.jsonl"
REPORT_FILE = "report.md"
ARMS = ("warm", "cold", "random", "warm_defaults_first", "warm_gated")
#: What ``--arms`` runs when not given.
DEFAULT_ARMS = ("warm", "cold", "random")
#: Per task type, the core-seconds from which ``warm_gated`` uses the knowledge
#: base (None: never), from ``results/metalearning-60s-seed1`` (60 s on one
#: core, two seeds: multiclass ahead, binary and regression behind) and
#: ``results/metalearning-300s`` (binary ahead, regression behind).
GATED: dict[str, float | None] = {
    "multiclass": 0.0,
    "binary": 300.0,
    "regression": None,
}
#: The arms fitted with a knowledge base, and how it is compiled
#: (``compile_metadata``'s options).
WARM_ARMS: dict[str, dict[str, Any]] = {
    "warm": {},
    "warm_defaults_first": {"defaults_first": True},
    "warm_gated": {"knowledge_from": GATED},
}
#: The report's head-to-head counts: (arm, against).
COMPARISONS = (
    ("warm", "cold"),
    ("warm", "random"),
    ("warm_defaults_first", "cold"),
    ("warm_defaults_first", "warm"),
    ("warm_gated", "cold"),
)
SEED = 0
#: Fractions of the budget at which the report tabulates the anytime regret.
CHECKPOINTS = (0.1, 0.25, 0.5, 1.0)


# -- the random-search arm -------------------------------------------------------


class RandomProposer:
    """Uniform samples from a configuration space, in place of SMAC.

    Full budgets only; what it is told is ignored. An
    :class:`automl.search.Optimizer` (the protocol the driver asks of any
    optimiser).
    """

    def __init__(self, space: Any, seed: int) -> None:
        self.space = space
        self.seed = seed
        space.seed(seed)

    def ask(self) -> Proposal:
        config = config_to_dict(self.space.sample_configuration())
        return Proposal(config, self.seed, None, "random")

    def tell(self, *args: Any, **kwargs: Any) -> None:
        pass

    tell_known = tell

    def close(self) -> None:
        pass


def random_proposer(space: Any, *args: Any) -> Optimizer:
    """An :data:`automl.run.OptimizerFactory` of random search."""
    seed = args[-1]  # (initial_configs, n_workers, workdir, fidelity, seed)
    return RandomProposer(space, seed)


class _RandomSearch:
    _make_optimizer = staticmethod(random_proposer)


class RandomSearchClassifier(_RandomSearch, AutoClassifier):
    """AutoClassifier searching by uniform random sampling (the baseline arm)."""


class RandomSearchRegressor(_RandomSearch, AutoRegressor):
    """AutoRegressor searching by uniform random sampling (the baseline arm)."""


# -- running the arms --------------------------------------------------------------


def stratified_sample(specs: Sequence[DatasetSpec], n: int) -> list[DatasetSpec]:
    """About ``n`` of ``specs``, each task type in proportion, evenly spread
    over its tasks' row counts (smallest and largest included)."""
    by_type: dict[str, list[DatasetSpec]] = {}
    for spec in sorted(specs, key=lambda s: (s.n_rows, s.name)):
        by_type.setdefault(spec.task, []).append(spec)
    sample = []
    for group in by_type.values():
        k = min(len(group), max(1, round(n * len(group) / len(specs))))
        picks = np.unique(np.linspace(0, len(group) - 1, k).round().astype(int))
        sample += [group[i] for i in picks]
    return sample


def held_out_tasks(build_dir: Path) -> set[str]:
    """Tasks with a successful search record and meta-features in ``build_dir``."""
    searched = {r["task"] for r in read_jsonl(build_dir, "search") if r.get("best")}
    return searched & {r["task"] for r in read_jsonl(build_dir, "features")}


def make_estimator(
    arm: str,
    task: str,
    budget: float,
    metadata_dir: Path,
    include: Sequence[str] | None = None,
    seed: int = SEED,
    n_jobs: int = 1,
) -> Any:
    """The estimator of one arm, unfitted."""
    regression = task == "regression"
    if arm == "random":
        kind: Any = RandomSearchRegressor if regression else RandomSearchClassifier
    else:
        kind = AutoRegressor if regression else AutoClassifier
    return kind(
        time_limit=budget,
        n_jobs=n_jobs,
        random_state=seed,
        include=None if include is None else list(include),
        meta_learning=str(metadata_dir) if arm in WARM_ARMS else False,
    )


def anytime_curve(trials: list[dict[str, Any]]) -> list[list[float]]:
    """``[seconds, best loss so far]`` at each improvement, full-budget ok trials."""
    finished = sorted(
        (t["started"] + t["duration"], t["loss"])
        for t in trials
        if t["status"] == "ok" and (t["budget"] is None or t["budget"] >= 1)
    )
    curve: list[list[float]] = []
    for seconds, loss in finished:
        if not curve or loss < curve[-1][1]:
            curve.append([round(float(seconds), 3), float(loss)])
    return curve


def main_metric_score(
    model: Any, task: str, X_test: Any, y_test: Any, y_train: pd.Series
) -> float:
    """The task's main metric on the test split, as ``benchmarks.worker`` scores."""
    predictions = model.predict(X_test)
    if task == "regression":
        return regression_metrics(y_test, predictions)[MAIN_METRIC[task]]
    classes = sorted(y_train.unique())
    proba = align_proba(model.predict_proba(X_test), list(model.classes_), classes)
    metrics = classification_metrics(task, y_test, predictions, proba, classes)
    return metrics[MAIN_METRIC[task]]


def run_arm(
    arm: str,
    spec: DatasetSpec,
    split: tuple[Any, Any, Any, Any],
    budget: float,
    metadata_dir: Path,
    include: Sequence[str] | None = None,
    seed: int = SEED,
    n_jobs: int = 1,
) -> dict[str, Any]:
    """Fit one arm on the training split; its record (with ``error`` on failure)."""
    X_train, X_test, y_train, y_test = split
    record: dict[str, Any] = {
        "task": spec.name,
        "type": spec.task,
        "budget": float(budget),
        "arm": arm,
        "metric": MAIN_METRIC[spec.task],
        "seed": seed,
        "n_jobs": n_jobs,
    }
    model = make_estimator(
        arm, spec.task, budget, metadata_dir, include, seed=seed, n_jobs=n_jobs
    )
    start = time.time()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(X_train, y_train)
        record["fit_seconds"] = round(time.time() - start, 2)
        record["test_score"] = main_metric_score(
            model, spec.task, X_test, y_test, y_train
        )
    except Exception as exc:  # one failing run must not stop the experiment
        return {**record, "error": f"{type(exc).__name__}: {exc}"}
    design = getattr(model, "initial_design_", [])
    record.update(
        workers=model.memory_plan_["n_workers"],
        n_trials=len(model.trials_),
        n_full_budget=sum(
            t["budget"] is None or t["budget"] >= 1 for t in model.trials_
        ),
        curve=anytime_curve(model.trials_),
        design=dict(Counter(origin for origin, _ in design)),
        origins=dict(Counter(t["origin"] for t in model.trials_)),
        warnings=sorted(
            {
                str(w.message)[:200]
                for w in caught
                if not issubclass(w.category, DeprecationWarning)
            }
        ),
    )
    return record


def read_runs(path: Path) -> list[dict[str, Any]]:
    """The records of a ``runs.jsonl`` (a line torn by a kill is skipped)."""
    if not path.is_file():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def pooled_runs(folders: Sequence[Path]) -> list[dict[str, Any]]:
    """One record per (task, budget, arm) that every folder ran without
    error, its test score the mean over the folders (e.g. two seeds): the
    comparison of means is less noisy than that of single fits."""
    keyed = []
    for folder in folders:
        runs = {}
        for r in read_runs(folder / RUNS_FILE):
            if "error" not in r and np.isfinite(r["test_score"]):
                runs[(r["task"], r["budget"], r["arm"])] = r
        keyed.append(runs)
    shared = set.intersection(*(set(runs) for runs in keyed))
    return [
        {
            **keyed[0][key],
            "test_score": float(np.mean([k[key]["test_score"] for k in keyed])),
        }
        for key in sorted(shared)
    ]


def _append(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torn = path.is_file() and not path.read_bytes().endswith(b"\n")
    with path.open("a") as handle:  # a line torn by a kill stays on its own
        handle.write(("\n" if torn else "") + json.dumps(record) + "\n")


def warm_up() -> None:
    """One tiny fit, so that no arm pays the process's first-fit costs (imports)."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = AutoClassifier(time_limit=None, max_trials=2, n_jobs=1, meta_learning=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X.iloc[:100], y.iloc[:100])


def run_experiment(
    specs: Sequence[DatasetSpec],
    build_dir: Path,
    budgets: Sequence[float],
    out: Path,
    include: Sequence[str] | None = None,
    arms: Sequence[str] = DEFAULT_ARMS,
    seed: int = SEED,
    n_jobs: int = 1,
) -> None:
    """Run every (task, budget, arm) of ``arms`` not yet in ``<out>/runs.jsonl``."""
    path = out / RUNS_FILE
    done = {
        (r["task"], r["budget"], r["arm"]) for r in read_runs(path) if "error" not in r
    }
    warmed = False
    for spec in specs:
        todo = [
            (float(b), arm)
            for b in budgets
            for arm in arms
            if (spec.name, float(b), arm) not in done
        ]
        if not todo:
            continue
        if not warmed:
            warm_up()
            warmed = True
        split = load_split(spec, seed=SEED)
        with tempfile.TemporaryDirectory(prefix="automl-loto-") as folder:
            known = {}
            for arm in {arm for _, arm in todo} & set(WARM_ARMS):
                known[arm] = write_knowledge_base(
                    build_dir, spec.name, Path(folder) / arm, WARM_ARMS[arm]
                )
            for budget, arm in todo:
                record = run_arm(
                    arm,
                    spec,
                    split,
                    budget,
                    Path(folder) / arm,
                    include,
                    seed=seed,
                    n_jobs=n_jobs,
                )
                _append(path, {**record, "knowledge_base": known.get(arm, {})})
                print(_progress_line(record), flush=True)


def write_knowledge_base(
    build_dir: Path, held_out: str, folder: Path, options: dict[str, Any]
) -> dict[str, Any]:
    """Compile the knowledge base without ``held_out`` into ``folder`` (with
    ``compile_metadata``'s ``options``); its size."""
    metadata = compile_metadata(build_dir, exclude=[held_out], **options)
    folder.mkdir(parents=True)
    (folder / METADATA_FILE).write_text(json.dumps(metadata))
    return {
        "tasks": len(metadata["tasks"]),
        "portfolio": {
            group: len(p["members"]) for group, p in metadata["portfolio"].items()
        },
    }


def _progress_line(record: dict[str, Any]) -> str:
    head = f"{record['task']} {record['budget']:g}s {record['arm']}:"
    if "error" in record:
        return f"{head} error {record['error']}"
    return (
        f"{head} {record['metric']} {record['test_score']:.4f}, "
        f"{record['n_trials']} trials in {record['fit_seconds']:.1f} s"
    )


# -- the report --------------------------------------------------------------------


def score_table(runs: Sequence[dict[str, Any]], budget: float) -> pd.DataFrame:
    """Test scores turned higher-is-better, one row per task where every arm
    run at ``budget`` has one.

    Columns: ``type``, ``metric`` and one per arm run at ``budget`` (e.g.
    ``--arms warm,cold`` leaves out ``random``); the last record of a
    (task, arm) counts.
    """
    rows: dict[str, dict[str, Any]] = {}
    for r in runs:
        if r["budget"] != budget or "error" in r or not np.isfinite(r["test_score"]):
            continue
        row = rows.setdefault(r["task"], {"type": r["type"], "metric": r["metric"]})
        row[r["arm"]] = higher_is_better(r["metric"], r["test_score"])
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame = frame.reindex(columns=["type", "metric", *ARMS]).dropna(axis=1, how="all")
    return frame.dropna(subset=arms_of(frame))


def arms_of(frame: pd.DataFrame) -> list[str]:
    """The arms among ``frame``'s columns, in :data:`ARMS` order."""
    return [arm for arm in ARMS if arm in frame.columns]


def normalised_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Per task ``(score - worst arm) / (best arm - worst arm)``: 1 best, 0 worst.

    When the best and the worst arm tie (``benchmarks.report.is_tie``), every
    arm gets 1.
    """
    arms = scores[arms_of(scores)].astype(float)
    best, worst = arms.max(axis=1), arms.min(axis=1)
    tied = [
        is_tie(w, b, m) for w, b, m in zip(worst, best, scores["metric"], strict=True)
    ]
    span = (best - worst).mask(np.array(tied, dtype=bool))
    return arms.sub(worst, axis=0).div(span, axis=0).fillna(1.0)


def wins_ties_losses(scores: pd.DataFrame, arm: str, other: str) -> tuple[int, ...]:
    """Tasks where ``arm`` beats, ties with and loses to ``other``."""
    counts = Counter(outcomes(scores, arm, other))
    return counts["win"], counts["tie"], counts["loss"]


def normalised_regret(
    curves: dict[str, list[list[float]]], times: np.ndarray
) -> dict[str, np.ndarray]:
    """Each arm's best validation loss so far at ``times``, normalised per task.

    0 is the best loss any arm found, 1 the worst first loss of any arm (and
    an arm's value before its first full-budget trial).
    """
    points = [point for curve in curves.values() for point in curve]
    lo = min((loss for _, loss in points), default=0.0)
    hi = max((curve[0][1] for curve in curves.values() if curve), default=1.0)
    regret = {}
    for arm, curve in curves.items():
        values = np.ones(len(times))
        for seconds, loss in curve:  # improvements, in time order
            values[times >= seconds] = (loss - lo) / (hi - lo) if hi > lo else 0.0
        regret[arm] = values
    return regret


def mean_regret(
    runs: Sequence[dict[str, Any]],
    budget: float,
    tasks: Sequence[str],
    times: np.ndarray,
) -> pd.DataFrame:
    """:func:`normalised_regret` averaged over ``tasks``: times × arms."""
    curves: dict[str, dict[str, list[list[float]]]] = {t: {} for t in tasks}
    for r in runs:
        if r["budget"] == budget and r["task"] in curves and "error" not in r:
            curves[r["task"]][r["arm"]] = r["curve"]
    per_task = [normalised_regret(curves[t], times) for t in tasks]
    arms = [arm for arm in ARMS if all(arm in p for p in per_task)]
    return pd.DataFrame(
        {arm: np.mean([p[arm] for p in per_task], axis=0) for arm in arms},
        index=pd.Index(times, name="seconds"),
    )


def plot_anytime(regret: pd.DataFrame, n_tasks: int, budget: float, path: Path) -> Path:
    """The averaged anytime curves as a PNG (matplotlib's Agg canvas)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.0))
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    for arm in regret.columns:
        ax.plot(regret.index, regret[arm], label=arm, drawstyle="steps-post")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("seconds since the start of fit")
    ax.set_ylabel("normalised validation regret")
    ax.set_title(f"Anytime regret, mean of {n_tasks} tasks, budget {budget:g} s")
    ax.legend()
    figure.savefig(path, dpi=120, bbox_inches="tight")
    return path


def budget_section(runs: Sequence[dict[str, Any]], budget: float, out: Path) -> str:
    """The report's markdown for one budget (and its PNG, written to ``out``)."""
    scores = score_table(runs, budget)
    tasks = list(scores.index)
    title = f"## Budget {budget:g} s"
    if not tasks:
        return f"{title}\n\nNo task has a test score from every arm yet.\n"
    arms = arms_of(scores)
    normal = normalised_scores(scores).mean()
    ranks = rank_table(scores[arms].astype(float)).mean()
    trials = (
        pd.DataFrame(
            [
                r
                for r in runs
                if r["budget"] == budget and r["task"] in tasks and "error" not in r
            ]
        )
        .groupby("arm")["n_trials"]
        .mean()
    )
    at = mean_regret(runs, budget, tasks, np.array(CHECKPOINTS) * budget)
    header = ["arm", "normalised test score", "mean rank", "trials"]
    header += [f"regret at {f:.0%}" for f in CHECKPOINTS]
    rows = [
        [arm, f"{normal[arm]:.3f}", f"{ranks[arm]:.2f}", f"{trials[arm]:.1f}"]
        + [f"{v:.3f}" for v in at[arm]]
        for arm in arms
    ]
    plot = f"anytime-{budget:g}s.png"
    times = np.geomspace(budget / 100, budget, 80)
    plot_anytime(
        mean_regret(runs, budget, tasks, times), len(tasks), budget, out / plot
    )
    types = ", ".join(f"{n} {t}" for t, n in Counter(scores["type"]).items())
    lines = [
        title,
        "",
        f"{len(tasks)} tasks with every arm ({', '.join(arms)}; {types}).",
        "",
        markdown_table(header, rows),
        "",
    ]
    for arm, other in COMPARISONS:
        if arm in arms and other in arms:
            wins, ties, losses = wins_ties_losses(scores, arm, other)
            lines.append(
                f"- {arm} vs {other}: {wins} wins, {ties} ties, {losses} losses"
            )
    lines += ["", f"![anytime {budget:g} s]({plot})", "", _task_table(runs, budget)]
    return "\n".join(lines) + "\n"


def _task_table(runs: Sequence[dict[str, Any]], budget: float) -> str:
    """Raw test scores per task and arm (``error`` where a run failed)."""
    cells: dict[str, dict[str, str]] = {}
    for r in runs:
        if r["budget"] != budget:
            continue
        row = cells.setdefault(r["task"], {"type": r["type"], "metric": r["metric"]})
        row[r["arm"]] = "error" if "error" in r else f"{r['test_score']:.4f}"
    rows = [
        [task, row["type"], row["metric"], *(row.get(arm, "–") for arm in ARMS)]
        for task, row in cells.items()
    ]
    return markdown_table(["task", "type", "metric", *ARMS], rows)


def write_report(out: Path) -> Path:
    """Write ``report.md`` and the anytime PNGs from ``<out>/runs.jsonl``."""
    runs = read_runs(out / RUNS_FILE)
    budgets = sorted({r["budget"] for r in runs})
    text = [
        "# Meta-learning warm start, leave one task out",
        "",
        "Made by `python -m benchmarks.metalearning --report` from "
        f"`{RUNS_FILE}` ({len(runs)} runs); how the runs were made and how to "
        "read the figures: the docstring of `benchmarks/metalearning.py`.",
        "Normalised test score: per task (score - worst arm) / (best arm - "
        "worst arm), higher is better, 1 for all arms when best and worst "
        "tie. Regret: per task the best full-budget validation loss so far, "
        "0 = the best any arm found, 1 = the worst first loss (or no trial "
        "yet), averaged over the tasks.",
        "",
    ]
    text += [budget_section(runs, budget, out) for budget in budgets]
    path = out / REPORT_FILE
    path.write_text("\n".join(text))
    return path


def arms_side_by_side(
    after: Sequence[dict[str, Any]],
    after_arm: str,
    before: Sequence[dict[str, Any]],
    before_arm: str,
    budget: float,
) -> pd.DataFrame:
    """Two arms' test scores, from the same run or two runs, per task both have.

    Returns
    -------
    DataFrame
        Index task; columns ``metric``, ``before``, ``after`` (higher is
        better) and ``outcome`` (win, tie or loss of ``after_arm``), as
        :func:`benchmarks.compare_runs.outcome_rows` reads them.
    """

    def scores(runs: Sequence[dict[str, Any]], arm: str) -> pd.DataFrame:
        return score_table([r for r in runs if r["arm"] == arm], budget)

    first, second = scores(after, after_arm), scores(before, before_arm)
    table = pd.DataFrame({"metric": first["metric"], "after": first[after_arm]}).join(
        second[[before_arm]].rename(columns={before_arm: "before"}), how="inner"
    )
    table["outcome"] = outcomes(table, "after", "before")
    return table


def print_comparison(after: str, before: str) -> None:
    """W/T/L and error ratio of ``FOLDER:ARM`` ``after`` against ``before``;
    ``FOLDER+FOLDER:ARM`` pools runs, per task the mean of their scores."""
    (after_dirs, after_arm), (before_dirs, before_arm) = (
        spec.rsplit(":", 1) for spec in (after, before)
    )
    after_runs, before_runs = (
        pooled_runs([Path(d) for d in dirs.split("+")])
        for dirs in (after_dirs, before_dirs)
    )
    budgets = {r["budget"] for r in after_runs} & {r["budget"] for r in before_runs}
    for budget in sorted(budgets):
        table = arms_side_by_side(
            after_runs, after_arm, before_runs, before_arm, budget
        )
        rows = [[m, n, wtl, f"{ratio:.3f}"] for m, n, wtl, ratio in outcome_rows(table)]
        print(f"\n{after} against {before}, {budget:g} s\n")
        print(markdown_table(["metric", "tasks", "W/T/L", "error ratio"], rows))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=str(DEFAULT_DATASETS))
    parser.add_argument("--build-dir", default=str(DEFAULT_BUILD_DIR))
    parser.add_argument("--tasks", default="", help="comma-separated held-out tasks")
    parser.add_argument(
        "--sample",
        type=int,
        default=0,
        help="hold out about this many tasks, stratified by type and rows",
    )
    parser.add_argument(
        "--budget", type=float, action="append", help="seconds (repeatable; 30)"
    )
    parser.add_argument("--include", default="", help="comma-separated families")
    parser.add_argument(
        "--arms", default=",".join(DEFAULT_ARMS), help="comma-separated arms to run"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=SEED,
        help="the fits' random_state (not the split's)",
    )
    parser.add_argument(
        "--n-jobs", type=int, default=1, help="cores per fit (default 1)"
    )
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    parser.add_argument("--report", action="store_true", help="only the report")
    parser.add_argument(
        "--compare",
        nargs=2,
        metavar="FOLDER:ARM",
        help="only W/T/L and error ratio of the first arm against the second",
    )
    args = parser.parse_args(argv)
    if args.compare:
        print_comparison(*args.compare)
        return
    out = Path(args.out)
    if not args.report:
        build_dir = Path(args.build_dir)
        wanted = set(args.tasks.split(",")) if args.tasks else held_out_tasks(build_dir)
        specs = [s for s in read_index(args.datasets) if s.name in wanted]
        missing = wanted - {s.name for s in specs}
        if missing:
            raise SystemExit(f"not in the corpus {args.datasets}: {sorted(missing)}")
        if args.sample:
            specs = stratified_sample(specs, args.sample)
        if not specs:
            raise SystemExit(
                f"no task has both search and features records in {build_dir}: "
                "run the metadata builder first, or name tasks with --tasks"
            )
        include = args.include.split(",") if args.include else None
        arms = args.arms.split(",")
        unknown = set(arms) - set(ARMS)
        if unknown:
            raise SystemExit(f"unknown arms {sorted(unknown)}: choose from {ARMS}")
        run_experiment(
            specs,
            build_dir,
            args.budget or [30.0],
            out,
            include,
            arms,
            seed=args.seed,
            n_jobs=args.n_jobs,
        )
    print(f"wrote {write_report(out)}")


if __name__ == "__main__":
    main()
