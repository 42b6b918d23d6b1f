"""Property-based tests: invariants of ``FeatureTyper`` on random mixed frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automl.data import FeatureTyper

pytestmark = pytest.mark.filterwarnings("error")

_MISSING = st.sampled_from([np.nan, None, pd.NA])
_FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)
_WORDS = st.sampled_from(["a", "b", "c", "dd", "1", ""])
_DATES = st.datetimes(
    min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
    max_value=pd.Timestamp("2030-01-01").to_pydatetime(),
)


@st.composite
def _column(draw: st.DrawFn, n_rows: int) -> pd.Series:
    kind = draw(st.sampled_from(["float", "int", "Int64", "bool", "str", "cat", "dt"]))
    missing = st.one_of(st.just(None), _MISSING)
    if kind == "float":
        return pd.Series(draw(st.lists(_FLOATS, min_size=n_rows, max_size=n_rows)))
    if kind in ("int", "Int64"):
        ints = st.lists(st.integers(-5, 5), min_size=n_rows, max_size=n_rows)
        return pd.Series(draw(ints), dtype="int64" if kind == "int" else "Int64")
    if kind == "bool":
        return pd.Series(
            draw(st.lists(st.booleans(), min_size=n_rows, max_size=n_rows))
        )
    if kind == "dt":
        values = draw(
            st.lists(st.one_of(_DATES, st.none()), min_size=n_rows, max_size=n_rows)
        )
        return pd.Series(pd.to_datetime(values))
    words = draw(st.lists(st.one_of(_WORDS, missing), min_size=n_rows, max_size=n_rows))
    return pd.Series(words, dtype="str" if kind == "str" else "category")


@st.composite
def _frames(draw: st.DrawFn) -> pd.DataFrame:
    n_rows = draw(st.integers(1, 12))
    n_cols = draw(st.integers(1, 5))
    return pd.DataFrame({f"c{i}": draw(_column(n_rows)) for i in range(n_cols)})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(X=_frames(), seed=st.integers(0, 2**16))
def test_typed_output_invariants(X: pd.DataFrame, seed: int) -> None:
    typer = FeatureTyper().fit(X)
    Xt = typer.transform(X)
    assert list(Xt.columns) == list(typer.columns_.all)
    assert len(Xt) == len(X)
    for name in typer.columns_.numeric:
        assert Xt[name].dtype == np.float64
        values = Xt[name].to_numpy()
        assert not np.isinf(values).any()
    for name in typer.columns_.categorical:
        assert Xt[name].dtype == typer.specs_[name].dtype  # type: ignore[union-attr]
    rng = np.random.default_rng(seed)
    # Rows are typed independently of each other and of the column order.
    rows = rng.permutation(len(X))[: max(1, len(X) // 2)]
    columns = list(rng.permutation(X.columns))
    subset = typer.transform(X.iloc[rows][columns])
    pd.testing.assert_frame_equal(subset, Xt.iloc[rows].reset_index(drop=True))
