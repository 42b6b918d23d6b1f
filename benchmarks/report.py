"""Benchmark report: a markdown table and one PNG from a results file.

Usage, from the repository root::

    python -m benchmarks.report benchmarks/results/quick-60s [MORE_RESULTS ...]

prints the markdown and writes ``report.md`` and ``normalised_scores.png``
beside the results file (or into ``--out``).

How scores are compared (AutoML Benchmark conventions):

- Each dataset is scored by its task's main metric: ROC AUC (binary), log loss
  (multiclass), RMSE (regression), turned "higher is better" (AUC, -log loss,
  -RMSE) for ranking and normalising, and averaged over seeds.
- A failed run (error or timeout) is scored as the constant predictor on the
  same dataset and seed; without a constant run it has no score and ranks
  last.
- Normalised score per dataset: ``(score - RF) / (best - RF)``, so that
  RandomForest is 0 and the best system is 1.
- Mean rank over datasets: 1 is best, ties share the mean rank.
- Wins/ties/losses against each baseline per dataset; a tie is a difference of
  at most 0.1% of the baseline's score, or at most 0.001 for AUC and log loss
  (whichever is larger).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.metrics import GREATER_IS_BETTER, MAIN_METRIC

REFERENCE = "random_forest"
#: Systems every other one is counted wins/ties/losses against, when present:
#: AutoGluon's strongest CPU preset (the system to beat), the best single model
#: of ours' own fit, our foundation (single model, no ensemble; added with
#: ``--add``) and the two library baselines.
BASELINES = (
    "autogluon_best_v150",
    "automl/best_single",
    "foundation",
    "lightgbm",
    "random_forest",
)
FLOOR = "constant"
FAILED = ("error", "timeout")
KEY = ["dataset", "system", "seed", "budget"]
SYSTEM_ORDER = (
    "automl",
    "automl/best_single",
    "foundation",
    "autogluon_best_v150",
    "autogluon_best",
    "autogluon",
    "flaml",
    "lightgbm",
    "random_forest",
    FLOOR,
)
TIE_RELATIVE = 1e-3
TIE_ABSOLUTE = {
    "roc_auc": 1e-3,
    "balanced_accuracy": 1e-3,
    "log_loss": 1e-3,
    "rmse": 0.0,
}
REPORT_FILE = "report.md"
PLOT_FILE = "normalised_scores.png"


def results_file(path: str | Path) -> Path:
    """The results CSV of ``path``: the file itself, or a folder's ``results.csv``."""
    path = Path(path)
    return path / "results.csv" if path.is_dir() else path


def load_results(path: str | Path, metric: str | None = None) -> pd.DataFrame:
    """Read a results file and keep the last row of each run.

    Parameters
    ----------
    path : str or Path
        A results CSV file, or the folder holding ``results.csv``.
    metric : str or None, default=None
        A results column to score every run on (e.g. ``balanced_accuracy``);
        None: each task's main metric.

    Returns
    -------
    DataFrame
        One row per (dataset, system, seed, budget), with ``metric`` (the
        task's main metric, or ``metric``), ``value`` (its raw value) and
        ``score`` (higher is better, NaN for a failed run).
    """
    frame = pd.read_csv(results_file(path), converters={"message": str, "version": str})
    frame = frame.drop_duplicates(KEY, keep="last").reset_index(drop=True)
    frame["metric"] = frame["task"].map(MAIN_METRIC) if metric is None else metric
    frame["value"] = [
        row[metric] if row["status"] == "ok" else np.nan
        for metric, (_, row) in zip(frame["metric"], frame.iterrows(), strict=True)
    ]
    sign = frame["metric"].map(lambda m: 1.0 if GREATER_IS_BETTER[m] else -1.0)
    frame["score"] = frame["value"].astype(float) * sign
    return frame


def load_runs(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Read several results files; a later file's run replaces an earlier one's.

    Parameters
    ----------
    paths : sequence of str or Path
        Results CSV files or the folders holding them, of one protocol; e.g.
        the peers' runs, then a rerun of ours with newer code.

    Returns
    -------
    DataFrame
        As :func:`load_results`, one row per (dataset, system, seed, budget).
    """
    runs = pd.concat([load_results(path) for path in paths], ignore_index=True)
    return runs.drop_duplicates(KEY, keep="last").reset_index(drop=True)


def impute_failures(runs: pd.DataFrame) -> pd.DataFrame:
    """Give failed runs the constant predictor's score on the same split.

    Parameters
    ----------
    runs : DataFrame
        From ``load_results``.

    Returns
    -------
    DataFrame
        A copy with ``score`` filled for failed runs where the constant
        predictor ran on the same dataset, seed and budget.
    """
    runs = runs.copy()
    floor = runs[(runs["system"] == FLOOR) & (runs["status"] == "ok")]
    floor = floor.set_index(["dataset", "seed", "budget"])["score"]
    failed = runs["status"].isin(FAILED)
    keys = pd.MultiIndex.from_frame(runs.loc[failed, ["dataset", "seed", "budget"]])
    runs.loc[failed, "score"] = floor.reindex(keys).to_numpy()
    return runs


def systems_in_order(systems: Sequence[str]) -> list[str]:
    """Order systems: ours, peers, baselines, constant, then the rest."""
    present = set(systems)
    known = [s for s in SYSTEM_ORDER if s in present]
    return known + sorted(present - set(known))


def score_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Return the mean score over seeds, datasets by systems.

    Parameters
    ----------
    runs : DataFrame
        Runs of one budget, failures imputed.

    Returns
    -------
    DataFrame
        Index dataset, one column per system; NaN where a system has no score.
    """
    table = runs.pivot_table(
        index="dataset",
        columns="system",
        values="score",
        aggfunc="mean",
        dropna=False,
    )
    datasets = list(dict.fromkeys(runs["dataset"]))
    return table.reindex(index=datasets, columns=systems_in_order(runs["system"]))


def normalised_scores(scores: pd.DataFrame, reference: str = REFERENCE) -> pd.DataFrame:
    """Scale scores per dataset so that the reference is 0 and the best is 1.

    Parameters
    ----------
    scores : DataFrame
        From ``score_table`` (higher is better).
    reference : str, default="random_forest"
        The system that scores 0.

    Returns
    -------
    DataFrame
        Same shape; a dataset where the reference is missing or is itself the
        best gets NaN throughout.
    """
    if reference not in scores.columns:
        return scores * np.nan
    best = scores.max(axis=1, skipna=True)
    span = best - scores[reference]
    span = span.where(span > 1e-12)
    return scores.sub(scores[reference], axis=0).div(span, axis=0)


def rank_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Rank systems per dataset, 1 best; missing scores rank last."""
    return scores.rank(axis=1, ascending=False, method="average", na_option="bottom")


def is_tie(a: float, b: float, metric: str) -> bool:
    """Tell whether two scores tie: within 0.1% of ``b`` or the metric's floor.

    Parameters
    ----------
    a, b : float
        Scores (higher is better); ``b`` is the baseline's.
    metric : str
        The main metric.

    Returns
    -------
    bool
    """
    tolerance = max(TIE_RELATIVE * abs(b), TIE_ABSOLUTE.get(metric, 0.0))
    return abs(a - b) <= tolerance


def compare(a: float, b: float, metric: str) -> str:
    """Return ``win``, ``tie`` or ``loss`` of score ``a`` against baseline ``b``.

    A missing score loses to a present one; two missing scores give ``""``.
    """
    if np.isnan(a) and np.isnan(b):
        return ""
    if np.isnan(a):
        return "loss"
    if np.isnan(b):
        return "win"
    if is_tie(a, b, metric):
        return "tie"
    return "win" if a > b else "loss"


def wins_ties_losses(
    scores: pd.DataFrame, metrics: pd.Series, baseline: str
) -> dict[str, tuple[int, int, int]]:
    """Count per system the datasets it wins, ties and loses against a baseline.

    Parameters
    ----------
    scores : DataFrame
        From ``score_table``.
    metrics : Series
        The main metric of each dataset.
    baseline : str
        The baseline system.

    Returns
    -------
    dict
        System to (wins, ties, losses), see ``compare``.
    """
    result = {}
    for system in scores.columns:
        outcomes = [
            compare(scores.at[d, system], scores.at[d, baseline], metrics[d])
            for d in scores.index
        ]
        result[system] = tuple(outcomes.count(o) for o in ("win", "tie", "loss"))
    return result


@dataclass
class Summary:
    """Everything the report shows for one budget."""

    budget: float
    runs: pd.DataFrame
    values: pd.DataFrame
    scores: pd.DataFrame
    normalised: pd.DataFrame
    ranks: pd.DataFrame
    metrics: pd.Series
    wtl: dict[str, dict[str, tuple[int, int, int]]]
    systems: pd.DataFrame
    #: The system that scores 0 in the normalised scores.
    reference: str = REFERENCE


def before_systems(systems: Sequence[str]) -> list[str]:
    """Ours from another checkout (``automl@67328fa``, ``benchmarks.run
    --tree``): a before-and-after run counts every system against them too."""
    return [s for s in systems if "@" in s and "/" not in s]


def summarise(runs: pd.DataFrame, budget: float, reference: str = REFERENCE) -> Summary:
    """Compute the report's tables for one budget.

    Parameters
    ----------
    runs : DataFrame
        From ``load_results``.
    budget : float
        The budget to report.
    reference : str, default="random_forest"
        The system that scores 0 in the normalised scores (e.g. ``lightgbm``
        where the random forest was not run).

    Returns
    -------
    Summary
    """
    runs = impute_failures(runs[runs["budget"] == budget])
    scores = score_table(runs)
    values = runs.pivot_table(
        index="dataset",
        columns="system",
        values="value",
        aggfunc="mean",
        dropna=False,
    ).reindex(index=scores.index, columns=scores.columns)
    metrics = runs.groupby("dataset")["metric"].first().reindex(scores.index)
    normalised = normalised_scores(scores, reference)
    ranks = rank_table(scores)
    baselines = [b for b in BASELINES if b in scores.columns] + before_systems(
        scores.columns
    )
    wtl = {b: wins_ties_losses(scores, metrics, b) for b in baselines}
    return Summary(
        budget,
        runs,
        values,
        scores,
        normalised,
        ranks,
        metrics,
        wtl,
        system_summary(runs, normalised, ranks, wtl),
        reference,
    )


def version_text(versions: pd.Series) -> str:
    """Return the version of a system's runs, saying when there were several.

    ``automl 0.1.0+src.ab12`` and ``automl 0.1.0+src.cd34`` give
    ``automl 0.1.0 (2 source states)``.
    """
    unique = list(dict.fromkeys(versions.dropna().astype(str)))
    if len(unique) <= 1:
        return "".join(unique)
    bases = {v.split("+")[0] for v in unique}
    if len(bases) == 1:
        return f"{bases.pop()} ({len(unique)} source states)"
    return ", ".join(unique)


def system_summary(
    runs: pd.DataFrame,
    normalised: pd.DataFrame,
    ranks: pd.DataFrame,
    wtl: dict[str, dict[str, tuple[int, int, int]]],
) -> pd.DataFrame:
    """Return one row per system: the summary table of the report."""
    rows = []
    for system in ranks.columns:
        mine = runs[runs["system"] == system]
        ok = mine[mine["status"] == "ok"]
        row = {
            "system": system,
            "version": version_text(mine["version"]),
            "mean rank": ranks[system].mean(),
            "mean normalised score": normalised[system].mean(),
        }
        for baseline, counts in wtl.items():
            row[f"W/T/L vs {baseline}"] = "/".join(map(str, counts[system]))
        row["failures"] = int(mine["status"].isin(FAILED).sum())
        row["runs"] = len(mine)
        row["median fit time / budget"] = (ok["fit_seconds"] / ok["budget"]).median()
        rows.append(row)
    return pd.DataFrame(rows)


METRIC_LABEL = {"roc_auc": "AUC ↑", "log_loss": "log loss ↓", "rmse": "RMSE ↓"}


def _number(value: float, digits: int = 4) -> str:
    if value is None or np.isnan(value):
        return "–"
    if abs(value) >= 10**digits:
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Return a GitHub markdown table."""
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join(" --- " for _ in header) + "|")
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def summary_markdown(summary: Summary) -> str:
    """Return the per-system summary table."""
    table = summary.systems
    header = list(table.columns)
    rows = []
    for record in table.to_dict("records"):
        cells = []
        for column in header:
            value = record[column]
            if column.startswith("W/T/L") and column.endswith(record["system"]):
                value = "–"
            elif column in ("mean rank", "mean normalised score"):
                value = (
                    _number(value, 3)
                    if column == "mean rank"
                    else ("–" if np.isnan(value) else f"{value:.3f}")
                )
            elif column == "median fit time / budget":
                value = "–" if np.isnan(value) else f"{value:.2f}"
            cells.append(value)
        rows.append(cells)
    return markdown_table(header, rows)


def _cell(summary: Summary, dataset: str, system: str) -> str:
    mine = summary.runs[
        (summary.runs["dataset"] == dataset) & (summary.runs["system"] == system)
    ]
    if mine.empty:
        return "not run"
    failed = mine[mine["status"].isin(FAILED)]
    if len(failed) == len(mine):
        return "/".join(sorted(set(failed["status"])))
    text = _number(summary.values.at[dataset, system])
    best = summary.scores.loc[dataset].max()
    if np.isclose(summary.scores.at[dataset, system], best, rtol=0, atol=1e-12):
        text = f"**{text}**"
    return text + (f" ({len(failed)} failed)" if len(failed) else "")


def datasets_markdown(summary: Summary) -> str:
    """Return the per-dataset table of raw main-metric values."""
    systems = list(summary.scores.columns)
    header = ["dataset", "task", "metric", *systems]
    tasks = summary.runs.groupby("dataset")["task"].first()
    rows = [
        [d, tasks[d], METRIC_LABEL[summary.metrics[d]]]
        + [_cell(summary, d, s) for s in systems]
        for d in summary.scores.index
    ]
    return markdown_table(header, rows)


def normalised_markdown(summary: Summary) -> str:
    """Return the per-dataset table of normalised scores."""
    systems = list(summary.normalised.columns)
    rows = [
        [d] + [_number(summary.normalised.at[d, s], 3) for s in systems]
        for d in summary.normalised.index
    ]
    return markdown_table(["dataset", *systems], rows)


def losses_markdown(summary: Summary, system: str = "automl") -> str:
    """Return one line per dataset where ``system`` loses to or ties a baseline."""
    if system not in summary.scores.columns:
        return ""
    lines = []
    for outcome, verb in (("loss", "loses to"), ("tie", "only ties")):
        for baseline in summary.wtl:
            for dataset in summary.scores.index:
                found = compare(
                    summary.scores.at[dataset, system],
                    summary.scores.at[dataset, baseline],
                    summary.metrics[dataset],
                )
                if found == outcome:
                    metric = METRIC_LABEL[summary.metrics[dataset]].split()[0]
                    lines.append(
                        f"- {system} {verb} {baseline} on {dataset}: {metric} "
                        f"{_cell(summary, dataset, system).strip('*')} vs "
                        f"{_cell(summary, dataset, baseline).strip('*')}"
                    )
    return "\n".join(lines) or f"- {system} loses to no baseline and ties none."


def failures_markdown(summary: Summary) -> str:
    """Return one line per failed run."""
    failed = summary.runs[summary.runs["status"].isin(FAILED)]
    lines = [
        f"- {r.dataset} / {r.system} / seed {r.seed}: {r.status}: {r.message}"
        for r in failed.itertuples()
    ]
    return "\n".join(lines) or "- none"


def settings_markdown(summary: Summary, sources: Sequence[str | Path]) -> str:
    """Return the lines that say what was run, where and how."""
    runs = summary.runs
    seeds = sorted(runs["seed"].unique())
    jobs = sorted(runs["n_jobs"].dropna().astype(int).unique())
    timeouts = sorted(runs["timeout_seconds"].dropna().unique())
    finished = runs["finished_at"].dropna().astype(str)
    reference_best = [
        d for d in summary.normalised.index if summary.normalised.loc[d].isna().all()
    ]
    lines = [
        f"- results: {', '.join(f'`{source}`' for source in sources)}; "
        f"{len(runs)} runs on {runs['dataset'].nunique()} "
        f"datasets, seeds {', '.join(map(str, seeds))}",
        f"- budget {_number(summary.budget)} s per run; n_jobs "
        f"{', '.join(map(str, jobs))} for every system alike; hard timeout "
        f"{', '.join(_number(t) for t in timeouts)} s",
    ]
    if len(finished):
        lines.append(f"- runs finished between {finished.min()} and {finished.max()}")
    mixed = [
        s
        for s, group in runs.groupby("system")
        if group["version"].dropna().nunique() > 1
    ]
    if mixed:
        lines.append(
            f"- several versions within this run for: {', '.join(mixed)} "
            "(the code changed between runs; see the `version` column)"
        )
    unscored = runs[runs["status"].isin(FAILED) & runs["score"].isna()]
    if len(unscored):
        lines.append(
            "- failed runs left out of the means and ranked last (no `constant` "
            "run on their split to score them; run it with `--systems constant`): "
            + ", ".join(
                f"{d} / {s}"
                for d, s in zip(unscored["dataset"], unscored["system"], strict=True)
            )
        )
    if reference_best:
        lines.append(
            f"- normalised score undefined ({summary.reference} is the best or "
            f"missing) on: {', '.join(reference_best)}"
        )
    return "\n".join(lines)


#: The report's method; ``{reference}`` is the normalised scores' zero.
METHOD = """\
- Main metric per task (what every system is told to optimise): ROC AUC for
  binary, log loss for multiclass, RMSE for regression, on a fixed-seed 80/20
  split (stratified for classification), averaged over seeds.
- A failed run (error or timeout) is scored as the constant predictor on the
  same split, as the AutoML Benchmark does; the per-dataset table shows the
  failure instead.
- Normalised score per dataset: (score - {reference}) / (best - {reference})
  on AUC, -log loss or -RMSE, so that {reference} is 0 and the best system 1.
- Mean rank over datasets (1 = best; ties share the mean rank).
- W/T/L: datasets won, tied, lost against the baseline; a tie is a difference
  of at most 0.1% of the baseline's score, or at most 0.001 for AUC and log
  loss (whichever is larger).
- Median fit time / budget over the runs that finished."""


def build_markdown(summary: Summary, sources: Sequence[str | Path], title: str) -> str:
    """Return the whole report for one budget as markdown."""
    parts = [
        f"# Benchmark report: {title}, {_number(summary.budget)} s",
        settings_markdown(summary, sources),
        "## Summary",
        summary_markdown(summary),
        "## Score per dataset (main metric; best in bold)",
        datasets_markdown(summary),
        f"## Normalised score per dataset ({summary.reference} = 0, best = 1)",
        normalised_markdown(summary),
    ]
    if "automl" in summary.scores.columns:
        parts += [
            "## Where automl loses to or only ties a baseline",
            losses_markdown(summary),
        ]
    method = METHOD.format(reference=summary.reference)
    parts += ["## Failures", failures_markdown(summary), "## Method", method]
    return "\n\n".join(parts) + "\n"


def plot_normalised(summary: Summary, path: str | Path) -> Path:
    """Draw the normalised scores as a heatmap, datasets by systems, to PNG.

    Parameters
    ----------
    summary : Summary
        The report's tables.
    path : str or Path
        The PNG file.

    Returns
    -------
    Path
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = summary.normalised
    height = 1.2 + 0.4 * len(table.index)
    figure, axes = plt.subplots(figsize=(1.4 * len(table.columns) + 3, height))
    image = axes.imshow(
        table.to_numpy(dtype=float).clip(-1, 1),
        cmap="RdYlGn",
        vmin=-1,
        vmax=1,
        aspect="auto",
    )
    axes.set_xticks(range(len(table.columns)), table.columns, rotation=30, ha="right")
    labels = [
        f"{d} (undefined)" if table.loc[d].isna().all() else d for d in table.index
    ]
    axes.set_yticks(range(len(table.index)), labels)
    for i, dataset in enumerate(table.index):
        for j, system in enumerate(table.columns):
            value = table.at[dataset, system]
            axes.text(
                j,
                i,
                "n/a" if np.isnan(value) else _number(value, 2),
                ha="center",
                va="center",
                fontsize=8,
            )
    axes.set_title(
        f"Normalised score, budget {_number(summary.budget)} s "
        f"({summary.reference} = 0, best = 1; colours clipped to [-1, 1])",
        fontsize=9,
    )
    figure.colorbar(image, ax=axes, shrink=0.8)
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def build_report(
    results: str | Path | Sequence[str | Path],
    out: str | Path | None = None,
    added: dict[str, str | Path] | None = None,
    systems: Sequence[str] | None = None,
    reference: str = REFERENCE,
) -> tuple[str, list[Path]]:
    """Write ``report.md`` and the PNG for every budget of a results file.

    Parameters
    ----------
    results : str or Path, or a sequence of them
        A results CSV file or the folder holding ``results.csv``; of several,
        a later one's run of a (dataset, system, seed, budget) replaces an
        earlier one's.
    out : str or Path, optional
        Output folder; default the (first) results file's folder.
    added : dict, optional
        System name to another results file (or folder) whose ``automl`` runs
        are reported under that name, e.g. an older version of ours run
        from a frozen copy.
    systems : sequence of str, optional
        The systems to report (with their same-fit variants, ``automl`` with
        ``automl/best_single``); default all, e.g. leave out ablation arms
        run into the same folder.
    reference : str, default="random_forest"
        The system that scores 0 in the normalised scores.

    Returns
    -------
    markdown : str
        The report.
    files : list of Path
        The files written: the markdown first, then one PNG per budget.
    """
    sources = [results] if isinstance(results, str | Path) else list(results)
    out = Path(out) if out else results_file(sources[0]).parent
    out.mkdir(parents=True, exist_ok=True)
    runs = load_runs(sources)
    if systems is not None:
        runs = runs[runs["system"].str.split("/").str[0].isin(systems)]
    for name, path in (added or {}).items():
        other = load_results(path)
        other = other[other["system"] == "automl"].assign(system=name)
        runs = pd.concat([runs, other], ignore_index=True)
    budgets = sorted(runs["budget"].unique())
    parts, files = [], []
    for budget in budgets:
        summary = summarise(runs, budget, reference)
        parts.append(build_markdown(summary, sources, out.name))
        name = (
            PLOT_FILE
            if len(budgets) == 1
            else (f"normalised_scores_{_number(budget)}s.png")
        )
        files.append(plot_normalised(summary, out / name))
        parts[-1] += f"\n![normalised scores]({name})\n"
    markdown = "\n".join(parts)
    report = out / REPORT_FILE
    report.write_text(markdown)
    return markdown, [report, *files]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m benchmarks.report``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.report",
        description="Markdown table and PNG from a benchmark results file.",
    )
    parser.add_argument(
        "results",
        nargs="+",
        help="results folders or results.csv files; a later one's run replaces "
        "an earlier one's",
    )
    parser.add_argument(
        "--out", default=None, help="output folder (default: beside the results)"
    )
    parser.add_argument(
        "--add",
        action="append",
        default=[],
        metavar="NAME=RESULTS",
        help="report the automl runs of another results file as system NAME",
    )
    parser.add_argument(
        "--systems",
        default=None,
        help="comma-separated systems to report (default: all in the results)",
    )
    parser.add_argument(
        "--reference",
        default=REFERENCE,
        help="the system that scores 0 in the normalised scores (default: "
        f"{REFERENCE})",
    )
    args = parser.parse_args(argv)
    added = dict(item.split("=", 1) for item in args.add)
    systems = None if args.systems is None else args.systems.split(",")
    markdown, files = build_report(
        args.results, args.out, added, systems, args.reference
    )
    print(markdown)
    print("wrote " + ", ".join(str(f) for f in files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
