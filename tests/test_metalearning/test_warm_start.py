"""The offline builder end to end on a tiny corpus, and warm-started fits.

The corpus is made here (never ``../shared``): two small binary tasks and
two regression tasks, searched with two trials each over two families.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sklearn.datasets import load_breast_cancer

from automl import AutoClassifier
from automl.metalearning.build import main as build
from automl.metalearning.metadata import (
    BUILD_DIR,
    METADATA_FILE,
    compile_metadata,
    load_metadata,
    uses_knowledge,
)
from automl.metalearning.warm_start import (
    initial_design,
    with_strong_defaults,
)
from automl.policy import Policy
from automl.space import build_space, select_models
from tests.test_benchmarks.conftest import binary_frame, regression_frame, write_index

pytestmark = pytest.mark.slow

MODELS = "linear,lightgbm"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = tmp_path_factory.mktemp("corpus")
    rows = []
    for seed in range(2):
        name = f"binary-{seed}"
        binary_frame(n=160, seed=seed).to_csv(corpus / f"{name}.csv", index=False)
        rows.append(
            {"name": name, "file": f"{name}.csv", "task": "binary", "target": "label"}
        )
    for n in (150, 220):
        name = f"regression-{n}"
        regression_frame(n).to_csv(corpus / f"{name}.csv", index=False)
        rows.append(
            {
                "name": name,
                "file": f"{name}.csv",
                "task": "regression",
                "target": "progression",
            }
        )
    write_index(corpus, rows)
    out = tmp_path_factory.mktemp("metadata")
    args = [
        "--corpus",
        str(corpus),
        "--out",
        str(out),
        "--compiled",
        str(out / METADATA_FILE),
        "--search-trials",
        "2",
        "--models",
        MODELS,
    ]
    build(args)
    (out / "corpus").write_text(str(corpus))
    return out


def _lines(folder: Path, prefix: str) -> int:
    return sum(len(p.read_text().splitlines()) for p in folder.glob(f"{prefix}-*"))


def test_builder_fills_the_matrix_and_compiles_a_portfolio(built: Path) -> None:
    metadata = load_metadata(built)
    assert metadata is not None
    assert {t["name"] for t in metadata["tasks"]} == {
        "binary-0",
        "binary-1",
        "regression-150",
        "regression-220",
    }
    matrix = [
        json.loads(line)
        for p in (built / BUILD_DIR).glob("matrix-*")
        for line in p.read_text().splitlines()
    ]
    pairs = {(r["task"], r["candidate"]) for r in matrix}
    assert len(pairs) == len(matrix)  # nothing evaluated twice
    # RMSE in the target's units (about 60 here): no loss capped at a crash loss.
    regression = {r["loss"] for r in matrix if r["task"] == "regression-220"}
    assert len(regression) > 1 and min(regression) > 10
    generated = [r for r in matrix if r["candidate"] == "generated:lightgbm"]
    assert {r["task"] for r in generated} == {t["name"] for t in metadata["tasks"]}
    assert all(r["status"] == "ok" for r in generated)
    assert "generated:lightgbm" in metadata["candidates"]
    for group in ("classification", "regression"):
        members = metadata["portfolio"][group]["members"]
        assert members and set(members) <= set(metadata["candidates"])
        assert len(metadata["portfolio"][group]["held_out_regret"]) >= len(members)
        assert metadata["portfolio"][group]["median_trial_scale"] > 0
        for limited in metadata["portfolio"][group]["by_time_limit"].values():
            assert set(limited["members"]) <= set(metadata["candidates"])
    assert all(
        c.split(":")[1] in MODELS
        for c in metadata["candidates"]
        if c.startswith("default:")
    )


def test_builder_resumes_without_redoing_work(built: Path) -> None:
    folder = built / BUILD_DIR
    before = (_lines(folder, "search"), _lines(folder, "matrix"))
    with (folder / "search-0.jsonl").open("a") as handle:
        handle.write('{"task": "torn')  # a line cut by a kill
    build(
        [
            "--corpus",
            (built / "corpus").read_text(),
            "--out",
            str(built),
            "--compiled",
            str(built / METADATA_FILE),
            "--search-trials",
            "2",
            "--models",
            MODELS,
        ]
    )
    assert (_lines(folder, "search") - 1, _lines(folder, "matrix")) == before


def test_compile_can_leave_a_task_out(built: Path) -> None:
    metadata = compile_metadata(built / BUILD_DIR, exclude=["binary-0"])
    assert "binary-0" not in {t["name"] for t in metadata["tasks"]}
    assert "task:binary-0" not in metadata["candidates"]


def test_defaults_first_portfolios_start_with_the_family_defaults(built: Path) -> None:
    metadata = compile_metadata(built / BUILD_DIR, defaults_first=True)
    plain = compile_metadata(built / BUILD_DIR)
    assert metadata["tasks"] == plain["tasks"]
    for portfolio in metadata["portfolio"].values():
        assert set(portfolio["members"]) <= set(metadata["candidates"])
        for limited in [portfolio, *portfolio["by_time_limit"].values()]:
            is_default = [m.startswith("default:") for m in limited["members"]]
            assert is_default[0]
            assert is_default == sorted(is_default, reverse=True)  # then the others


def test_fit_starts_from_its_initial_design(built: Path) -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = AutoClassifier(
        time_limit=None,
        max_trials=4,
        n_jobs=1,
        include=MODELS.split(","),
        meta_learning=str(built),
    )
    model.fit(X[:300], y[:300])
    design = [origin for origin, _ in model.initial_design_]
    assert design[0] == "portfolio"
    assert len(design) >= 2  # padded with family defaults when short
    n = min(4, len(design))
    assert [t["origin"] for t in model.trials_][:n] == design[:n]
    assert [t["config"] for t in model.trials_][:n] == [
        c for _, c in model.initial_design_
    ][:n]

    cold = AutoClassifier(
        time_limit=None,
        max_trials=2,
        n_jobs=1,
        include=MODELS.split(","),
        meta_learning=False,
    )
    cold.fit(X[:300], y[:300])
    assert [t["origin"] for t in cold.trials_] == ["default"] * 2


def test_nearest_tasks_are_interleaved_with_the_portfolio_without_duplicates(
    built: Path,
) -> None:
    metadata = load_metadata(built)
    assert metadata is not None
    for task in metadata["tasks"]:
        rate = 0.05 if task["type"] == "binary" else 0.2
        task["best"] = [{"model": "lightgbm", "model:lightgbm:learning_rate": rate}]
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = AutoClassifier(max_trials=1, include=MODELS.split(","))
    _, data = model._plan(X, y)
    space = build_space(
        data.properties, select_models("binary", include=MODELS.split(","))
    )
    design = initial_design(space, metadata, data.X, data.y, "binary", data.columns)
    origins = [origin for origin, _ in design]
    assert origins[:2] == ["portfolio", "nearest-task"]  # tried early, not last
    # The strong simple defaults are among the first configurations.
    early = {c["model"] for o, c in design[:7] if o == "default"} | {
        c["model"] for _, c in design[:4]
    }
    assert set(Policy().strong_defaults) & set(MODELS.split(",")) <= early
    rates = {
        c.get("model:lightgbm:learning_rate") for o, c in design if o == "nearest-task"
    }
    assert rates == {0.05}  # only the binary task; the regression one is not near
    keys = [json.dumps(c, sort_keys=True) for _, c in design]
    assert len(keys) == len(set(keys))


def test_defaults_first_design_starts_as_a_fit_without_meta_learning(
    built: Path,
) -> None:
    metadata = compile_metadata(built / BUILD_DIR, defaults_first=True)
    for task in metadata["tasks"]:
        task["best"] = [{"model": "lightgbm", "model:lightgbm:learning_rate": 0.05}]
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    _, data = AutoClassifier(max_trials=1, include=MODELS.split(","))._plan(X, y)
    space = build_space(
        data.properties, select_models("binary", include=MODELS.split(","))
    )
    args = (space, metadata, data.X, data.y, "binary", data.columns)
    design = initial_design(*args)
    cold = initial_design(space, None, *args[2:])
    assert design[: len(cold)] == cold
    added = {origin for origin, _ in design[len(cold) :]}
    assert added <= {"portfolio", "nearest-task"}
    assert len(design) > len(cold)  # then what the knowledge base adds
    assert not compile_metadata(built / BUILD_DIR)["defaults_first"]


def test_a_gated_knowledge_base_is_used_only_for_its_types_and_budgets(
    built: Path,
) -> None:
    gates = {"binary": 300.0, "regression": None}
    metadata = compile_metadata(built / BUILD_DIR, knowledge_from=gates)
    assert compile_metadata(built / BUILD_DIR)["knowledge_from"] is None
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    _, data = AutoClassifier(max_trials=1, include=MODELS.split(","))._plan(X, y)
    space = build_space(
        data.properties, select_models("binary", include=MODELS.split(","))
    )
    args = (data.X, data.y, "binary", data.columns)
    cold = initial_design(space, None, *args)
    ungated = initial_design(space, compile_metadata(built / BUILD_DIR), *args)
    assert ungated != cold

    def design(time_limit: float | None, n_cores: int) -> list[Any]:
        return initial_design(
            space, metadata, *args, time_limit=time_limit, n_cores=n_cores
        )

    assert design(120, 2) == cold  # 240 core-seconds: under the gate
    assert design(150, 2)[0][0] == "portfolio"  # 300: over it
    assert design(None, 1)[0][0] == "portfolio"  # no time limit
    assert uses_knowledge(metadata, "multiclass", None, 1) is False  # no entry
    assert uses_knowledge(metadata, "regression", 3600, 2) is False  # never


def test_strong_defaults_come_early_on_small_tables_only() -> None:
    strong, max_rows = Policy().strong_defaults, Policy().strong_defaults_max_rows
    defaults = {f: {"model": f} for f in ("lightgbm", *strong)}
    seeds = [("portfolio", {"model": "lightgbm", "rate": i}) for i in range(6)]
    small = with_strong_defaults(seeds, defaults, n_rows=max_rows)
    assert small[:4] == seeds[:4] and small[7:] == seeds[4:]
    assert [c["model"] for _, c in small[4:7]] == list(strong)
    large = with_strong_defaults(seeds, defaults, n_rows=max_rows + 1)
    assert large == seeds


def test_stale_configurations_are_repaired_or_dropped(built: Path) -> None:
    metadata = json.loads((built / METADATA_FILE).read_text())
    metadata["space_hash"] = "older"
    for config in metadata["candidates"].values():
        if config is not None:
            config["model"] = "a_family_we_removed"
            config["model:old:gone"] = 3
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = AutoClassifier(max_trials=1, include=MODELS.split(","))
    _, data = model._plan(X, y)
    space = build_space(
        data.properties, select_models("binary", include=MODELS.split(","))
    )
    with pytest.warns(UserWarning, match="another version"):
        design = initial_design(space, metadata, data.X, data.y, "binary", data.columns)
    assert design  # the defaults and repairable configurations remain
    assert all(config["model"] in MODELS for _, config in design)


def test_missing_knowledge_base_warns_and_falls_back(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="No meta-learning knowledge base"):
        assert load_metadata(tmp_path) is None


def test_large_tables_try_the_boosters_large_configurations_second() -> None:
    from automl.metalearning.warm_start import with_large_table_configs

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    _, data = AutoClassifier(max_trials=1)._plan(X, y)
    families = ["linear", "lightgbm", "xgboost"]
    space = build_space(data.properties, families)
    seeds = initial_design(space, None, data.X, data.y, "binary", data.columns)
    small = with_large_table_configs(seeds, space, 99_999)
    assert small == seeds
    large = with_large_table_configs(seeds, space, 100_000)
    assert large[0] == seeds[0] and large[3:] == seeds[1:]
    assert [(o, c["model"]) for o, c in large[1:3]] == [
        ("large table", "lightgbm"),
        ("large table", "xgboost"),
    ]
    lightgbm = large[1][1]
    assert lightgbm["model:lightgbm:num_leaves"] == 255
    assert lightgbm["model:lightgbm:n_estimators"] == 1000
    assert large[2][1]["model:xgboost:max_depth"] == 10
