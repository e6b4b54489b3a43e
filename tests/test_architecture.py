"""House rules that keep the code's shape: layers import one way, only the UI imports Streamlit, modules stay small."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GEO = REPO / "geo"
UI_MODULES = {"streamlit", "streamlit_folium"}
#: A module longer than this does several jobs: split it by concern.
MAX_MODULE_LINES = 700
#: Layer → the layers it must never import (io → ingest → analysis → render; store beside ingest).
FORBIDDEN = {
    "io": {"ingest", "analysis", "store", "render"},
    "ingest": {"render"},
    "analysis": {"io", "ingest", "store", "render"},
    "store": {"render", "ingest", "analysis"},
    "render": {"io", "ingest", "store"},
}
GEO_MODULES = sorted(GEO.rglob("*.py"))
UI = [REPO / "app.py", *sorted((REPO / "app_pages").glob("*.py"))]


def imports(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports (``from a.b import c`` gives ``a.b`` and ``a.b.c``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def layer_of(module: str) -> str | None:
    """The layer folder of a ``geo.<layer>…`` module name, else ``None``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "geo" and parts[1] in FORBIDDEN else None


def _rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


@pytest.mark.parametrize("path", GEO_MODULES, ids=_rel)
def test_geo_modules_do_not_import_streamlit(path):
    assert not {name.split(".")[0] for name in imports(path)} & UI_MODULES, f"{_rel(path)} imports the UI"


@pytest.mark.parametrize("path", GEO_MODULES, ids=_rel)
def test_layers_import_one_way(path):
    own = path.relative_to(GEO).parts[0] if len(path.relative_to(GEO).parts) > 1 else None
    if own not in FORBIDDEN:
        return
    wrong = sorted(name for name in imports(path) if layer_of(name) in FORBIDDEN[own])
    assert not wrong, f"{_rel(path)} (layer {own}) imports {wrong}"


@pytest.mark.parametrize("path", GEO_MODULES, ids=_rel)
def test_every_geo_module_says_what_it_does(path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert doc and len(doc.splitlines()[0]) > 10, f"{_rel(path)} lacks a one-line module docstring"


@pytest.mark.parametrize("path", GEO_MODULES + UI, ids=_rel)
def test_no_module_does_several_jobs(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_rel(path)} has {lines} lines: split it by concern"


def test_the_probe_would_catch_an_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from streamlit import session_state\nfrom geo.render.web import maps\n")
    assert {name.split(".")[0] for name in imports(probe)} & UI_MODULES == {"streamlit"}
    assert layer_of("geo.render.web.maps") == "render"
    assert layer_of("geo.render") is None  # the package itself, e.g. `from geo import render`
    assert layer_of("geo.settings") is None


def private_imports(path: Path) -> set[str]:
    """``geo`` names with a leading underscore (a module or a name) that ``path`` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "geo":
            parts = node.module.split(".") + [alias.name for alias in node.names]
            found |= {f"{node.module}:{p}" for p in parts if p.startswith("_")}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("geo") and "._" in a.name}
    return found


@pytest.mark.parametrize("path", UI, ids=_rel)
def test_the_ui_imports_no_private_geo_name(path):
    assert not private_imports(path), f"{path.name} imports private names"


def test_the_probe_would_catch_a_private_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from geo._errors import DataError\nfrom geo.render.web.preview import _split_offers\n")
    assert private_imports(probe) == {"geo._errors:_errors", "geo.render.web.preview:_split_offers"}


def test_the_package_exports_its_public_api():
    import geo

    assert set(geo.__all__) == set(geo._SOURCES)
    for name in geo.__all__:
        assert getattr(geo, name) is getattr(importlib.import_module(geo._SOURCES[name]), name)
