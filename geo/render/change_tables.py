"""German tables and sentences of the change over time (:class:`geo.analysis.over_time.OverTime`): page, CLI, files.

Built on the comparison tables of :mod:`geo.render.compare_tables` (the same figures, the same data protection: "•"
where a share is not shown in A or B, "< 3" for a change of 1 or 2 people, totals over the districts shown in both)
with A and B named by what they are ("2023", "Angebote v5"). Between two years a gap may also end because the
district is no longer in need: it is then not "neu versorgt" but :data:`NEED_ENDED_TEXT`.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from geo import settings
from geo.analysis.compare import headline
from geo.analysis.over_time import OverTime
from geo.formatting import format_number
from geo.render import compare_tables as cmp

#: The fate of a gap that ends because the district's status class left "niedrig"/"sehr niedrig".
NEED_ENDED_TEXT: Final[str] = "entfällt: kein hoher Bedarf mehr"


def _side_headers(frame: pd.DataFrame, ot: OverTime) -> pd.DataFrame:
    """Headers "A: …"/"B: …" named by the sides ("2023: in Reichweite (%)")."""
    def header(name: str) -> str:
        if name.startswith("A: "):
            return f"{ot.label_a}: {name[3:]}"
        if name.startswith("B: "):
            return f"{ot.label_b}: {name[3:]}"
        return name

    return frame.rename(columns=header)


def headlines(ot: OverTime, type_names: dict[str, str]) -> list[tuple[str, str]]:
    """Per offer type its name and the change in one German sentence (:func:`geo.analysis.compare.headline`).

    E.g. ("FGZ", "+120 Kinder von 6 bis unter 10 Jahren in Reichweite, 1 Versorgungslücke geschlossen"); gaps that
    ended with the need are named ("davon 1 ohne hohen Bedarf 2024").
    """
    rows = ot.comparison.districts
    ended = ot.need_ended()
    out = []
    for t in ot.comparison.key_figures[settings.OFFER_TYPE]:
        text = headline(ot.comparison, t, cmp.target_words(ot.result_a, ot.result_b, t))
        n = int(ended[(rows[settings.OFFER_TYPE] == t).to_numpy()].sum())
        if n:
            text += f" (davon {format_number(n)} ohne hohen Bedarf {ot.label_b})"
        out.append((type_names.get(t, t), text))
    return out


def key_figures(ot: OverTime, type_names: dict[str, str]) -> pd.DataFrame:
    """:func:`geo.render.compare_tables.key_figure_table` with the sides named ("2023: in Reichweite")."""
    table = cmp.key_figure_table(ot.comparison, ot.result_a, ot.result_b, type_names)
    return _side_headers(table, ot)


def district_table(ot: OverTime, type_names: dict[str, str], *, only_changed: bool = True) -> pd.DataFrame:
    """Per district and offer type: share in reach in A and B, the change (points, people) and the gap's fate.

    The fate is :data:`geo.render.compare_tables.GAP_TEXT` ("neu versorgt", "neue Lücke", "weiterhin Lücke",
    "keine Lücke"), or :data:`NEED_ENDED_TEXT`. Between two years both status classes are given. ``only_changed``:
    the rows whose share, people or gap changed (all rows for the downloads).
    """
    table = cmp.district_changes(ot.comparison, ot.result_a, ot.result_b, type_names, only_changed=only_changed)
    if table.empty:
        return _side_headers(table, ot)
    rows = ot.comparison.districts
    keys = list(zip(rows[settings.DISTRICT_ID].astype("str"),
                    rows[settings.OFFER_TYPE].map(lambda t: type_names.get(t, t)), strict=True))
    ended = dict(zip(keys, ot.need_ended(), strict=True))
    mine = [ended.get(k, False) for k in zip(table["Sozialraum-Nr."], table["Angebotsart"], strict=True)]
    table["Versorgungslücke"] = np.where(mine, NEED_ENDED_TEXT, table["Versorgungslücke"].to_numpy(dtype=object))
    status_b = table["Sozialraum-Nr."].map(ot.status_b()).to_numpy(dtype=object)
    if ot.kind == "years" or (status_b != table["Statusklasse"].to_numpy(dtype=object)).any():
        at = table.columns.get_loc("Statusklasse") + 1
        table = table.rename(columns={"Statusklasse": f"Statusklasse {ot.label_a}"})
        table.insert(at, f"Statusklasse {ot.label_b}", status_b)
    return _side_headers(table, ot)


def explanations(ot: OverTime, rule: str, source: str) -> list[tuple[str, str]]:
    """The sheet "Erläuterungen" of the XLSX file: what was compared, how, data protection and source."""
    return [("Vergleich", ot.period), *(("Hinweis", n) for n in ot.notes),
            ("Versorgungslücke", "Sozialraum mit hohem Bedarf (Status niedrig oder sehr niedrig), in dem weniger "
                                 f"als {format_number(100 * ot.result_b.max_share_in_reach)} % der Zielgruppe ein "
                                 "Angebot der Art in Reichweite haben; " + "; ".join(
                                     f"„{v}“ = {k}" for k, v in _FATES.items())),
            ("Datenschutz", rule), ("Quelle", source)]


_FATES: Final[dict[str, str]] = {
    "Lücke in A, nicht in B": cmp.GAP_TEXT[(True, False)], "keine Lücke in A, Lücke in B": cmp.GAP_TEXT[(False, True)],
    "Lücke in A und B": cmp.GAP_TEXT[(True, True)], "Lücke in B entfällt, weil der Bedarf nicht mehr hoch ist":
    NEED_ENDED_TEXT,
}
