"""The committee report's "Soziale Lage und Dynamik": present with its counts and attention list, absent with a note."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date

import pandas as pd
import pypdf
import pytest

from geo import demo, settings
from geo.analysis import analyse
from geo.analysis.dynamics import DYNAMIC_CLASSES
from geo.analysis.need import NOT_CLASSIFIED, STATUS_CLASSES
from geo.render.print.content_dynamics import overall_counts
from geo.render.print.report import render_report
from geo.render.print.report_dynamics import (
    COUNT_HEADER,
    COUNT_TITLE,
    DYNAMICS_TITLE,
    LIST_TITLE,
    WITHOUT,
    attention_rows,
    count_table,
)
from tests.export_cases import small_case, small_result
from tests.export_dynamics_cases import HOSTILE, analysed, hostile_case

DAY = date(2025, 3, 1)

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) fehlt")


def _pages(data: bytes, *, layout: bool = False) -> list[str]:
    """Text per page as a reader would copy it (``layout``: table rows kept on one line)."""
    args = ["pdftotext", *(["-layout"] if layout else []), "-", "-"]
    return subprocess.run(args, input=data, capture_output=True, check=True).stdout.decode().split("\f")[:-1]


@pytest.fixture(scope="module")
def demo_report():
    dataset = demo.load_demo()
    result = analyse(dataset)
    return dataset, result, render_report(dataset, result, export_date=DAY)


def test_count_table_equals_the_analysis(demo_report):
    _, result, _ = demo_report
    counts = count_table(result)
    grid, without = overall_counts(result)
    assert counts.loc[list(STATUS_CLASSES), list(DYNAMIC_CLASSES)].to_numpy().tolist() == grid
    d = result.districts
    assert counts.loc["zusammen", "zusammen"] == len(d)
    assert counts.loc["zusammen", list(DYNAMIC_CLASSES)].tolist() == [7, 41, 6]
    assert counts.loc["zusammen", WITHOUT] == len(d) - 54
    status = d["status_class"].where(d["status_class"].isin(STATUS_CLASSES), NOT_CLASSIFIED)
    assert counts["zusammen"].drop("zusammen").to_dict() == status.value_counts().reindex(
        counts.index.drop("zusammen"), fill_value=0).to_dict()
    assert without == len(d) - 54


def test_the_page_is_in_the_report_with_its_counts(demo_report):
    _, result, data = demo_report
    pages = _pages(data, layout=True)
    first = [i for i, p in enumerate(pages) if DYNAMICS_TITLE in p and COUNT_TITLE in p]
    assert len(first) == 1
    page = pages[first[0]]
    assert "Gesamtindex (Status × Dynamik 2023–2024)" in " ".join(_pages(data)[first[0]].split())
    for name, row in count_table(result).iterrows():
        cells = r"\s+".join(str(v) for v in row)
        assert re.search(rf"{re.escape(str(name))}\s+{cells}\s*$", page, re.M), f"row {name} missing"
    assert all(h.split(" (")[0] in page for h in COUNT_HEADER)
    cover = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    n_list = sum(LIST_TITLE in p for p in pages)
    assert f"{DYNAMICS_TITLE} {first[0] + 1}–{first[0] + 1 + n_list}" in cover  # in the contents, with its pages


def test_the_list_names_every_attention_district(demo_report):
    dataset, result, data = demo_report
    pages = [" ".join(p.split()) for p in _pages(data)]
    listed = [p for p in pages if LIST_TITLE in p]
    text = " ".join(listed)
    d = result.districts
    names = d.loc[d["attention"], settings.DISTRICT_NAME].tolist()
    assert len(names) == 15
    for name in names:
        assert name in text, name
    rows = attention_rows(dataset, result)
    assert len(rows) == 15 and {r[0] for r in rows} == set(names)
    order = [STATUS_CLASSES.index(r[2]) for r in rows]
    assert order == sorted(order, reverse=True)  # sehr niedrig first
    by_id = d.set_index(d[settings.DISTRICT_ID].astype(str))
    for _, district_id, status, dynamic, code, _ in rows:
        assert by_id.at[district_id, "status_class"] == status
        assert by_id.at[district_id, "overall_code"] in (code, "")
        assert dynamic.startswith(by_id.at[district_id, "dynamic_class"]) or dynamic.startswith(WITHOUT)


def test_one_year_leaves_the_page_out_with_a_line():
    dataset = small_case()
    data = render_report(dataset, small_result(dataset), export_date=DAY)
    pages = [" ".join(p.split()) for p in _pages(data)]
    assert not any(LIST_TITLE in p for p in pages)
    assert not any(COUNT_TITLE in p for p in pages)
    need = [p for p in pages if "Bedarf: soziale Lage der Sozialräume" in p and "Statusindex 2024" in p]
    assert len(need) == 1
    assert (f"Die Seite „{DYNAMICS_TITLE}“ entfällt. Kein Dynamikindex: kein früheres Jahr gespeichert und keine "
            "Dynamik-Indikatoren geliefert. Die Dynamik braucht zwei gespeicherte Indikatorjahre") in need[0]


def test_hostile_names_are_drawn_as_data():
    dataset = hostile_case()
    result = analysed(dataset)
    text = " ".join(" ".join(_pages(render_report(dataset, result, export_date=DAY))).split())
    listed = text[text.index(LIST_TITLE):]
    attention = result.districts.loc[result.districts["attention"], settings.DISTRICT_ID].tolist()
    assert attention  # D3 (and D1/D2 where their status is low)
    for district_id in attention:
        assert HOSTILE[district_id] in listed
    assert "1337" not in text


def test_count_table_of_a_made_up_frame():
    """Four districts by hand: one per row of the rule, one without a Dynamik class, one not classified."""
    d = pd.DataFrame({"status_class": ["Status niedrig", "Status mittel", "Status mittel", NOT_CLASSIFIED],
                      "dynamic_class": ["negativ", "negativ", NOT_CLASSIFIED, "stabil"]})

    class R:
        districts = d

    counts = count_table(R())
    assert counts.loc["Status niedrig", "negativ"] == 1 and counts.loc["Status mittel", "negativ"] == 1
    assert counts.loc["Status mittel", WITHOUT] == 1 and counts.loc[NOT_CLASSIFIED, "stabil"] == 1
    assert counts.loc["zusammen"].tolist() == [0, 1, 2, 1, 4]
