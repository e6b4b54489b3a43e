"""The Sozialraumsteckbrief's sections on hand-computable data: key figures, averages, nearest offers, reach, gaps.

The fixture (tests/conftest.py): districts A | B | C (01, 02, 03), 1 km squares in a row; an FGZ in the middle
of A (500, 500) and one in the middle of C (2500, 500); children of the residents layer: 10 at A's centre,
5 in B at x = 1200 and 20 in B at x = 1500, 8 in C at x = 2900 (all at y = 500). FGZ radius 800 m.

By hand, for B: its residents-weighted centre lies at x = (5 · 1200 + 20 · 1500) / 25 = 1440, so the nearest FGZ
is FGZ West at 1440 − 500 = 940 m (FGZ Ost: 1060 m). Of its residents 5 live 700 m from FGZ West (in reach),
20 live 1000 m from both (out of reach): 20 % in reach, round(250 · 0.8) = 200 of its 250 children (table) without,
median 1 km. The indicators of B (40 / 14 / 35) against the means of the three districts, (10 + 40 + 16) / 3 = 22,
(4 + 14 + 6) / 3 = 8, (15 + 35 + 19) / 3 = 23; every indicator has the pattern −2 : 3 : −1 around its mean, so
each z-value of B is 3 / √(14/3) = 1.3887, and so is its status index: "Status niedrig" (1 ≤ index < 1.5).
"""

from __future__ import annotations

import pytest

from geo import DataError
from geo.analysis import Params, analyse
from geo.analysis.profile import NO_DATA, SECTIONS, Body, Table, district_profile, profiles
from geo.analysis.protect import HIDDEN, HIDDEN_REASON, SMALL
from tests.export_cases import small_case, small_result

#: The Dynamik columns of a definition row added by hand (a status indicator outside the Dynamik index).
STATUS_KIND = {"kind": "status", "in_dynamic": False, "dynamic_weight": 0.0}


@pytest.fixture
def case(small_dataset):
    return small_dataset, analyse(small_dataset, Params(radii={"fgz": 800.0}))


def rows(profile, key: str, table: int = 0) -> list[tuple[str, ...]]:
    return list(profile.section(key).tables[table].rows)


def facts(profile) -> dict[str, str]:
    return dict(rows(profile, "kennzahlen"))


def test_header_and_key_figures_of_b(case):
    profile = district_profile(*case, "02")
    assert (profile.district_id, profile.name, profile.area) == ("02", "Südpark", "Mitte")
    assert (profile.status_class, profile.status_index, profile.in_need, profile.year) == (
        "Status niedrig", "+1,39", True, 2024)
    assert facts(profile) == {
        "Einwohnerinnen und Einwohner": "2.000", "Kinder 0–17": "250", "Statusklasse": "Status niedrig",
        "Statusindex": "+1,39", "Rang (1 = höchster Bedarf)": "1 von 3",
        "Sozialraum mit hohem Bedarf": "ja", "Angebote im Sozialraum": "0",
    }
    # no Grundschulen in the fixture: the school section is left out
    assert [s.key for s in profile.sections] == [key for key, _, _ in SECTIONS if key != "schulen"]


def test_indicators_against_the_mean_of_the_districts(case):
    profile = district_profile(*case, "02")
    assert rows(profile, "indikatoren") == [
        ("SGB-II-Quote Kinder unter 15 Jahren", "%", "40,0", "22,0", "+18,0", "+1,39", "mehr Bedarf"),
        ("Arbeitslosenquote", "%", "14,0", "8,0", "+6,0", "+1,39", "mehr Bedarf"),
        ("Anteil Alleinerziehender", "%", "35,0", "23,0", "+12,0", "+1,39", "mehr Bedarf"),
    ]
    assert "ungewichteter Mittelwert" in profile.section("indikatoren").note
    a = district_profile(*case, "01")
    assert rows(a, "indikatoren")[0][2:6] == ("10,0", "22,0", "−12,0", "−0,93")  # 12 / 12.961


def test_nearest_offer_from_the_residents_centre_or_zero_inside(case):
    b = district_profile(*case, "02")
    assert rows(b, "angebote", 0) == []
    assert b.section("angebote").tables[0].empty == "Im Sozialraum liegt kein Angebot."
    assert rows(b, "angebote", 1) == [("FGZ", "FGZ West", "940 m", "in Altstadt")]
    assert "Schwerpunkt der Wohnorte, gewichtet nach Kindern" in b.section("angebote").note
    a = district_profile(*case, "01")
    assert rows(a, "angebote", 0) == [("FGZ West", "FGZ", "Weg 1")]
    assert rows(a, "angebote", 1) == [("FGZ", "FGZ West", "0 m", "im Sozialraum")]


def test_reach_and_gap_with_its_reason(case):
    dataset, result = case
    b = district_profile(dataset, result, "02")
    (row,) = rows(b, "reichweite")
    # measured for the FGZ's target group: children 6–9, estimated as 4/18 of B's 250 children; 80 % of 55.6
    assert row[:6] == ("FGZ", "800 m", "20\u00a0%", "44", "1 km", "ja")
    assert row[6] == ("80 % der Kinder von 6 bis unter 10 Jahren wohnen weiter als 800 m vom nächsten FGZ (die Hälfte "
                      "der Kinder von 6 bis unter 10 Jahren hat mehr als 1 km Weg)")
    assert "weniger als 50 % der Kinder" in b.section("reichweite").note
    a = district_profile(dataset, result, "01")
    assert rows(a, "reichweite")[0][5:] == ("nein", "kein hoher Bedarf")


def test_unknown_number_is_refused_in_german_and_ids_are_compared_as_text(case):
    with pytest.raises(DataError, match=r"Sozialraum-Nr\. „9“ gibt es in diesen Daten nicht.*„01“, „02“, „03“"):
        district_profile(*case, 9)
    assert district_profile(*case, " 03 ").name == "Über der Höhe"


def test_profiles_of_all_districts_sorted_by_number(case):
    assert [p.district_id for p in profiles(*case)] == ["01", "02", "03"]


def test_small_numbers_are_protected_as_in_the_tables():
    """small_case (tests/export_cases.py): D1 has 2 children, D3 1 child in reach, D4 100 inhabitants."""
    dataset = small_case()
    result = small_result(dataset)
    d1 = district_profile(dataset, result, "D1")
    assert facts(d1)["Kinder 0–17"] == SMALL
    (reach,) = rows(d1, "reichweite")
    assert reach[2:5] == (HIDDEN, SMALL, HIDDEN)  # share, without, median
    # the weighted centre of two children would be their home: the area centre is used instead
    assert "Flächenmittelpunkt des Sozialraums" in d1.section("angebote").note
    d3 = district_profile(dataset, result, "D3")
    (reach,) = rows(d3, "reichweite")
    assert reach[2:4] == (HIDDEN, HIDDEN) and reach[6] == HIDDEN_REASON
    d4 = district_profile(dataset, result, "D4")
    assert d4.status_class == "nicht klassifiziert" and d4.status_index == HIDDEN
    assert facts(d4)["Rang (1 = höchster Bedarf)"] == "–"
    sgb2 = rows(d4, "indikatoren")[0]
    assert sgb2[2] == HIDDEN and sgb2[4] == HIDDEN and sgb2[5] == HIDDEN
    # the mean leaves out D4's suppressed value: (10 + 20 + 40) / 3
    assert sgb2[3] == "23,3" and rows(d1, "indikatoren")[0][3] == "23,3"


def test_city_indicators_without_the_demo_names(case):
    """A city's own indicators (other keys and labels, one without value for B, one not in the index)."""
    dataset, _ = case
    defs = dataset.indicator_definitions.rename(index={"sgb2_children_quota": "quote_a"})
    defs.loc["quote_a", "label"] = "Transferleistungsquote"
    defs.loc["wohnflaeche"] = {"label": "Wohnfläche je Person", "unit": "", "direction": -1, "weight": 0.0,
                               "in_index": False, "description": "", **STATUS_KIND}
    indicators = dataset.indicators.rename(columns={"sgb2_children_quota": "quote_a"})
    indicators["wohnflaeche"] = [40.0, float("nan"), 30.0]
    city = dataset.with_layers(indicator_definitions=defs, indicators=indicators)
    result = analyse(city, Params(radii={"fgz": 800.0}))
    table = {r[0]: r for r in rows(district_profile(city, result, "02"), "indikatoren")}
    assert table["Transferleistungsquote"][2:6] == ("40,0", "22,0", "+18,0", "+1,39")
    assert table["Wohnfläche je Person"][1:] == ("–", NO_DATA, "35,0", NO_DATA, "nicht im Index", "weniger Bedarf")


def test_a_new_section_is_one_more_builder(case, monkeypatch):
    import geo.analysis.profile as module

    def change(subject):
        return Body((Table(("Jahr", "Sozialraum"), (("2023", subject.district_id),)),), "neu")

    monkeypatch.setattr(module, "SECTIONS", (*module.SECTIONS, ("verlauf", "Entwicklung", change)))
    profile = district_profile(*case, "02")
    assert profile.section("verlauf").title == "Entwicklung"
    assert rows(profile, "verlauf") == [("2023", "02")]


def test_a_count_indicator_of_one_or_two_people_is_protected(case):
    """An indicator in unit "Anzahl" (e.g. children in care) is a head count: 2 in B shows as "< 3", and
    neither its deviation nor the mean may give it back; the mean is taken over A and C only."""
    dataset, _ = case
    defs = dataset.indicator_definitions.copy()
    defs.loc["hze_faelle"] = {"label": "Hilfen zur Erziehung (Fälle)", "unit": "Anzahl", "direction": 1,
                              "weight": 0.0, "in_index": False, "description": "", **STATUS_KIND}
    indicators = dataset.indicators.assign(**{"hze_faelle": [12.0, 2.0, 30.0]})
    city = dataset.with_layers(indicator_definitions=defs, indicators=indicators)
    result = analyse(city, Params(radii={"fgz": 800.0}))
    table = {r[0]: r for r in rows(district_profile(city, result, "02"), "indikatoren")}
    assert table["Hilfen zur Erziehung (Fälle)"][1:6] == ("Anzahl", SMALL, "21,0", HIDDEN, "nicht im Index")
    table = {r[0]: r for r in rows(district_profile(city, result, "03"), "indikatoren")}
    assert table["Hilfen zur Erziehung (Fälle)"][2:5] == ("30", "21,0", "+9,0")
