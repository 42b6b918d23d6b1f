"""Named dataset suites.

``quick``: ten datasets of the developer corpus (``../shared/datasets``) with
mixed tasks (4 binary, 3 multiclass, 3 regression), sizes from 683 to 32,561
rows, string columns and missing values. At 60 s and one seed on 2 cores,
``automl`` with the baselines and the constant predictor takes about 13
minutes, with FLAML about 25, with AutoGluon too about 40.

``full``: every dataset of the index.
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.datasets import DatasetSpec

QUICK = (
    "adult",  # binary, 32,561 rows, strings and missing values
    "credit-g",  # binary, 1,000 rows, strings
    "sick",  # binary, 3,772 rows, imbalanced, strings and missing values
    "phoneme",  # binary, 5,404 rows, numeric
    "car",  # multiclass (4), 1,728 rows, strings
    "soybean",  # multiclass (19), 683 rows, strings and missing values
    "satimage",  # multiclass (6), 6,435 rows, numeric
    "house-prices",  # regression, 1,460 rows, 80 features, strings and missing
    "abalone",  # regression, 4,177 rows, one string column
    "california-housing",  # regression, 20,640 rows, numeric
)
SUITES: dict[str, tuple[str, ...] | None] = {"quick": QUICK, "full": None}


def select(
    specs: Sequence[DatasetSpec],
    suite: str = "full",
    names: Sequence[str] | None = None,
) -> list[DatasetSpec]:
    """Choose the datasets of a run.

    Parameters
    ----------
    specs : sequence of DatasetSpec
        Every dataset of the index.
    suite : str, default="full"
        ``quick`` or ``full``.
    names : sequence of str, optional
        Explicit dataset names; they override ``suite``.

    Returns
    -------
    list of DatasetSpec
        In the order of the suite (or of ``names``).
    """
    if names:
        wanted: Sequence[str] | None = list(names)
    elif suite in SUITES:
        wanted = SUITES[suite]
    else:
        raise ValueError(f"unknown suite {suite!r}; choose from {sorted(SUITES)}")
    if wanted is None:
        return list(specs)
    by_name = {spec.name: spec for spec in specs}
    missing = [name for name in wanted if name not in by_name]
    if missing:
        raise ValueError(f"datasets not in the index: {missing}")
    return [by_name[name] for name in wanted]
