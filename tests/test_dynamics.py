"""Dynamik index, Dynamik classes and the Gesamtindex (MSS), computed by hand on a small table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo import catalog, settings
from geo.analysis.dynamics import (
    OVERALL_CLASSES,
    classify_dynamic,
    default_base_year,
    dynamics,
    needs_attention,
    overall_code,
)
from geo.analysis.need import status_index

MINUS = "\u2212"


def _definitions(**extra) -> pd.DataFrame:
    row = {"key": "quote", "label": "Quote", "unit": "%", "direction": 1, "weight": 1.0, "in_index": True,
           "description": ""}
    row.update(extra)
    return catalog.definitions_from_table(pd.DataFrame([row]))


def _table() -> pd.DataFrame:
    """Six districts, 2022 and 2024. E has 200 inhabitants; F has no 2022 value."""
    ids = ["A", "B", "C", "D", "E", "F"]
    return pd.DataFrame({
        settings.DISTRICT_ID: ids * 2,
        settings.YEAR: [2022] * 6 + [2024] * 6,
        settings.INHABITANTS: [1000, 1000, 1000, 1000, 200, 1000] * 2,
        "quote": [10, 20, 30, 40, 5, np.nan, 12, 20, 27, 49, 50, 27],
    })


def test_dynamik_index_by_hand():
    table, definitions = _table(), _definitions()
    now = table[table[settings.YEAR] == 2024].reset_index(drop=True)
    # status 2024 over A, B, C, D, F (E too small): mean 27, std sqrt(758/5) = 12.31 → z -1.22, -0.57, 0, 1.79, 0
    status = status_index(now, definitions=definitions)["status_class"].tolist()
    assert status == ["Status hoch", "Status mittel", "Status mittel", "Status sehr niedrig", "nicht klassifiziert",
                      "Status mittel"]
    out, info = dynamics(table, now[settings.DISTRICT_ID], status, definitions=definitions, year=2024,
                         base_year=2022)
    # changes A-D: 2, 0, -3, 9; mean 2, population std sqrt(78/4) = 4.416
    assert out["dyn_quote"].tolist()[:4] == [2, 0, -3, 9]
    expected = np.array([0, -2, -5, 7]) / np.sqrt(19.5)
    assert out["dynamic_index"].to_numpy()[:4] == pytest.approx(expected)
    assert np.isnan(out["dynamic_index"].to_numpy()[4:]).all()
    assert out["dynamic_class"].tolist() == ["stabil", "stabil", "positiv", "negativ", "nicht klassifiziert",
                                             "nicht klassifiziert"]
    assert out["dynamic_reason"].tolist() == ["", "", "", "", "weniger als 300 Einwohner", "kein Wert 2022: Quote"]
    assert out["overall_class"].tolist() == [
        "Status hoch, Dynamik stabil", "Status mittel, Dynamik stabil", "Status mittel, Dynamik positiv",
        "Status sehr niedrig, Dynamik negativ", "", ""]
    assert out["overall_code"].tolist() == [f"1 +/{MINUS}", f"2 +/{MINUS}", "2 +", f"4 {MINUS}", "", ""]
    assert out["attention"].tolist() == [False, False, False, True, False, False]
    assert (info.base_year, info.weights, info.ready_made, info.period) == (2022, {"quote": 1.0}, (), "2022–2024")


def test_ready_made_dynamik_columns_need_no_second_year():
    """A city supplies the change itself (kind "dynamik"): read from the year's rows, never in the status index."""
    definitions = catalog.definitions_from_table(pd.DataFrame([
        {"key": "d1", "label": "Veränderung Quote", "unit": "%", "direction": 1, "weight": 1.0, "in_index": False,
         "description": "", "kind": "dynamik", "in_dynamic": True, "dynamic_weight": 1.0}]))
    table = pd.DataFrame({settings.DISTRICT_ID: ["A", "B", "C", "D"], settings.YEAR: 2024,
                          settings.INHABITANTS: 1000, "d1": [2.0, 0.0, -3.0, 9.0]})
    out, info = dynamics(table, ["A", "B", "C", "D"], ["Status mittel"] * 4, definitions=definitions, year=2024,
                         base_year=None)
    assert out["dynamic_class"].tolist() == ["stabil", "stabil", "positiv", "negativ"]
    assert info.ready_made == ("d1",) and info.base_year is None and info.period == "2024"
    assert out["attention"].tolist() == [False, False, False, True]  # status mittel with dynamik negativ


def test_without_a_second_year_no_district_has_a_dynamik_class():
    table = _table()
    table = table[table[settings.YEAR] == 2024]
    out, info = dynamics(table, table[settings.DISTRICT_ID], ["Status niedrig"] * 6, definitions=_definitions(),
                         year=2024, base_year=default_base_year([2024], 2024))
    assert not info.computed and "zwei Jahre" in info.note
    assert set(out["dynamic_class"]) == {"nicht klassifiziert"}
    assert out["attention"].all()  # status niedrig needs attention whatever the dynamik


def test_classes_at_the_bounds_and_the_codes():
    assert classify_dynamic([-1.01, -1.0, 1.0, 1.01, np.nan]).tolist() == [
        "positiv", "stabil", "stabil", "negativ", "nicht klassifiziert"]
    assert len(OVERALL_CLASSES) == 12 and OVERALL_CLASSES[0] == "Status hoch, Dynamik positiv"
    assert overall_code("Status niedrig", "negativ") == f"3 {MINUS}"
    assert default_base_year([2019, 2021, 2022, 2023], 2023) == 2021
    assert default_base_year([2019, 2022, 2023], 2023) == 2022


def test_the_attention_rule_is_configurable(monkeypatch):
    status = ["Status mittel", "Status mittel", "Status niedrig"]
    dynamic = ["negativ", "stabil", "positiv"]
    assert needs_attention(status, dynamic).tolist() == [True, False, True]
    monkeypatch.setattr(settings, "ATTENTION_RULE", (("Status niedrig", "negativ"),))
    assert needs_attention(status, dynamic).tolist() == [False, False, False]
