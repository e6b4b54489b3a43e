"""The committee report's scenario chapter: a stored what-if scenario against the Bestand, marked on every page.

:func:`scenario_chapter` gathers what a chapter shows (:class:`ScenarioChapter`: the scenario's offers and their
analysis with the Bestand's settings, the comparison, the edits); :func:`chapter_pages` lays it out as page drawers
for :func:`~geo.render.print.report.render_report`: the title and what a scenario is, the edits in plain words
("Vorschlag: 3 neue Standorte (FGZ) an …"), the assumptions (the scenario's note rows), the key figures per offer
type (Bestand, Szenario, Veränderung), the gaps closed and opened by district, and a difference map per offer type
the scenario changes (:mod:`~geo.render.print.scenario_map`). Every page carries the scenario mark in its header
(:func:`~geo.render.print.page.furniture`). People counts follow rule 6 of :mod:`geo.analysis.protect`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo._errors import DataError
from geo.analysis import Params, Result, analyse, column
from geo.analysis.compare import Comparison, compare, measured_like
from geo.analysis.compare import headline as compare_headline
from geo.analysis.protect import HIDDEN, HIDDEN_MEANING, Total, district_codes
from geo.analysis.scenarios import ACTIONS, edits_of, names, scenario_dataset, scenario_text
from geo.dataset import Dataset
from geo.formatting import format_distance, format_number
from geo.render import reach_words
from geo.render.compare_tables import GAP_TEXT
from geo.render.print.drawing import draw_legend, draw_map, legend_height
from geo.render.print.kit import TextMeasure
from geo.render.print.page import (
    BODY,
    BOTTOM,
    MARGIN,
    SCENARIO_INK,
    TOP,
    PageCtx,
    auto_widths,
    heading,
    lines_height,
    paragraph,
    table,
    table_height,
    total_text,
)
from geo.render.print.scenario_map import changed, difference_content, offer_changes
from geo.render.print.sheet import omitted_note
from geo.render.provenance import NO_TILES_NOTE

#: Size (pt) of the chapter's tables.
SIZE: Final[float] = 7.6
#: At most this many offer names in one sentence of the edits; the rest are counted.
NAMES_SHOWN: Final[int] = 8
#: At most this many lines of the chapter title (a very long scenario name is shortened).
TITLE_LINES: Final[int] = 3
#: The name prefix the scenario edits give an accepted site suggestion ("Vorschlag 2: GGS Eichkamp").
_SUGGESTION_PREFIX = re.compile(r"^\s*Vorschlag\s+\d+\s*:\s*")

Drawer = Callable[..., None]


@dataclass(frozen=True)
class ScenarioChapter:
    """What one scenario chapter shows.

    Attributes
    ----------
    name
        The scenario's name (user text: drawn as data).
    edits
        Its stored edits in step order (:data:`geo.analysis.scenarios.SCENARIO_COLUMNS`).
    base, base_result
        The Bestand and its analysis (the report's).
    dataset, result
        The scenario's data (offers with the edits) and its analysis with the same settings.
    comparison
        :func:`geo.analysis.compare.compare` of ``base_result`` and ``result``.
    notes
        German notes on edits that could not be applied (the offer is gone from the Bestand).
    """

    name: str
    edits: pd.DataFrame
    base: Dataset
    base_result: Result
    dataset: Dataset
    result: Result
    comparison: Comparison
    notes: list[str]

    @cached_property
    def changes(self) -> gpd.GeoDataFrame:
        """:func:`~geo.render.print.scenario_map.offer_changes` of the Bestand's and the scenario's offers."""
        return offer_changes(self.base.offers, self.dataset.offers)

    @property
    def offer_types(self) -> list[str]:
        """The offer types analysed in the Bestand or the scenario, in the Bestand's order."""
        return list(dict.fromkeys([*self.base_result.offer_types, *self.result.offer_types]))


def scenario_chapter(dataset: Dataset, result: Result, name: str, params: Params | None = None) -> ScenarioChapter:
    """The chapter of the stored scenario ``name`` for the report on ``dataset`` (the Bestand) and ``result``.

    ``params`` must be those ``result`` was computed with: the scenario is analysed with the same settings.

    Raises
    ------
    DataError
        ``dataset`` is itself a scenario, or no scenario of that name is stored.
    """
    if dataset.scenario:
        raise DataError(f"Szenario-Kapitel gehören in den Bericht über den Bestand; gewählt ist das Szenario "
                        f"„{dataset.scenario}“. Bitte zuerst „Bestand“ wählen.")
    stored = names(dataset.scenarios)
    if name not in stored:
        listed = ", ".join(f"„{n}“" for n in stored) or "keine"
        raise DataError(f"Ein Szenario „{name}“ ist in diesem Arbeitsbereich nicht gespeichert (gespeichert: "
                        f"{listed}).")
    variant, notes = scenario_dataset(dataset, name)
    variant_result = measured_like(analyse(variant, params or Params()), result)
    return ScenarioChapter(name, edits_of(dataset.scenarios, name), dataset, result, variant, variant_result,
                           compare(result, variant_result), notes)


def scenario_chapters(dataset: Dataset, result: Result, chosen: Sequence[str],
                      params: Params | None = None) -> list[ScenarioChapter]:
    """One :func:`scenario_chapter` per name in ``chosen`` (in that order, each name once)."""
    return [scenario_chapter(dataset, result, name, params) for name in dict.fromkeys(chosen)]


# --- the edits and assumptions in words ------------------------------------------------------------------------

def _q(name: str) -> str:
    return f"„{name}“"


def _joined(items: list[str]) -> str:
    """"A, B und C" – at most :data:`NAMES_SHOWN` items, the rest counted."""
    shown = items[:NAMES_SHOWN]
    if len(items) > NAMES_SHOWN:
        return ", ".join(shown) + f" und {len(items) - NAMES_SHOWN} weitere"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " und " + shown[-1]


def _sites(n: int) -> str:
    return f"{n} neuer Standort" if n == 1 else f"{n} neue Standorte"


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and not np.isfinite(value)) or value is pd.NA \
        else str(value).strip()


def edit_lines(ch: ScenarioChapter) -> list[str]:
    """The scenario's edits in plain German, one sentence per kind of edit and offer type, in the edits' order.

    Accepted site suggestions read "Vorschlag: 3 neue Standorte (FGZ) an „GGS Eichkamp“, …"; closed and
    changed offers are named as the Bestand names them.
    """
    base = ch.base.offers
    base_names = dict(zip(base[settings.OFFER_ID].astype("str"),
                          base[settings.OFFER_NAME].fillna("").astype("str") if settings.OFFER_NAME in base
                          else base[settings.OFFER_ID].astype("str"), strict=True))
    groups: dict[tuple[str, str], list[str]] = {}
    for _, e in ch.edits.iterrows():
        action = _text(e["action"])
        if action == "note":
            continue
        offer_id, short = _text(e[settings.OFFER_ID]), ch.base.type_labels(_text(e[settings.OFFER_TYPE])).short
        name = _text(e[settings.OFFER_NAME]) or base_names.get(offer_id, "") or offer_id
        if action == "add":
            kind = "suggestion" if _text(e["source"]) == "suggestion" else "add"
            address = _text(e[settings.OFFER_ADDRESS])
            item = _q(_SUGGESTION_PREFIX.sub("", name) if kind == "suggestion" else name)
            groups.setdefault((kind, short), []).append(f"{item} ({address})" if address and kind == "add" else item)
        elif action == "close":
            groups.setdefault(("close", short), []).append(_q(base_names.get(offer_id) or name))
        elif action == "move":
            groups.setdefault(("move", short), []).append(_moved(ch, e, base_names.get(offer_id) or name))
        elif action == "capacity":
            groups.setdefault(("capacity", short), []).append(_capacity(ch, e, base_names.get(offer_id) or name))
        else:
            groups.setdefault((action, short), []).append(_q(name))
    return [_group_line(kind, short, items) for (kind, short), items in groups.items()]


def _group_line(kind: str, short: str, items: list[str]) -> str:
    n = len(items)
    lead = {
        "suggestion": f"Vorschlag: {_sites(n)} ({short}) an ",
        "add": f"Neu: {_sites(n)} ({short}): ",
        "close": f"Geschlossen: {n} Standort{'e' if n > 1 else ''} ({short}): ",
        "move": f"Verlegt ({short}): ",
        "capacity": f"Kapazität geändert ({short}): ",
    }.get(kind, f"{ACTIONS.get(kind, kind)} ({short}): ")
    return lead + (_joined(items) if kind not in ("move", "capacity") else "; ".join(items[:NAMES_SHOWN]) + (
        f" und {n - NAMES_SHOWN} weitere" if n > NAMES_SHOWN else "")) + "."


def _moved(ch: ScenarioChapter, edit: pd.Series, name: str) -> str:
    base = ch.base.offers
    hit = base[base[settings.OFFER_ID].astype("str") == _text(edit[settings.OFFER_ID])]
    try:
        to = shapely.Point(float(edit["x"]), float(edit["y"]))
    except (TypeError, ValueError):
        return f"„{name}“"
    if not len(hit) or hit.crs is None:
        return f"„{name}“"
    start = hit.to_crs(settings.METRIC_CRS).geometry.iloc[0]
    return f"„{name}“ um {format_distance(float(start.distance(to)))}"


def _capacity(ch: ScenarioChapter, edit: pd.Series, name: str) -> str:
    base = ch.base.offers
    hit = base[base[settings.OFFER_ID].astype("str") == _text(edit[settings.OFFER_ID])]
    before = hit[settings.OFFER_CAPACITY].iloc[0] if len(hit) and settings.OFFER_CAPACITY in hit else None
    after = edit[settings.OFFER_CAPACITY]
    return (f"„{name}“ von {format_number(pd.to_numeric(before, errors='coerce'), 0)} auf "
            f"{format_number(pd.to_numeric(after, errors='coerce'), 0)}")


def assumptions(ch: ScenarioChapter) -> list[str]:
    """The scenario's stated assumptions (its note rows and notes on edits), then what stays as in the Bestand."""
    items = []
    for _, e in ch.edits.iterrows():
        note = _text(e["note"])
        if not note:
            continue
        if _text(e["action"]) == "note":
            items.append(note)
        else:
            who = _text(e[settings.OFFER_NAME]) or _text(e[settings.OFFER_ID])
            items.append(f"{ACTIONS.get(_text(e['action']), _text(e['action']))} „{who}“: {note}")
    r = ch.base_result
    models = "; ".join(reach_words.short_note(r, t, ch.base.type_labels(t).short) for t in r.offer_types)
    items.append(f"Alles Übrige wie im Bestand: Indikatorjahr {r.year}, Bedarf (Statusindex), Zielgruppen, "
                 f"Reichweite ({models or 'keine Angebotsart analysiert'}) und die Schwelle der Versorgungslücke "
                 f"({format_number(100 * r.max_share_in_reach, 0)} %). Die übrigen Angebote bleiben unverändert.")
    items.extend(f"Nicht angewandt: {note}." for note in ch.notes)
    return items


# --- figures ---------------------------------------------------------------------------------------------------

def _aligned(ch: ScenarioChapter) -> np.ndarray:
    ids = ch.base_result.districts[settings.DISTRICT_ID].astype("str")
    return pd.Index(ch.result.districts[settings.DISTRICT_ID].astype("str")).get_indexer(ids)


def reach_totals(ch: ScenarioChapter, offer_type: str) -> dict[str, Total]:
    """People of the type's target group in reach, all districts and those in need, Bestand and Szenario.

    The sums are the chapter's :func:`geo.analysis.compare.compare` key figures (rule 6: districts whose share is
    suppressed in either analysis are left out of all four sums and counted, among all districts and among those
    in need). Keys ``reached_before``, ``reached_after``, ``in_need_before``, ``in_need_after``.
    """
    figures = ch.comparison.figures(offer_type)
    rows = ch.comparison.districts[ch.comparison.districts[settings.OFFER_TYPE] == offer_type]
    hidden = rows["share_code"].to_numpy() != ""
    left_out, left_out_need = int(figures["left_out"]), int((hidden & rows["in_need"].to_numpy(dtype=bool)).sum())
    return {
        "reached_before": Total(float(figures["reached_before"]), left_out),
        "reached_after": Total(float(figures["reached_after"]), left_out),
        "in_need_before": Total(float(figures["in_need_before"]), left_out_need),
        "in_need_after": Total(float(figures["in_need_after"]), left_out_need),
    }


def signed(value: float) -> str:
    """A change as German text with its sign: "+1.240", "−3", "±0"."""
    rounded = round(float(value))
    return "±0" if rounded == 0 else format_number(rounded, 0, signed=True)


def _n_offers(dataset: Dataset, offer_type: str) -> int:
    return int((dataset.offers[settings.OFFER_TYPE].astype("str") == offer_type).sum())


def headline(ch: ScenarioChapter, offer_type: str) -> str:
    """"FGZ: +1.240 Kinder von 6 bis unter 10 Jahren in Reichweite, 2 Versorgungslücken geschlossen".

    The one wording of :func:`geo.analysis.compare.headline`, led by the type's short name.
    """
    words = reach_words.target(ch.base_result if offer_type in ch.base_result.offer_types else ch.result,
                               offer_type)
    return f"{ch.base.type_labels(offer_type).short}: {compare_headline(ch.comparison, offer_type, words)}"


def key_rows(ch: ScenarioChapter) -> list[list[str]]:
    """The key-figure table: per offer type its sites, people in reach (all, in need) and gaps, then and now."""
    rows = []
    figures = ch.comparison.key_figures.set_index(settings.OFFER_TYPE)
    for t in ch.offer_types:
        totals = reach_totals(ch, t)
        words = reach_words.target(ch.base_result if t in ch.base_result.offer_types else ch.result, t)
        n0, n1 = _n_offers(ch.base, t), _n_offers(ch.dataset, t)
        f = figures.loc[t]
        star = "*" if totals["reached_after"].left_out else ""
        star_need = "*" if totals["in_need_after"].left_out else ""
        rows += [
            [ch.base.type_labels(t).plural, "Standorte", format_number(n0, 0), format_number(n1, 0), signed(n1 - n0)],
            ["", f"{words.plural} in Reichweite", total_text(totals["reached_before"]),
             total_text(totals["reached_after"]),
             signed(totals["reached_after"].value - totals["reached_before"].value) + star],
            ["", "davon in Sozialräumen mit hohem Bedarf", total_text(totals["in_need_before"]),
             total_text(totals["in_need_after"]),
             signed(totals["in_need_after"].value - totals["in_need_before"].value) + star_need],
            ["", "Sozialräume mit Versorgungslücke", format_number(f["gaps_before"], 0),
             format_number(f["gaps_after"], 0),
             f"{signed(f['gaps_after'] - f['gaps_before'])} ({int(f['gaps_closed'])} geschlossen, "
             f"{int(f['gaps_opened'])} neu)"],
        ]
    return rows


KEY_HEADER: Final[list[str]] = ["Angebotsart", "Kennzahl", "Bestand", "Szenario", "Veränderung"]
GAP_HEADER: Final[list[str]] = ["Sozialraum", "Status", "Angebotsart", "Anteil in Reichweite Bestand",
                                "Anteil in Reichweite Szenario", "Versorgungslücke"]


def gap_change_rows(ch: ScenarioChapter) -> list[list[str]]:
    """One row per district and offer type whose gap the scenario closes or opens (closed first, by name)."""
    d = ch.base_result.districts
    frame = ch.comparison.districts
    info = d.set_index(d[settings.DISTRICT_ID].astype("str"))
    order = _aligned(ch)
    rows = []
    for closing in (True, False):
        hit = frame[(frame["gap_before"] & ~frame["gap_after"]) if closing else
                    (~frame["gap_before"] & frame["gap_after"])]
        cells = []
        for _, g in hit.iterrows():
            district, t = str(g[settings.DISTRICT_ID]), str(g[settings.OFFER_TYPE])
            pos = int(np.flatnonzero(d[settings.DISTRICT_ID].astype("str").to_numpy() == district)[0])
            share_before = _share_text(ch.base_result, t, pos)
            share_after = _share_text(ch.result, t, int(order[pos]))
            cells.append([str(info.at[district, settings.DISTRICT_NAME]),
                          str(info.at[district, "status_class"]).replace("Status ", ""),
                          ch.base.type_labels(t).short, share_before, share_after,
                          GAP_TEXT[(closing, not closing)]])
        rows += sorted(cells, key=lambda row: (row[0].casefold(), row[2]))
    return rows


def _share_text(result: Result, offer_type: str, pos: int) -> str:
    name = column("share_in_reach", offer_type)
    if name not in result.districts:
        return format_number(0, 0, unit="%")
    if district_codes(result)[name].iloc[pos] != "":
        return HIDDEN
    return format_number(100 * float(result.districts[name].iloc[pos]), 0, unit="%")


# --- layout ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Block:
    """One piece of the chapter's text pages: a heading, a paragraph, a list item or a table (part)."""

    kind: str  # "h" | "p" | "li" | "table"
    text: str = ""
    weight: str = "normal"
    color: str = "#111111"
    table: tuple | None = None  # (header, rows, widths, aligns)


def _height(measure: TextMeasure, block: _Block, width: float) -> float:
    if block.kind == "h":
        return 11 / 72 * 1.6 + 0.04
    if block.kind == "table":
        header, rows, widths, _ = block.table
        head_h, heights = table_height(measure, header, rows, [False] * len(rows), widths, width, SIZE)
        return head_h + sum(heights) + 0.1
    indent = 0.2 if block.kind == "li" else 0.0
    return lines_height(len(measure.wrap(block.text, width - indent, BODY, block.weight)), BODY) + 0.08


def _split_table(measure: TextMeasure, block: _Block, width: float, room: float) -> tuple[_Block | None, _Block]:
    """The rows of a table that fit ``room`` (None when not even two do) and the rest."""
    header, rows, widths, aligns = block.table
    head_h, heights = table_height(measure, header, rows, [False] * len(rows), widths, width, SIZE)
    used, k = head_h + 0.1, 0
    while k < len(rows) and used + heights[k] <= room:
        used += heights[k]
        k += 1
    if k < 2:
        return None, block
    return (_Block("table", table=(header, rows[:k], widths, aligns)),
            _Block("table", table=(header, rows[k:], widths, aligns)))


def layout(measure: TextMeasure, blocks: list[_Block], width: float, first_h: float, page_h: float) -> list[list]:
    """Blocks per page: a heading moves on with the block after it; a long table continues on the next page."""
    pages: list[list[_Block]] = [[]]
    room = first_h
    queue = list(blocks)
    while queue:
        block = queue.pop(0)
        h = _height(measure, block, width)
        glue = 0.0 if block.kind != "h" or not queue else 0.9 if queue[0].kind == "table" else \
            _height(measure, queue[0], width)
        if h + glue > room and block.kind == "table":  # what fits here (at least two rows), the rest next page
            part, rest = _split_table(measure, block, width, room)
            if part is not None:
                pages[-1].append(part)
                queue.insert(0, rest)
                pages.append([])
                room = page_h
                continue
        if h + glue > room and pages[-1]:
            pages.append([])
            room = page_h
            queue.insert(0, block)
            continue
        pages[-1].append(block)
        room -= h
    return pages


def _title_lines(measure: TextMeasure, name: str, width: float) -> list[str]:
    lines = measure.wrap(f"Szenario: {name}", width, 14, "bold")
    if len(lines) > TITLE_LINES:
        lines = lines[:TITLE_LINES]
        lines[-1] = lines[-1][:-1].rstrip() + "…"
    return lines


def _text_blocks(ch: ScenarioChapter, measure: TextMeasure, width: float) -> list[_Block]:
    blocks = [_Block("p", f"{scenario_text(ch.name)}. Dieses Kapitel zeigt, was die Änderungen des Szenarios an "
                          "Reichweite und Versorgungslücken bewirken würden – gerechnet mit den Einstellungen des "
                          "Berichts. Alle übrigen Seiten zeigen den Bestand.", weight="bold", color=SCENARIO_INK)]
    blocks += [_Block("li", headline(ch, t), weight="bold") for t in ch.offer_types
               if changed(ch.base_result, ch.result, ch.changes, t)] or [
        _Block("p", "Das Szenario ändert an Reichweite und Versorgungslücken nichts.", weight="bold")]
    blocks.append(_Block("h", "Änderungen gegenüber dem Bestand"))
    blocks += [_Block("li", line) for line in edit_lines(ch)] or [_Block("p", "Keine Änderung an Angeboten.")]
    blocks.append(_Block("h", "Annahmen"))
    blocks += [_Block("li", text) for text in assumptions(ch)]
    blocks.append(_Block("h", "Kennzahlen: Bestand und Szenario"))
    rows = key_rows(ch)
    widths = auto_widths(measure, KEY_HEADER, rows, SIZE, 1, width)
    blocks.append(_Block("table", table=(KEY_HEADER, rows, widths, ["left", "left", "right", "right", "right"])))
    blocks.append(_Block("p", f"Personen der Zielgruppe jeder Angebotsart (nach Wohnort). * Ohne Sozialräume, deren "
                              f"Anteil in Reichweite aus Datenschutzgründen nicht ausgewiesen wird; {HIDDEN_MEANING}.",
                         color="#444444"))
    blocks.append(_Block("h", "Versorgungslücken: geschlossen und neu"))
    gap_rows = gap_change_rows(ch)
    if gap_rows:
        gap_widths = auto_widths(measure, GAP_HEADER, gap_rows, SIZE, 0, width)
        blocks.append(_Block("table", table=(GAP_HEADER, gap_rows, gap_widths,
                                             ["left", "left", "left", "right", "right", "left"])))
    else:
        blocks.append(_Block("p", "Das Szenario schließt keine Versorgungslücke und öffnet keine."))
    return blocks


def _text_page(fig, renderer, ctx: PageCtx, blocks: list[_Block], title: list[str] | None) -> None:
    W, H = fig.get_size_inches()
    y = H - TOP
    if title:
        fig.text(MARGIN / W, y / H, "\n".join(title), ha="left", va="top", fontsize=14, fontweight="bold",
                 linespacing=1.25)
        y -= lines_height(len(title), 14, 1.25) + 0.12
    else:
        y = paragraph(fig, ctx, f"Szenario „{ctx.scenario}“ (Fortsetzung)", y, weight="bold")
    for b in blocks:
        if b.kind == "h":
            y = heading(fig, b.text, y - 0.04, 11)
        elif b.kind == "li":
            fig.text(MARGIN / W, y / H, "–", ha="left", va="top", fontsize=BODY, color=b.color)
            y = paragraph(fig, ctx, b.text, y, x=MARGIN + 0.2, width=W - 2 * MARGIN - 0.2, weight=b.weight,
                          color=b.color)
        elif b.kind == "table":
            header, rows, widths, aligns = b.table
            y = table(fig, ctx, header, rows, widths, y, aligns=aligns, size=SIZE)
        else:
            y = paragraph(fig, ctx, b.text, y, weight=b.weight, color=b.color)


def _map_page(fig, renderer, ctx: PageCtx, ch: ScenarioChapter, offer_type: str) -> None:
    W, H = fig.get_size_inches()
    labels = ch.base.type_labels(offer_type)
    y = heading(fig, f"Differenzkarte: {labels.plural}", H - TOP)
    y = paragraph(fig, ctx, f"{headline(ch, offer_type)}. Farbe: Veränderung des Anteils in Reichweite je Sozialraum "
                            f"(braun = weniger, blaugrün = mehr); Angebote, die das Szenario neu setzt, schließt oder "
                            f"verlegt, sind hervorgehoben.", y, color="#333333")
    content = difference_content(ch.base, ch.base_result, ch.result, ch.changes, offer_type)
    legend_h = legend_height(content, W - 2 * MARGIN, 0.95) + 0.05
    map_h = y - BOTTOM - legend_h - 0.75
    stats = draw_map(fig, renderer, (MARGIN, y - map_h, W - 2 * MARGIN, map_h), content, ch.base_result,
                     labels=True, fontscale=0.95)
    y -= map_h + 0.1
    y = draw_legend(fig, renderer, (MARGIN, y - legend_h, W - 2 * MARGIN, legend_h), content, fontscale=0.95)
    paragraph(fig, ctx, f"Methode: {content.method}; {NO_TILES_NOTE}.{omitted_note(stats)}", y - 0.15, size=7.2,
              color="#444444")


def chapter_pages(ch: ScenarioChapter, measure: TextMeasure, paper_in: tuple[float, float]) -> list[Drawer]:
    """The page drawers of one chapter (``fig, renderer, ctx``): text pages, then a difference map per changed type.

    The report draws them with ``ctx.scenario`` set to the chapter's name, which marks every page.
    """
    W, H = paper_in
    width, body = W - 2 * MARGIN, H - TOP - BOTTOM
    title = _title_lines(measure, ch.name, width)
    first_h = body - lines_height(len(title), 14, 1.25) - 0.12
    pages = layout(measure, _text_blocks(ch, measure, width), width, first_h, body - 0.3)
    drawers: list[Drawer] = [
        (lambda fig, renderer, ctx, blocks=blocks, k=k: _text_page(fig, renderer, ctx, blocks, title if k == 0
                                                                   else None))
        for k, blocks in enumerate(pages)]
    changes = ch.changes
    for t in ch.offer_types:
        if changed(ch.base_result, ch.result, changes, t):
            drawers.append(lambda fig, renderer, ctx, t=t: _map_page(fig, renderer, ctx, ch, t))
    return drawers
