"""One word per concept: the German texts of the code and of the rendered pages follow the glossary.

Glossary (issue 10): the unit of analysis is the *Sozialraum* (plural *Sozialräume*, *Sozialraum-Nr.*,
*Sozialraumname*, *Sozialraumgrenzen*), never "Bezirk"; *Stadtbezirk* is only the optional higher unit. A
Sozialraum in the classes "Status niedrig"/"Status sehr niedrig" is a *Sozialraum mit hohem Bedarf*; the people
count is "{Kinder} in Sozialräumen mit hohem Bedarf", never "Kinder mit Bedarf" (it suggests children were assessed).
"""

from __future__ import annotations

import ast
import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf.json_format import MessageToDict

from geo import settings
from tests.apptest import SharedPages

REPO = Path(__file__).resolve().parent.parent

#: Forbidden words (case-sensitive: German nouns are capitalised, so the lower-case column aliases "bezirk",
#: "bezirksnr" of the readers and "Stadtbezirk…"/"Regierungsbezirk…" do not match) → what to write instead.
FORBIDDEN: dict[str, str] = {
    r"\bBezirk\w*": "Sozialraum / Sozialräume / Sozialraum-Nr. / Sozialraumname / Sozialraumgrenzen "
                    "(„Stadtbezirk“ nur für die übergeordnete Einheit)",
    r"\bErreichbarkeit\w*": "Reichweite, „in Reichweite“, „ohne Angebot in Reichweite“",
    r"\bmit Bedarf\b": "„Sozialräume mit hohem Bedarf“, „{Kinder} in Sozialräumen mit hohem Bedarf“",
}
_PATTERN = re.compile("|".join(f"(?:{p})" for p in FORBIDDEN))

#: String literals that hold a word of the glossary as *data*, not as wording: (file, literal). Keep it short.
ALLOWED: frozenset[tuple[str, str]] = frozenset({
    # none yet: the readers' column-name guesses ("bezirk", "bezirksnr", …) are lower case and do not match
})


def _scanned_files() -> list[Path]:
    files = sorted([*(REPO / "geo").rglob("*.py"), *(REPO / "app_pages").glob("*.py"), REPO / "app.py"])
    return files


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes (English documentation for developers, not UI text)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def string_literals(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of every string literal of ``path`` but docstrings; f-strings give their constant parts."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            yield node.lineno, node.value


def findings(texts, where: str) -> list[str]:
    """``where:line: word in 'text'`` for every forbidden word, with the glossary's replacement."""
    out = []
    for line, text in texts:
        for match in _PATTERN.finditer(text):
            hint = next(h for p, h in FORBIDDEN.items() if re.fullmatch(p, match.group()))
            out.append(f"{where}:{line}: „{match.group()}“ in {text[:80]!r} → {hint}")
    return out


def test_the_probe_finds_every_forbidden_form_and_spares_stadtbezirk():
    texts = list(enumerate([
        "3 Bezirke", "im Bezirk", "den Bezirken", "jedes Bezirks", "Bezirks-Nr.", "Bezirk-Nr.", "Bezirksname",
        "Bezirksgrenzen", "Kinder mit Bedarf", "alle Bezirke mit Bedarf",
    ], start=1))
    found = findings(texts, "probe")
    assert [f.split(": ", 1)[1].split(" in ")[0] for f in found] == [
        "„Bezirke“", "„Bezirk“", "„Bezirken“", "„Bezirks“", "„Bezirks“", "„Bezirk“", "„Bezirksname“",
        "„Bezirksgrenzen“", "„mit Bedarf“", "„Bezirke“", "„mit Bedarf“",
    ]
    fine = ["Stadtbezirk", "Stadtbezirke", "alle Stadtbezirke", "Stadtbezirk-Nr.", "Regierungsbezirk",
            "Sozialräume mit hohem Bedarf", "bei Bedarf ändern", "bezirksnr", "bezirk"]
    assert findings(enumerate(fine), "probe") == []


def test_docstrings_are_not_scanned_but_every_other_literal_is(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('"""Module: a "Bezirk" column."""\n\ndef f():\n    """Per Bezirk."""\n'
                     '    return f"{1} Bezirke", "x"\n', encoding="utf-8")
    assert sorted(text for _, text in string_literals(probe)) == [" Bezirke", "x"]


@pytest.mark.parametrize("path", _scanned_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_code_texts_follow_the_glossary(path):
    rel = str(path.relative_to(REPO))
    texts = [(line, text) for line, text in string_literals(path) if (rel, text) not in ALLOWED]
    assert findings(texts, rel) == []


def test_the_scope_covers_the_pages_tables_exports_and_messages():
    scanned = {str(p.relative_to(REPO)) for p in _scanned_files()}
    for rel in ("app_pages/2_Analyse.py", "app_pages/3_Daten.py", "app_pages/4_Verlauf.py", "app_pages/5_Export.py",
                "app_pages/6_Methodik.py", "app_pages/7_Indikatoren.py", "app_pages/_shared.py",
                "geo/render/tables.py", "geo/export.py", "geo/cli.py", "geo/ingest/check.py",
                "geo/ingest/templates.py", "geo/analysis/gaps.py", "geo/catalog.py", "geo/store/workspace.py"):
        assert rel in scanned
    assert {"app_pages/0_Uebersicht.py", "app_pages/1_Karte.py", "app_pages/8_Steckbrief.py",
            "geo/render/web/leaflet.py", "geo/render/print/report.py", "geo/render/print/profile.py"} <= scanned


@pytest.mark.parametrize("path", sorted((REPO / "data").glob("*.csv")), ids=lambda p: p.name)
def test_configuration_labels_follow_the_glossary(path):
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    texts = [(i, cell) for i, row in enumerate(rows, start=1) for cell in row]
    assert findings(texts, f"data/{path.name}") == []


# --- rendered pages ---------------------------------------------------------------------------------------------

def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def rendered_texts(at) -> list[str]:
    """Every text of the page and its sidebar: labels, help, options, markdown, and the headers of tables."""
    out: list[str] = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            fields = MessageToDict(proto)
            fields.pop("data", None)  # a table's Arrow bytes: its headers are added below
            out.extend(_strings(fields))
            if type(node).__name__ == "Dataframe":
                out.extend(str(c) for c in node.value.columns)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


def _page_findings(at, name: str) -> list[str]:
    assert not at.exception, at.exception
    texts = rendered_texts(at)
    assert len(texts) > 20, "the walk found the page's texts"
    # Markdown escapes (\-, \.) are removed first: the planner reads the text without them.
    return findings([(0, t.replace("\\", "")) for t in texts], name)


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> SharedPages:
    """The pages of one practice copy of the demo (the app's default workspace), each opened once."""
    from geo.store import create_workspace

    return SharedPages(tmp_path_factory.mktemp("daten-terms"),
                       lambda: create_workspace("Übung", demo_copy=True, make_default=True))


@pytest.mark.parametrize("page", ["0_Uebersicht", "1_Karte", "2_Analyse", "4_Verlauf", "5_Export", "6_Methodik",
                                  "7_Indikatoren", "8_Steckbrief"])
def test_rendered_pages_follow_the_glossary(pages, page):
    at = pages.page(f"app_pages/{page}.py", timeout=120)
    assert _page_findings(at, page) == []


@pytest.mark.parametrize("kind", ["offers", "districts", "indicators", "residents"])
def test_rendered_upload_page_follows_the_glossary(pages, kind):
    with pages.active():
        at = pages.fresh("app_pages/3_Daten.py", timeout=120)
        if kind != "offers":
            at.radio(key="up_kind").set_value(kind).run()
    assert _page_findings(at, f"3_Daten ({kind})") == []


def test_the_rendered_probe_would_catch_a_word(pages):
    at = pages.page("app_pages/6_Methodik.py", timeout=120)
    texts = rendered_texts(at)
    assert any("Sozialräume mit hohem Bedarf" in t for t in texts)
    assert any(t == "Indikator" for t in texts)  # a table header
    assert findings([(0, "Alle Bezirke")], "probe")
    assert settings.AREA_NAME  # the higher unit keeps its own name: "Stadtbezirk"
