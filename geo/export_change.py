"""The district table of a change over time as files: CSV for German Excel and XLSX with an explanations sheet.

Both carry what :func:`geo.render.change_tables.district_table` shows (already protected: "•", "< 3") and neutralise
text Excel would run as a formula (a district named "=1+1" stays text), like every other export (:mod:`geo.export`).
"""

from __future__ import annotations

import io

import pandas as pd

from geo.analysis.over_time import OverTime
from geo.analysis.protect import rule_text
from geo.export import _fixed_zip, _write_sheet
from geo.render.change_tables import district_table, explanations
from geo.render.provenance import APP_NAME, export_timestamp, licence_notes, min_inhabitants, source_text
from geo.render.tables import german_csv_bytes


def change_file_stem(ot: OverTime) -> str:
    """``entwicklung_2023_2024`` or ``entwicklung_angebote_v3_v5``: a file name without the planner's text."""
    def part(label: str) -> str:
        return "".join(c if c.isalnum() else "_" for c in label.lower()).strip("_")

    a, b = part(ot.label_a), part(ot.label_b)
    head_a, _, tail_a = a.rpartition("_v")
    head_b, _, tail_b = b.rpartition("_v")
    if head_a and head_a == head_b and tail_a.isdigit() and tail_b.isdigit():
        return f"entwicklung_{head_a}_v{tail_a}_v{tail_b}"
    return f"entwicklung_{a}_{b}"


#: Columns of signed changes ("+44", "−5", "±0") that the files hold as numbers.
SIGNED_COLUMNS = ("Veränderung (Prozentpunkte)", "Veränderung (Personen)")


def _number(value: object) -> object:
    """``"+1.240"`` → 1240, ``"−5"`` → −5, ``"±0"`` → 0, ``"+< 3"`` → ``"< 3"``; codes ("•", "–") stay."""
    if not isinstance(value, str):
        return value
    text = value.replace("\u2212", "-").replace("±", "")
    if text.lstrip("+-").startswith("<"):
        return text.lstrip("+-")
    try:
        return int(text.replace(".", ""))
    except ValueError:
        return value


def change_table(ot: OverTime, type_names: dict[str, str]) -> pd.DataFrame:
    """Every district and offer type (not only the changed ones), as the files hold them.

    The changes are numbers (Excel sums and sorts them; a text "+44" would be a formula to neutralise), a change of
    1 or 2 people "< 3", a value not shown "•".
    """
    table = district_table(ot, type_names, only_changed=False)
    for name in SIGNED_COLUMNS:
        if name in table:
            table[name] = table[name].map(_number).astype(object)
    return table


def change_csv_bytes(ot: OverTime, type_names: dict[str, str]) -> bytes:
    """:func:`change_table` as CSV for German Excel (``;``, decimal comma, UTF-8 with BOM, formulas neutralised)."""
    return german_csv_bytes(change_table(ot, type_names))


def change_xlsx_bytes(ot: OverTime, type_names: dict[str, str]) -> bytes:
    """:func:`change_table` as XLSX: sheets "Entwicklung" and "Erläuterungen" (what, how, data protection, source)."""
    from openpyxl import Workbook

    stamp = export_timestamp(None).replace(tzinfo=None)
    source = source_text(ot.dataset_b)
    notes = [*explanations(ot, rule_text(min_inhabitants(ot.result_b)), source),
             *(("Lizenz", text) for text in licence_notes(ot.dataset_b))]
    wb = Workbook()
    ws = wb.active
    ws.title = "Entwicklung"
    _write_sheet(ws, change_table(ot, type_names))
    _write_sheet(wb.create_sheet("Erläuterungen"), pd.DataFrame(notes, columns=["Thema", "Beschreibung"]),
                 widths={"Thema": 24, "Beschreibung": 110})
    props = wb.properties
    props.creator = props.lastModifiedBy = APP_NAME
    props.title = f"Präventionsatlas – Entwicklung {ot.period}"
    props.subject = f"Reichweite und Versorgungslücken {ot.period}; Quelle: {source}"
    props.created = props.modified = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    return _fixed_zip(buffer.getvalue(), stamp)
