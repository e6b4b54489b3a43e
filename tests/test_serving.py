"""How the app is served: local address only, no tracebacks in the browser, no server paths on any page."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from geo import settings
from geo.demo import load_demo
from geo.store import DB_NAME, Workspace, create_workspace
from tests.apptest import open_page

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / ".streamlit" / "config.toml"
TIMEOUT = 120


def test_config_binds_to_this_machine_and_hides_error_details():
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    assert config["client"]["showErrorDetails"] == "none"
    # A value this Streamlit knows (older ones took true/false; an unknown string would show everything).
    assert st_config.ShowErrorDetailsConfigOptions(config["client"]["showErrorDetails"]) is (
        st_config.ShowErrorDetailsConfigOptions.NONE
    )


def rendered(at: AppTest) -> str:
    """Everything the page sends to the browser, as text (every element's message, main area and sidebar), with
    Markdown escapes removed (``ui.md`` writes ``arbeitsbereich\\-geheim``)."""
    parts: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts).replace("\\", "")


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    """The default workspace "Bochum" in a data folder whose server path must never be shown."""
    root = tmp_path / "daten-geheim"
    monkeypatch.setenv("PRAEVENTIONSATLAS_DATA", str(root))
    monkeypatch.setattr(settings, "DATA_ROOT", root)
    return create_workspace("Bochum").path


def _run(script: str) -> AppTest:
    at = open_page(script, timeout=TIMEOUT)
    assert not at.exception, at.exception
    return at


def test_history_page_does_not_show_the_workspace_path(workspace):
    Workspace(workspace).save("offers", load_demo().offers.head(3), filename="angebote.csv")
    at = _run("app_pages/4_Verlauf.py")
    page = rendered(at)
    assert "angebote.csv" in page and "**Arbeitsbereich:** Bochum" in page  # the probe sees the page's text
    assert str(workspace.parent) not in page and "daten-geheim" not in page


def test_a_broken_workspace_is_reported_without_its_path(workspace):
    (workspace / DB_NAME).write_bytes(b"kein SQLite")
    at = _run("app_pages/4_Verlauf.py")
    assert at.error and "kein Arbeitsbereich des Präventionsatlas" in at.error[0].value
    page = rendered(at)
    assert str(workspace.parent) not in page and "daten-geheim" not in page
