"""House rules that keep the code's shape: the analysis package never imports the UI."""

from __future__ import annotations

import ast
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
