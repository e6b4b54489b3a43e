"""German display helpers of the pages: number tables whatever the browser's locale, weights with a comma."""

from __future__ import annotations

import pandas as pd

from app_pages import _definitions as tables
from app_pages import _shared as ui


def test_table_numbers_display_german_and_the_data_stay_numbers():
    frame = pd.DataFrame({
        "Kinder": [1809, 12], "Anteil": [12.5, 0.25], "Medianweg (m)": [1250.0, float("nan")],
        "Geschützt": ["< 3", 1809.0], "Jahr": [2024, 2023], "Lücke": [True, False],
    })
    styler = ui.german_numbers(frame)
    rows = [line.split(";")[1:] for line in styler.to_string(delimiter=";").splitlines()[1:]]
    assert rows == [["1.809", "12,50", "1.250", "< 3", "2024", "True"],
                    ["12", "0,25", "–", "1.809", "2023", "False"]]
    assert styler.data.equals(frame)  # Streamlit sorts by these


def test_table_plain_columns_and_a_duplicate_index():
    frame = pd.DataFrame({"Version": [1203, 7], "Zeilen": [1203, 7]}, index=[0, 0])
    rows = ui.german_numbers(frame, plain=("Version",)).to_string(delimiter=";").splitlines()[1:]
    assert [r.split(";")[1:] for r in rows] == [["1203", "1.203"], ["7", "7"]]


def test_weights_are_german_text_in_the_editor_and_numbers_back():
    frame = pd.DataFrame({"key": ["a", "b"], "weight": [1.5, 1.0]})
    shown = tables.definition_editor_frame(frame)
    assert shown["Gewicht"].tolist() == ["1,5", "1,0"]
    edited = shown.assign(Gewicht=["2,5", "0.5"])
    assert tables.definition_editor_fields(edited)["weight"].tolist() == [2.5, 0.5]
    # what the check must refuse stays text, so its message can quote it
    assert tables.definition_editor_fields(shown.assign(Gewicht=["101", "x"]))["weight"].tolist() == ["101", "x"]
