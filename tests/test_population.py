"""Whom reach is measured for: children where the table has them, else inhabitants – and every view says so."""

from __future__ import annotations

import io
import json
from datetime import date

import numpy as np
import pypdf
import pytest

from geo import settings
from geo._errors import DataError
from geo.analysis import Params, analyse, column
from geo.analysis.population import CHILDREN, choices, choose
from geo.analysis.protect import HIDDEN_REASON
from geo.demo import load_demo
from geo.export import csv_bytes, xlsx_bytes
from geo.render.print.report import render_report
from geo.render.tables import protected_gap_table
from geo.render.web.map_data import map_data
from geo.render.web.payload import features_of

NOTE = "Reichweite gemessen an allen Einwohnerinnen und Einwohnern – die Indikatortabelle enthält keine Kinderzahlen"
IN_REACH = "Einwohnerinnen und Einwohner in Reichweite"


def without_children(dataset, *, all_nan: bool = False):
    """``dataset`` as a city without children counts: the column dropped (or all NaN) in indicators and residents.

    The age bands and births of the children go too (a city without children counts has none of them).
    """
    def kids(frame) -> list[str]:
        return [c for c in frame.columns
                if c in (settings.CHILDREN, settings.BIRTHS) or str(c).startswith(settings.AGE_PREFIX)]

    if all_nan:
        indicators = dataset.indicators.assign(**{c: np.nan for c in kids(dataset.indicators)})
    else:
        indicators = dataset.indicators.drop(columns=kids(dataset.indicators))
    residents = dataset.residents
    if residents is not None:
        residents = residents.drop(columns=kids(residents))
    return dataset.with_layers(indicators=indicators, residents=residents)


def definitions_with_count(dataset):
    """The indicator definitions plus ``under_6`` ("Kinder unter 6 Jahren", unit "Anzahl", not in the index)."""
    defs = dataset.indicator_definitions.copy()
    defs.loc["under_6"] = {"label": "Kinder unter 6 Jahren", "unit": "Anzahl", "direction": 1, "weight": 0.0,
                           "in_index": False, "description": "", "kind": "status",
                           "in_dynamic": False, "dynamic_weight": 0.0}
    return defs


# --- choosing the population ------------------------------------------------------------------------------------

def test_children_where_the_table_has_them(indicators, small_dataset):
    assert choose(indicators, small_dataset.indicator_definitions) == CHILDREN
    assert CHILDREN.note == "" and CHILDREN.in_reach == "Kinder in Reichweite"


@pytest.mark.parametrize("all_nan", [False, True])
def test_inhabitants_when_children_are_absent_or_empty(indicators, small_dataset, all_nan):
    table = indicators.assign(children=np.nan) if all_nan else indicators.drop(columns=["children"])
    p = choose(table, small_dataset.indicator_definitions)
    assert p.column == settings.INHABITANTS
    assert p.note == NOTE
    assert p.in_reach == IN_REACH and p.genitive == "der Einwohnerinnen und Einwohner"


def test_choices_offer_count_columns_and_a_requested_one_wins(indicators, small_dataset):
    defs = definitions_with_count(small_dataset)
    table = indicators.assign(under_6=[40, 90, 30])
    assert [p.column for p in choices(table, defs)] == ["children", "inhabitants", "under_6"]
    chosen = choose(table, defs, requested="inhabitants")
    assert chosen.note == (
        "Reichweite gemessen an allen Einwohnerinnen und Einwohnern – so gewählt statt der Kinderzahlen"
    )
    picked = choose(table, defs, requested="under_6")
    assert (picked.plural, picked.heading) == ("Personen (Kinder unter 6 Jahren)", "Kinder unter 6 Jahren")
    # a percentage is no count
    with pytest.raises(DataError, match="„unemployment_rate“ enthält für dieses Jahr keine Personenzahlen"):
        choose(table, defs, requested="unemployment_rate")


def test_no_counts_at_all_is_a_clear_error(indicators, small_dataset):
    table = indicators.drop(columns=["children", "inhabitants"])
    with pytest.raises(DataError, match="weder Kinder- noch Einwohnerzahlen"):
        choose(table, small_dataset.indicator_definitions)


# --- the analysis weighted by inhabitants -------------------------------------------------------------------------

@pytest.fixture
def city(small_dataset):
    """The small case without children; B's residents: 40 inhabitants at 700 m, 120 at 1,000 m from the FGZ."""
    residents = small_dataset.residents.assign(**{settings.INHABITANTS: [60, 40, 120, 50]})
    return without_children(small_dataset.with_layers(residents=residents))


def test_shares_are_weighted_by_inhabitants_by_hand(city):
    result = analyse(city, Params(radii={"fgz": 800}, population=settings.INHABITANTS))
    d = result.districts.set_index(settings.DISTRICT_ID)
    assert result.population.column == settings.INHABITANTS
    # A: 60 at 0 m; B: 40 of 40 + 120 within 800 m; C: 50 at 400 m
    assert d[column("share_in_reach", "fgz")].tolist() == pytest.approx([1.0, 0.25, 1.0])
    assert d.loc["02", column("without_reach", "fgz")] == 1500  # 2,000 inhabitants (table) × 0.75
    assert result.key_figures["population_in_need"] == 2000  # only B is in need
    assert result.key_figures[column("in_need_reached", "fgz")] == pytest.approx(500)
    gap = result.gaps.iloc[0]
    assert (gap[settings.DISTRICT_ID], gap["population"], gap["without_reach"]) == ("02", 2000, 1500)
    # weighted median of B: 40 at 700 m, 120 at 1,000 m → half (80) is reached at 1,000 m
    assert gap["reason"] == ("75 % der Einwohnerinnen und Einwohner wohnen weiter als 800 m vom nächsten FGZ "
                             "(die Hälfte der Einwohnerinnen und Einwohner hat mehr als 1 km Weg)")
    assert result.residents_source == "Wohnblöcke (Einwohner- und Kinderzahlen je Block)"
    assert not result.residents_on_grid


def test_with_children_reach_is_weighted_by_children_as_before(small_dataset):
    result = analyse(small_dataset, Params(radii={"fgz": 800}, population=settings.CHILDREN))
    assert result.population == CHILDREN
    # B: 5 of 5 + 20 children within 800 m (the inhabitants of the same blocks give the same 0.2 here)
    assert result.districts.set_index(settings.DISTRICT_ID).loc["02", column("without_reach", "fgz")] == 200


def test_all_nan_children_read_as_no_children(small_dataset):
    result = analyse(without_children(small_dataset, all_nan=True), Params(radii={"fgz": 800}))
    assert result.population.column == settings.INHABITANTS
    assert result.districts[settings.CHILDREN].isna().all()  # unknown stays unknown, not 0


def test_residents_layer_without_the_count_falls_back_to_the_grid(small_dataset):
    """Inhabitants chosen, the residents layer has children only: inhabitants spread over the grid, and said."""
    layer = small_dataset.residents.drop(columns=[settings.INHABITANTS])
    result = analyse(small_dataset.with_layers(residents=layer), Params(radii={"fgz": 250}, population="inhabitants"))
    assert result.residents_on_grid
    assert result.residents_source == (
        "Wohnorte-Ebene ohne Einwohnerzahlen: Einwohnerinnen und Einwohner gleichmäßig auf ein 100-m-Raster im "
        "Sozialraum verteilt"
    )
    share = result.districts.set_index(settings.DISTRICT_ID)[column("share_in_reach", "fgz")]
    assert share["02"] == 0.0  # B's cells are all farther than 250 m from both offers
    no_layer = analyse(without_children(small_dataset).with_layers(residents=None), Params(radii={"fgz": 250}))
    assert no_layer.residents_source.startswith("keine Wohnorte-Ebene: Einwohnerinnen und Einwohner gleichmäßig")


def test_a_picked_count_column_is_spread_and_named(small_dataset):
    ds = small_dataset.with_layers(
        indicators=small_dataset.indicators.assign(under_6=[40, 90, 30]),
        indicator_definitions=definitions_with_count(small_dataset),
    )
    result = analyse(ds, Params(radii={"fgz": 800}, population="under_6"))
    # The blocks say where people live, the table how many under-6s each district has: spread by inhabitants.
    assert not result.residents_on_grid
    assert result.residents_source.endswith("je Sozialraum nach den Einwohnerzahlen der Punkte verteilt")
    assert result.key_figures["population"] == 160
    assert "Personen (Kinder unter 6 Jahren) in Reichweite (%)" in protected_gap_table(result).columns[6]


# --- every view says so -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_city():
    dataset = without_children(load_demo())  # the sidebar's choice: every type measured for the inhabitants
    return dataset, analyse(dataset, Params(population=settings.INHABITANTS))


def test_csv_and_xlsx_name_inhabitants(demo_city):
    dataset, result = demo_city
    text = csv_bytes(dataset, result).decode("utf-8-sig")
    header = text.splitlines()[0]
    assert f"FGZ: {IN_REACH} (%)" in header
    assert "FGZ: Einwohnerinnen und Einwohner ohne Angebot in Reichweite" in header
    assert "Kinder 0–17" not in header and "Kinder in Reichweite" not in text
    book = xlsx_bytes(dataset, result)
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(book))
    cells = [str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert NOTE in cells
    assert not any("Kinder in Reichweite" in c for c in cells)


def test_report_pdf_names_inhabitants(demo_city):
    dataset, result = demo_city
    reader = pypdf.PdfReader(io.BytesIO(render_report(dataset, result, export_date=date(2025, 3, 1))))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Einwohner in Reichweite (Sozialräume mit hohem Bedarf)" in text
    assert "Einwohnerinnen und Einwohner ohne Angebot in Reichweite" in text
    assert "die Indikatortabelle enthält keine Kinderzahlen" in text
    assert "Kinder in Reichweite" not in text and "der Kinder" not in text
    record = json.loads(reader.metadata["/Keywords"])
    assert record["analysis"]["population"] == "inhabitants"


def test_web_map_tooltips_and_legend_name_inhabitants(demo_city):
    dataset, result = demo_city
    data = map_data(result, dataset, variable=column("share_in_reach", "fgz"), scheme="quantiles", gap_type="fgz")
    payload = json.dumps(data, ensure_ascii=False)
    assert IN_REACH in payload and NOTE in data["legend"]  # the FGZ by assigned Grundschule: not "Luftlinie"
    assert "unter 50 % der Einwohnerinnen und Einwohner in Reichweite" in data["legend"]
    assert "Kinder" not in payload.replace("Kinderzahlen", "")  # only the note names them


def test_web_map_with_children_reads_as_before(small_dataset):
    result = analyse(small_dataset, Params(radii={"fgz": 800}))
    data = map_data(result, small_dataset)
    tip = features_of(data["districts"])[0]["properties"]["tip"]
    # the FGZ for its target group, by radius here (the small data set has no Grundschulen)
    assert "<td>Kinder 0–17</td>" in tip and "Kinder von 6 bis unter 10 Jahren in Reichweite (Luftlinie)" in tip
    assert "Reichweite gemessen an" not in data["legend"]


def test_gap_table_headers_follow_the_population(demo_city):
    _, result = demo_city
    assert list(protected_gap_table(result).columns[5:8]) == [
        "Einwohnerinnen und Einwohner", f"{IN_REACH} (%)", "Einwohnerinnen und Einwohner ohne Angebot in Reichweite"
    ]
    reasons = protected_gap_table(result)["Begründung"]
    assert len(reasons) == len(result.gaps) > 0
    assert all("der Einwohnerinnen und Einwohner " in r or r == HIDDEN_REASON for r in reasons)


@pytest.mark.parametrize("kind", ["reach", "bivariate", "gaps"])
def test_print_maps_name_inhabitants_and_carry_the_note(demo_city, kind):
    from geo.render.print.content import map_content

    dataset, result = demo_city
    content = map_content(kind, dataset, result, offer_type="fgz")
    assert content.method.endswith(f"; {NOTE}")
    assert "der Einwohnerinnen und Einwohner" in content.method and "Kinder " not in content.method
    labels = " ".join(item.label for section in content.sections for item in section.items)
    assert "Kinder" not in labels + " ".join(s.title for s in content.sections)


def test_print_maps_with_children_have_no_note(small_dataset):
    from geo.render.print.content import map_content

    result = analyse(small_dataset, Params(radii={"fgz": 800}))
    assert "Reichweite gemessen an" not in map_content("reach", small_dataset, result, offer_type="fgz").method


def test_the_protection_texts_fit_either_population():
    from geo.analysis.protect import rule_text

    for text in (HIDDEN_REASON, rule_text()):
        assert "Kind" not in text and "Person" in text  # reach may be measured for inhabitants
