"""House rules that keep the code's shape: the analysis package never imports the UI."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

GEO = Path(__file__).resolve().parents[1] / "geo"
UI_MODULES = {"streamlit", "streamlit_folium"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted(GEO.rglob("*.py")), ids=lambda p: p.name)
def test_geo_modules_do_not_import_streamlit(path):
    assert not imported_modules(path) & UI_MODULES, f"{path.name} imports the UI"


def test_every_geo_module_says_what_it_does():
    for path in GEO.rglob("*.py"):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc and len(doc.splitlines()[0]) > 10, f"{path.name} lacks a one-line module docstring"


def test_the_probe_would_catch_an_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from streamlit import session_state\n")
    assert imported_modules(probe) & UI_MODULES == {"streamlit"}


UI = [Path(__file__).resolve().parents[1] / "app.py", *sorted((GEO.parent / "app_pages").glob("*.py"))]


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


@pytest.mark.parametrize("path", UI, ids=lambda p: p.name)
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
