"""Präventionsatlas analysis package: need, reach and gaps of preventive offers per district.

The names the pages and the command line use, importable from here::

    from geo import DataError, Params, analyse, load_demo

    result = analyse(load_demo(), Params(year=2024))

========================================  ==============================================================
:func:`analyse`, :class:`Params`,          the whole run (:mod:`geo.analysis`)
:class:`Result`, :func:`column`
:class:`Dataset`, :func:`load_demo`        the layers of one analysis, the built-in demo
:class:`Workspace`                         the versioned store of uploads (:mod:`geo.store`)
:func:`check_upload`,                      an upload checked, then stored (:mod:`geo.ingest`)
:func:`commit_upload`, :class:`UploadCheck`
:class:`ExportOptions`                     options of every export product; the products come from
                                           ``geo.export.export`` (:mod:`geo.export`)
:class:`DataError`,                        the user's data (or the workspace) cannot be used; German message
:class:`VersionConflict`,
:func:`log_incident`
========================================  ==============================================================

The names load on first use: ``import geo.settings`` stays cheap and no layer's import order matters. The
function ``export`` is not re-exported: ``geo.export`` is its module's name.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

#: Public name → module that defines it.
_SOURCES: dict[str, str] = {
    "analyse": "geo.analysis",
    "Params": "geo.analysis",
    "Result": "geo.analysis",
    "column": "geo.analysis",
    "Dataset": "geo.dataset",
    "load_demo": "geo.demo",
    "Workspace": "geo.store",
    "check_upload": "geo.ingest",
    "commit_upload": "geo.ingest",
    "UploadCheck": "geo.ingest",
    "ExportOptions": "geo.export",
    "DataError": "geo._errors",
    "VersionConflict": "geo._errors",
    "log_incident": "geo._errors",
}

__all__ = [
    "DataError", "Dataset", "ExportOptions", "Params", "Result", "UploadCheck", "VersionConflict", "Workspace",
    "analyse", "check_upload", "column", "commit_upload", "load_demo", "log_incident",
]

if TYPE_CHECKING:  # for type checkers and editors; at run time the names load lazily
    from geo._errors import DataError, VersionConflict, log_incident
    from geo.analysis import Params, Result, analyse, column
    from geo.dataset import Dataset
    from geo.demo import load_demo
    from geo.export import ExportOptions
    from geo.ingest import UploadCheck, check_upload, commit_upload
    from geo.store import Workspace


def __getattr__(name: str) -> object:
    """Import a public name from its module on first use (PEP 562)."""
    if name not in _SOURCES:
        raise AttributeError(f"module 'geo' has no attribute {name!r}")
    value = getattr(importlib.import_module(_SOURCES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The package's attributes including the lazily loaded public names."""
    return sorted(set(globals()) | set(__all__))
