"""The ranked gap list of the committee report: its rows, the ranking option, its pages and the cover's gap list.

The ranking lists the Sozialräume mit hohem Bedarf per offer type, gaps first (``Result.gaps``, protected by
:func:`~geo.analysis.protect.protect_gaps`). :data:`RANKINGS` says which rows the report body shows: only the
gaps (default), the gaps with the rest in an annex, or every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pandas as pd

from geo import settings
from geo.analysis.population import CHILDREN, Population
from geo.analysis.protect import HIDDEN_MEANING, SMALL
from geo.dataset import Dataset
from geo.formatting import format_distance, format_number
from geo.render import reach_words
from geo.render.print.page import TOP, PageCtx, heading, paragraph, table

#: Which rows of the ranking the report shows (option ``ranking`` of the report), with the German choice text.
RANKINGS: Final[dict[str, str]] = {
    "gaps": "Nur Versorgungslücken (die übrigen stehen in der Ergebnistabelle)",
    "annex": "Versorgungslücken, die übrigen Sozialräume mit hohem Bedarf im Anhang",
    "all": "Alle Sozialräume mit hohem Bedarf",
}
DEFAULT_RANKING: Final[str] = "gaps"
#: Section titles of the ranking in the body and of the annex.
RANKING_TITLE: Final[dict[str, str]] = {
    "gaps": "Rangliste der Versorgungslücken",
    "annex": "Rangliste der Versorgungslücken",
    "all": "Rangliste der Sozialräume mit hohem Bedarf",
}
ANNEX_TITLE: Final[str] = "Anhang: Sozialräume mit hohem Bedarf ohne Versorgungslücke"
#: The annex in the contents (its heading would not fit the contents' column).
ANNEX_CONTENTS: Final[str] = "Anhang: übrige Sozialräume mit hohem Bedarf"
#: Where the rows left out of the report are found.
TABLE_HINT: Final[str] = "in der Ergebnistabelle (XLSX: Blatt „Versorgungslücken“; CSV: Werte je Sozialraum)"


def check_ranking(ranking: str) -> str:
    """``ranking`` if it is a key of :data:`RANKINGS`; else a German :class:`ValueError`."""
    if ranking not in RANKINGS:
        raise ValueError(f"Unbekannte Rangliste {ranking!r}; möglich: {', '.join(RANKINGS)}")
    return ranking


@dataclass(frozen=True)
class GapRow:
    """One row of the ranked gap list as the report prints it, with the analysis fields it is selected by."""

    offer_type: str
    is_gap: bool
    cells: dict[str, str]  # keyed by GAP_FIELDS

    def row(self, names: list[str] | tuple[str, ...]) -> list[str]:
        """The cells ``names`` (see :data:`GAP_FIELDS`), in that order."""
        return [self.cells[name] for name in names]


def shown(value, decimals: int = 0, unit: str = "") -> str:
    """A number as German text; a code of the data protection (``"< 3"``, ``"•"``) as it is."""
    return value if isinstance(value, str) else format_number(value, decimals, unit=unit)


def gap_rows(dataset: Dataset, gaps: pd.DataFrame) -> list[GapRow]:
    """The ranked gap frame (:func:`~geo.analysis.protect.protect_gaps` of ``Result.gaps``) as report rows."""
    rows = []
    for rank, g in enumerate(gaps.to_dict("records"), start=1):
        share, median = g["share_in_reach"], g["median_distance_m"]
        rows.append(GapRow(str(g["offer_type"]), bool(g["is_gap"]), {
            "rank": str(rank),
            "name": str(g[settings.DISTRICT_NAME]),
            "type": dataset.type_labels(g["offer_type"]).short,
            "district": str(g[settings.DISTRICT_ID]),
            "status": str(g["status_class"]).replace("Status ", ""),
            "count": shown(g["population"]),
            "reached": share if isinstance(share, str) else format_number(100 * float(share), 0, unit="%"),
            "not_reached": shown(g["without_reach"]),
            "median": median if isinstance(median, str) else format_distance(float(median)),
            "gap": "ja" if g["is_gap"] else "nein",
            "reason": str(g["reason"]),
        }))
    return rows


#: Cells of the ranked gap list (columns of :data:`GAP_HEADER`) and of the gap table on an offer type's page.
GAP_FIELDS = ("rank", "name", "type", "status", "count", "reached", "not_reached", "median", "gap", "reason")
TYPE_GAP_FIELDS = ("name", "count", "reached", "not_reached", "median", "reason")


def gap_header(population: Population = CHILDREN) -> list[str]:
    """Header of the ranked gap list (cells :data:`GAP_FIELDS`), naming whom reach is measured for."""
    short = "Ziel-\ngruppe" if population.short == "Zielgruppe" else population.short  # the narrow column
    return ["Rang", "Sozialraum", "Angebot", "Status", short, "erreicht", "nicht\nerreicht",
            "Median-\nweg", "Lücke", "Begründung"]


GAP_HEADER = gap_header()

GAP_ALIGNS = ["right", "left", "left", "left", "right", "right", "right", "right", "left", "left"]


def gap_explained(population: Population = CHILDREN) -> str:
    """How to read the ranked gap list's columns."""
    p = population
    return (f"erreicht = Anteil {p.genitive} in Reichweite; nicht erreicht = Zahl {p.genitive} ohne "
            f"Angebot in Reichweite; Medianweg = Luftlinie, innerhalb der die Hälfte {p.genitive} ein Angebot "
            "erreicht.")


def split_rows(rows: list[GapRow], ranking: str) -> tuple[list[GapRow], list[GapRow], list[GapRow]]:
    """The rows of the body's ranking, of the annex, and those left out, for option ``ranking``."""
    gaps = [g for g in rows if g.is_gap]
    rest = [g for g in rows if not g.is_gap]
    if check_ranking(ranking) == "all":
        return rows, [], []
    return (gaps, rest, []) if ranking == "annex" else (gaps, [], rest)


def left_out_text(rows: list[GapRow], ranking: str, annex_page: int | None = None) -> str:
    """The sentence how many in-need rows without gap the ranking leaves out and where they are ('' if none)."""
    rest = [g for g in rows if not g.is_gap]
    if ranking == "all" or not rest:
        return ""
    districts = len({g.cells["district"] for g in rest})
    where = f"im Anhang (ab Seite {annex_page})" if ranking == "annex" else TABLE_HINT
    return (f"Nicht aufgeführt: {len(rest)} Kombination{'' if len(rest) == 1 else 'en'} aus Sozialraum mit hohem "
            f"Bedarf und Angebotsart ohne Versorgungslücke ({districts} Sozialr{'aum' if districts == 1 else 'äume'}); "
            f"sie stehen {where}.")


def ranking_method_text(ranking: str, population: Population = CHILDREN) -> str:
    """The ranking as the option in force orders it, for the methods page."""
    order = f"absteigend nach der Zahl {population.genitive} ohne Angebot in Reichweite"
    option = {"gaps": f"nur die Versorgungslücken je Angebotsart, {order}; die übrigen Sozialräume mit hohem Bedarf "
                      f"stehen {TABLE_HINT}",
              "annex": f"die Versorgungslücken je Angebotsart, {order}; die übrigen Sozialräume mit hohem Bedarf "
                       "stehen im Anhang am Ende",
              "all": f"alle Sozialräume mit hohem Bedarf je Angebotsart, zuerst die Lücken, jeweils {order}",
              }[check_ranking(ranking)]
    return f"Rangliste (Option „{ranking}“): {option}."


def gap_page(fig, renderer, ctx: PageCtx, rows: list[list[str]], bold: list[bool], widths: list[float],
             first: bool, title: str, intro: str) -> None:
    """One page of the ranking or of the annex; the first with its heading and reading help."""
    W, H = fig.get_size_inches()
    y = H - TOP
    if first:
        y = heading(fig, title, y)
        p = reach_words.group(ctx.result)
        y = paragraph(fig, ctx, f"{intro} {gap_explained(p)} „{SMALL}“ = 1 oder 2; {HIDDEN_MEANING}.", y,
                      color="#333333", size=7.8)
    else:
        y = paragraph(fig, ctx, f"{title} (Fortsetzung)", y, weight="bold")
    if rows:
        table(fig, ctx, gap_header(reach_words.group(ctx.result)), rows, widths, y, aligns=GAP_ALIGNS, size=7.4,
              bold_rows=bold)
    else:
        paragraph(fig, ctx, "Keine Versorgungslücke bei diesen Radien und dieser Schwelle.", y)


@dataclass(frozen=True)
class GapDistrict:
    """A Sozialraum with at least one gap, as the cover lists it."""

    name: str
    status: str
    types: list[str]  # short labels of the offer types with a gap, largest gap first
    without: list[str]  # people without an offer in reach, per type in ``types`` (protected text)


def gap_districts(rows: list[GapRow]) -> list[GapDistrict]:
    """The districts with a gap, in the order of their largest gap (the ranking's order)."""
    out: dict[str, GapDistrict] = {}
    for g in rows:
        if not g.is_gap:
            continue
        key = g.cells["district"]
        if key not in out:
            out[key] = GapDistrict(g.cells["name"], g.cells["status"], [], [])
        out[key].types.append(g.cells["type"])
        out[key].without.append(g.cells["not_reached"])
    return list(out.values())

