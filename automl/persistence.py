"""Save and load fitted estimators, with the versions they were made with.

A model file (``.automl`` by convention) is a zip archive with two members:

* ``metadata.json``: the file format, the estimator's class, when it was
  saved, the versions of Python, automl and every library whose objects the
  model contains, the :class:`~automl.policy.Policy` the fit ran with, and
  free-form ``info`` (the command line stores the target and id columns
  there). It is read, and the versions are checked, before
  anything else is loaded.
* ``estimator.pkl`` (pickle, the default) or ``estimator.skops`` (skops).

.. warning::
   A pickled model is code: loading it can run anything its author wanted.
   Load pickle files only from sources you trust. For files from elsewhere,
   save with ``format="skops"``: loading it constructs only types that
   automl, scikit-learn and the model libraries define and that you accept
   (see :func:`untrusted_types`), and runs no code from the file.

Plain ``pickle.dump(estimator)`` keeps working too; it just records no versions.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.metadata
import io
import json
import pickle
import platform
import re
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from automl._version import __version__
from automl.exceptions import (
    IncompatibleVersionsError,
    ModelFileError,
    VersionMismatchWarning,
)

FORMAT = "automl-model"
FORMAT_VERSION = 1
_METADATA = "metadata.json"
_PAYLOADS = {"pickle": "estimator.pkl", "skops": "estimator.skops"}
#: Always recorded: the estimator cannot exist without them.
_CORE = ("automl", "python", "scikit-learn", "numpy")

#: Types that skops does not trust by default but that a skops file of a
#: fitted estimator contains, and that :func:`load` accepts without being told:
#: scikit-learn internals, and the model classes of LightGBM, XGBoost and
#: CatBoost (their loaders parse a saved model description in native code; no
#: Python code from the file runs). automl's own classes are trusted too.
TRUSTED_TYPES: frozenset[str] = frozenset(
    {
        "automl.persistence._Frame",
        "automl.persistence._Categories",
        "automl.persistence._Index",
        "catboost.core.CatBoostClassifier",
        "catboost.core.CatBoostRegressor",
        "collections.OrderedDict",
        "functools.partial",
        "lightgbm.basic.Booster",
        "lightgbm.sklearn.LGBMClassifier",
        "lightgbm.sklearn.LGBMRegressor",
        "numpy.dtype",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.metrics._dist_metrics.EuclideanDistance64",
        "sklearn.metrics._dist_metrics.ManhattanDistance64",
        "sklearn.metrics._dist_metrics.MinkowskiDistance64",
        "sklearn.neighbors._ball_tree.BallTree",
        "sklearn.neighbors._kd_tree.KDTree",
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
        "sklearn.tree._tree.Tree",
        "sklearn.utils.validation.check_array",
        "xgboost.core.Booster",
        "xgboost.sklearn.XGBClassifier",
        "xgboost.sklearn.XGBRegressor",
    }
)
#: automl modules whose classes and functions a skops file may name.
_TRUSTED_AUTOML_MODULES = (
    "automl.estimators",
    "automl.data",
    "automl.ensemble",
    "automl.space",
    "automl.metrics",
    "automl.policy",
)


def save(
    estimator: Any,
    path: str | Path,
    *,
    format: str = "pickle",
    info: dict[str, Any] | None = None,
) -> Path:
    """Save a fitted estimator with the versions of the libraries it uses.

    Parameters
    ----------
    estimator : AutoClassifier or AutoRegressor
        A fitted estimator (any picklable object works).
    path : str or Path
        File to write; ``.automl`` is the usual extension. Missing parent
        folders are created.
    format : {"pickle", "skops"}, default="pickle"
        ``"pickle"`` stores anything and loads fast; ``"skops"`` can be loaded
        safely from an untrusted source (needs ``pip install skops``).
    info : dict or None, default=None
        JSON-serialisable facts to keep with the model (read them back with
        :func:`read_metadata`).

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn.datasets import load_iris
    >>> from automl import AutoClassifier, load
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = AutoClassifier(time_limit=20, max_trials=1, n_jobs=1).fit(X, y)
    >>> path = save(clf, tempfile.mkdtemp() + "/iris.automl")
    >>> bool((load(path).predict(X[:3]) == clf.predict(X[:3])).all())
    True
    """
    if format not in _PAYLOADS:
        raise ValueError(
            f"format must be one of {sorted(_PAYLOADS)}; got {format!r}. Use "
            "'pickle' (fast, trusted files only) or 'skops' (safe to load)."
        )
    payload = _dump_pickle(estimator) if format == "pickle" else _dump_skops(estimator)
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "serializer": format,
        "estimator": type(estimator).__name__,
        "saved_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": payload.versions,
        "policy": getattr(estimator, "ensemble_info_", {}).get("policy"),
        "info": info or {},
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_METADATA, json.dumps(metadata, indent=2, default=str))
        archive.writestr(_PAYLOADS[format], payload.data)
    tmp.replace(path)
    return path


def load(
    path: str | Path,
    *,
    trusted: Iterable[str] | None = None,
    allow_version_mismatch: bool = False,
) -> Any:
    """Load an estimator saved by :func:`save`, after checking library versions.

    Versions that differ in the patch number (``1.9.1`` vs ``1.9.2``) give a
    :class:`~automl.exceptions.VersionMismatchWarning`; a different major or
    minor version (``1.9`` vs ``1.10``) refuses to load, because the objects
    inside may have changed shape and predict wrongly or crash.

    .. warning::
       Files saved with ``format="pickle"`` (the default) can run arbitrary
       code when loaded: load them only from sources you trust.

    Parameters
    ----------
    path : str or Path
        A file written by :func:`save` (or ``estimator.save(...)``).
    trusted : iterable of str or None, default=None
        skops files only: further type names to accept, beyond those of
        scikit-learn, numpy and :data:`TRUSTED_TYPES`. List a file's types
        with :func:`untrusted_types` and pass those you trust.
    allow_version_mismatch : bool, default=False
        Load even when major or minor versions differ (with a warning).

    Returns
    -------
    estimator
        The fitted estimator.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ModelFileError
        If the file is not an automl model file, or a skops file contains types
        that are not trusted.
    IncompatibleVersionsError
        If versions differ in major or minor number (a ``ModelFileError``).

    Examples
    --------
    >>> from automl import load
    >>> clf = load("model.automl")  # doctest: +SKIP
    """
    path = Path(path)
    metadata = read_metadata(path)
    check_versions(metadata["versions"], allow_mismatch=allow_version_mismatch)
    serializer = metadata["serializer"]
    with zipfile.ZipFile(path) as archive:
        data = archive.read(_PAYLOADS[serializer])
    if serializer == "pickle":
        return pickle.loads(data)
    return _load_skops(data, trusted, path)


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The metadata of a model file, without loading the model.

    Parameters
    ----------
    path : str or Path
        A file written by :func:`save`.

    Returns
    -------
    dict
        ``format``, ``format_version``, ``serializer``, ``estimator``,
        ``saved_at``, ``versions`` (library → version), ``policy`` (the
        fit's :meth:`~automl.policy.Policy.as_dict`, None for a model saved
        before it was recorded) and ``info``.

    Examples
    --------
    >>> read_metadata("model.automl")["versions"]["scikit-learn"]  # doctest: +SKIP
    '1.9.1'
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No model file at {path}.")
    try:
        with zipfile.ZipFile(path) as archive:
            metadata = json.loads(archive.read(_METADATA))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ModelFileError(
            f"{path} is not a model file saved by automl.save() ({exc}). A plain "
            "pickle loads with pickle.load(open(path, 'rb')), from trusted "
            "sources only."
        ) from exc
    if metadata.get("format") != FORMAT or metadata.get("serializer") not in _PAYLOADS:
        raise ModelFileError(f"{path} is not a model file saved by automl.save().")
    if metadata.get("format_version", 0) > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} uses model file format {metadata['format_version']}, newer "
            f"than this automl ({__version__}) reads. Upgrade automl."
        )
    return dict(metadata)


def untrusted_types(path: str | Path) -> list[str]:
    """Types in a skops model file that :func:`load` would refuse without ``trusted``.

    Parameters
    ----------
    path : str or Path
        A file written by :func:`save` with ``format="skops"``.

    Returns
    -------
    list of str
        Fully qualified type names; empty when everything is trusted.

    Examples
    --------
    >>> untrusted_types("model.automl")  # doctest: +SKIP
    []
    """
    path = Path(path)
    metadata = read_metadata(path)
    if metadata["serializer"] != "skops":
        raise ModelFileError(
            f"{path} is a pickle file; untrusted types exist only for skops files. "
            "Pickle files can run any code: load them only from trusted sources."
        )
    with zipfile.ZipFile(path) as archive:
        data = archive.read(_PAYLOADS["skops"])
    return _untrusted(data, set())


# -- versions ----------------------------------------------------------------------


def current_versions(packages: Iterable[str] = ()) -> dict[str, str]:
    """Installed versions of automl, Python, the core libraries and ``packages``.

    Parameters
    ----------
    packages : iterable of str
        Further distribution names (e.g. ``"lightgbm"``); those not installed
        are left out.

    Returns
    -------
    dict
        Distribution name → version string.

    Examples
    --------
    >>> sorted(current_versions(["pandas"]))
    ['automl', 'numpy', 'pandas', 'python', 'scikit-learn']
    """
    versions = {"automl": __version__, "python": platform.python_version()}
    for name in (*_CORE[2:], *packages):
        if name in versions:
            continue
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def check_versions(saved: dict[str, str], *, allow_mismatch: bool = False) -> None:
    """Compare the versions a model was saved with to the installed ones.

    Parameters
    ----------
    saved : dict
        Library → version, as in a model file's metadata.
    allow_mismatch : bool, default=False
        Warn instead of raising when major or minor versions differ.

    Raises
    ------
    IncompatibleVersionsError
        If a major or minor version differs (or a library is missing) and
        ``allow_mismatch`` is False.

    Examples
    --------
    >>> check_versions({"python": "1.0.0"})  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    IncompatibleVersionsError: ...
    """
    installed = current_versions(saved)
    major: list[str] = []
    patch: list[str] = []
    for name, version in sorted(saved.items()):
        now = installed.get(name)
        if now == version:
            continue
        line = f"{name} {version} (saved) vs {now or 'not installed'} (installed)"
        same_minor = now is not None and _minor(now) == _minor(version)
        (patch if same_minor else major).append(line)
    if major and not allow_mismatch:
        raise IncompatibleVersionsError(
            "This model was saved with other versions of libraries it needs: "
            + "; ".join(major + patch)
            + ". Objects can change between minor versions, so predictions could "
            "be wrong. Install the saved versions (e.g. pip install "
            + " ".join(_pins(saved, major))
            + "), or pass allow_version_mismatch=True to load it anyway."
        )
    if major or patch:
        warnings.warn(
            "This model was saved with other versions: "
            + "; ".join(major + patch)
            + ". It should work; refit it if predictions look wrong.",
            VersionMismatchWarning,
            stacklevel=3,
        )


def _minor(version: str) -> tuple[int, ...]:
    numbers = re.findall(r"\d+", version)[:2]
    return tuple(int(n) for n in numbers)


def _pins(saved: dict[str, str], lines: list[str]) -> list[str]:
    names = [line.split(" ", 1)[0] for line in lines]
    return [f"{name}=={saved[name]}" for name in names if name != "python"]


# -- pickle ------------------------------------------------------------------------


@dataclass
class _Payload:
    data: bytes
    versions: dict[str, str]


class _RecordingPickler(pickle.Pickler):
    """A pickler that notes the top-level package of every object it stores."""

    def __init__(self, file: Any) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.packages: set[str] = set()

    def reducer_override(self, obj: Any) -> Any:
        kind = obj if isinstance(obj, type) else type(obj)
        module = getattr(kind, "__module__", None)
        if isinstance(module, str):  # a slot descriptor on some 3.10 types
            self.packages.add(module.split(".", 1)[0])
        return NotImplemented


def _dump_pickle(estimator: Any) -> _Payload:
    buffer = io.BytesIO()
    pickler = _RecordingPickler(buffer)
    pickler.dump(estimator)
    return _Payload(buffer.getvalue(), _versions_of(pickler.packages))


def _versions_of(packages: set[str]) -> dict[str, str]:
    """Versions of the distributions that provide ``packages`` (imported modules)."""
    providers = importlib.metadata.packages_distributions()
    distributions = {
        dist for pkg in packages if pkg != "automl" for dist in providers.get(pkg, ())
    }
    return current_versions(sorted(distributions))


# -- skops -------------------------------------------------------------------------


@dataclass
class _Frame:
    """A pandas DataFrame as plain lists (skops cannot store pandas objects)."""

    columns: list[Any]
    data: dict[str, list[Any]]
    dtypes: dict[str, str]


@dataclass
class _Categories:
    """A pandas CategoricalDtype as plain values."""

    categories: list[Any]
    dtype: str
    ordered: bool


@dataclass
class _Index:
    """A pandas Index as plain values."""

    values: list[Any]
    dtype: str


def _to_plain(obj: Any) -> Any:
    if isinstance(obj, pd.DataFrame):
        columns = [str(c) for c in obj.columns]
        frame = obj.set_axis(columns, axis=1)
        dtypes = {c: str(t) for c, t in frame.dtypes.items()}
        return _Frame(columns, frame.to_dict(orient="list"), dtypes)
    if isinstance(obj, pd.CategoricalDtype):
        categories = obj.categories
        return _Categories(
            categories.tolist(), str(categories.dtype), bool(obj.ordered)
        )
    if isinstance(obj, pd.Index):
        return _Index(obj.tolist(), str(obj.dtype))
    return obj


def _from_plain(obj: Any) -> Any:
    if isinstance(obj, _Frame):
        columns = {c: _series(obj.data[c], obj.dtypes.get(c)) for c in obj.columns}
        return pd.DataFrame(columns, columns=obj.columns)
    if isinstance(obj, _Categories):
        index = pd.Index(obj.categories, dtype=obj.dtype)
        return pd.CategoricalDtype(index, ordered=obj.ordered)
    if isinstance(obj, _Index):
        return pd.Index(obj.values, dtype=obj.dtype)
    return obj


def _series(values: list[Any], dtype: str | None) -> pd.Series:
    """A column with its saved dtype (inferred when that dtype cannot be rebuilt)."""
    try:
        return pd.Series(values, dtype=dtype)
    except (TypeError, ValueError):
        return pd.Series(values)


def _replace(obj: Any, convert: Any, seen: set[int]) -> Any:
    """``convert`` every object in the graph under ``obj``, in place where possible."""
    new = convert(obj)
    if new is not obj or id(obj) in seen:
        return new
    seen.add(id(obj))
    if isinstance(obj, dict):
        for key, value in obj.items():
            obj[key] = _replace(value, convert, seen)
    elif isinstance(obj, list):
        obj[:] = [_replace(value, convert, seen) for value in obj]
    elif isinstance(obj, tuple):
        values = [_replace(value, convert, seen) for value in obj]
        if any(v is not o for v, o in zip(values, obj, strict=True)):
            return type(obj)(values) if type(obj) is tuple else type(obj)(*values)
    elif _is_plain_object(obj):
        state = vars(obj)
        for key, value in state.items():
            state[key] = _replace(value, convert, seen)
    return obj


def _is_plain_object(obj: Any) -> bool:
    module = type(obj).__module__ or ""
    return (
        hasattr(obj, "__dict__")
        and not isinstance(obj, type)
        and not module.startswith(("numpy", "pandas", "builtins"))
    )


def _dump_skops(estimator: Any) -> _Payload:
    try:
        import skops.io as sio
    except ImportError as exc:
        raise ImportError(
            "format='skops' needs skops: pip install skops (or use format='pickle' "
            "for models you will only load yourself)."
        ) from exc
    recorded = _dump_pickle(estimator)  # a private copy, and the versions
    copy = pickle.loads(recorded.data)
    copy = _replace(copy, _to_plain, set())
    try:
        data = sio.dumps(copy, compression=zipfile.ZIP_DEFLATED)
    except Exception as exc:
        raise ModelFileError(
            f"skops cannot store this model ({type(exc).__name__}: {exc}). "
            "Save it with format='pickle', and load it only where you trust it."
        ) from exc
    versions = dict(recorded.versions)
    versions.update(current_versions(["skops"]))
    return _Payload(data, versions)


def _load_skops(data: bytes, trusted: Iterable[str] | None, path: Path) -> Any:
    import skops.io as sio

    accepted = set(trusted or ())
    refused = _untrusted(data, accepted)
    if refused:
        raise ModelFileError(
            f"{path} contains types that are not trusted: {', '.join(refused)}. "
            "If you trust them (see automl.persistence.untrusted_types), pass "
            "them as load(path, trusted=[...])."
        )
    untrusted = sio.get_untrusted_types(data=data)
    estimator = sio.loads(data, trusted=untrusted)
    return _replace(estimator, _from_plain, set())


def _untrusted(data: bytes, accepted: set[str]) -> list[str]:
    import skops.io as sio

    names = sio.get_untrusted_types(data=data)
    return sorted(n for n in names if n not in accepted and not _trusted_by_default(n))


def _trusted_by_default(name: str) -> bool:
    """Types automl itself produces: listed library types and automl's own classes."""
    if name in TRUSTED_TYPES:
        return True
    module, _, attribute = name.rpartition(".")
    if not any(
        module == m or module.startswith(m + ".") for m in _TRUSTED_AUTOML_MODULES
    ):
        return False
    try:
        value = getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError):
        return False
    # automl's classes are data containers; functions only from automl.metrics.
    return isinstance(value, type) or module == "automl.metrics"
