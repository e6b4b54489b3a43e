"""The committee report's pages "Soziale Lage und Dynamik": Gesamtindex map, counts per cell, attention list.

The first page shows the Gesamtindex map (:mod:`geo.render.print.content_dynamics`) with its 4 × 3 key and the
count table (status × dynamik, with the districts lacking a class); the list of the Sozialräume mit besonderem
Aufmerksamkeitsbedarf follows on as many pages as it needs. Without a Dynamik the pages are left out and the
report says so in one line (:func:`no_dynamics_line`). Everything is read from the analysis result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import pandas as pd

from geo import settings
from geo.analysis import Result, column
from geo.analysis.dynamics import DYNAMIC_CLASSES, DYNAMIC_SIGNS, attention_rule_text
from geo.analysis.need import NOT_CLASSIFIED, STATUS_CLASSES
from geo.dataset import Dataset
from geo.render.print.content import map_content
from geo.render.print.content_dynamics import attention_mask, has_dynamics, no_dynamics_note, reason_summary
from geo.render.print.drawing import draw_legend, draw_map, legend_height
from geo.render.print.kit import TextMeasure
from geo.render.print.page import BOTTOM, MARGIN, TOP, PageCtx, auto_widths, heading, paginate, paragraph, table
from geo.render.print.sheet import omitted_note
from geo.render.provenance import NO_TILES_NOTE

DYNAMICS_TITLE: Final[str] = "Soziale Lage und Dynamik"
LIST_TITLE: Final[str] = "Sozialräume mit besonderem Aufmerksamkeitsbedarf"
COUNT_TITLE: Final[str] = "Sozialräume je Statusklasse und Dynamikklasse"
#: Size (pt) of the tables.
TABLE_SIZE: Final[float] = 7.6
#: Height (inches) of the map on A4; A3 adds the difference in page height.
MAP_H: Final[float] = 4.3
WITHOUT: Final[str] = "ohne Dynamikklasse"
COUNT_HEADER: Final[list[str]] = ["Statusklasse", *(f"{c} ({DYNAMIC_SIGNS[c]})" for c in DYNAMIC_CLASSES), WITHOUT,
                                  "zusammen"]
LIST_HEADER: Final[list[str]] = ["Sozialraum", "Nr.", "Statusklasse", "Dynamikklasse", "Code", "Versorgungslücke bei"]
LIST_ALIGNS: Final[list[str]] = ["left", "left", "left", "left", "left", "left"]

Drawer = Callable[..., None]


def count_table(result: Result) -> pd.DataFrame:
    """Districts per status class (rows, then "nicht klassifiziert") and Dynamik class (columns, then without one).

    The 4 × 3 part equals :func:`~geo.render.print.content_dynamics.overall_counts`; a total row and column.
    """
    d = result.districts
    status = d["status_class"].astype(str).where(d["status_class"].astype(str).isin(STATUS_CLASSES), NOT_CLASSIFIED)
    dynamic = d["dynamic_class"].astype(str).where(d["dynamic_class"].astype(str).isin(DYNAMIC_CLASSES), WITHOUT)
    counts = pd.crosstab(status, dynamic).reindex(index=[*STATUS_CLASSES, NOT_CLASSIFIED],
                                                   columns=[*DYNAMIC_CLASSES, WITHOUT], fill_value=0)
    counts["zusammen"] = counts.sum(axis=1)
    counts.loc["zusammen"] = counts.sum(axis=0)
    return counts.astype(int)


def _count_rows(result: Result) -> list[list[str]]:
    counts = count_table(result)
    return [[str(name), *(str(v) for v in row)] for name, row in counts.iterrows()]


def attention_rows(dataset: Dataset, result: Result) -> list[list[str]]:
    """One row per district mit besonderem Aufmerksamkeitsbedarf: name, id, status, dynamik, code, gap types.

    Worst first: status sehr niedrig before niedrig before mittel, then dynamik negativ before stabil before
    positiv before none, then by name. User text (names) stays as given: it is drawn as plain text.
    """
    d = result.districts
    mask = attention_mask(result)
    order_status = {c: i for i, c in enumerate(reversed(STATUS_CLASSES))}
    order_dynamic = {c: i for i, c in enumerate(reversed(DYNAMIC_CLASSES))}
    rows = []
    for i in np.flatnonzero(mask):
        row = d.iloc[i]
        status, dynamic = str(row["status_class"]), str(row["dynamic_class"])
        shown = dynamic if dynamic in DYNAMIC_CLASSES else f"{WITHOUT}: {row['dynamic_reason'] or dynamic}"
        gaps = [dataset.type_labels(t).short for t in result.offer_types if bool(row[column("gap", t)])]
        key = (order_status.get(status, 9), order_dynamic.get(dynamic, 9), str(row[settings.DISTRICT_NAME]))
        rows.append((key, [str(row[settings.DISTRICT_NAME]), str(row[settings.DISTRICT_ID]), status, shown,
                           str(row["overall_code"]) or "–", ", ".join(gaps) or "keine"]))
    return [cells for _, cells in sorted(rows, key=lambda r: r[0])]


def no_dynamics_line(result: Result) -> str:
    """The line the report prints on the need page in place of these pages when there is no Dynamik."""
    return f"Die Seite „{DYNAMICS_TITLE}“ entfällt. {no_dynamics_note(result)}"


def _intro(result: Result, n_attention: int) -> str:
    info = result.dynamics
    return (f"Gesamtindex nach dem Monitoring Soziale Stadtentwicklung: die Statusklasse {result.year} (wie ist die "
            f"Lage?) zusammen mit der Dynamikklasse {info.period} (wie verändert sie sich?). {n_attention} von "
            f"{len(result.districts)} Sozialräumen haben besonderen Aufmerksamkeitsbedarf (schwarz umrandet, fett "
            f"beschriftet; Liste auf der nächsten Seite). Regel: {attention_rule_text()}.")


def _overview_page(fig, renderer, ctx: PageCtx, *, n_attention: int) -> None:
    W, H = fig.get_size_inches()
    r = ctx.result
    y = heading(fig, DYNAMICS_TITLE, H - TOP)
    y = paragraph(fig, ctx, _intro(r, n_attention), y, color="#333333")
    content = map_content("gesamtindex", ctx.dataset, r)
    legend_h = legend_height(content, W - 2 * MARGIN, 0.95) + 0.05
    map_h = MAP_H + (H - 11.69)
    stats = draw_map(fig, renderer, (MARGIN, y - map_h, W - 2 * MARGIN, map_h), content, r, labels=True,
                     fontscale=0.95)
    y -= map_h + 0.1
    y = draw_legend(fig, renderer, (MARGIN, y - legend_h, W - 2 * MARGIN, legend_h), content, fontscale=0.95)
    y = paragraph(fig, ctx, f"Methode: {content.method}; {NO_TILES_NOTE}.{omitted_note(stats)}", y - 0.12,
                  size=7.0, color="#444444")
    y = heading(fig, COUNT_TITLE, y - 0.05, 10.5)
    rows = _count_rows(r)
    widths = auto_widths(ctx.measure, COUNT_HEADER, rows, TABLE_SIZE, 0, W - 2 * MARGIN)
    table(fig, ctx, COUNT_HEADER, rows, widths, y, aligns=["left"] + ["right"] * 5, size=TABLE_SIZE,
          bold_rows=[False] * (len(rows) - 1) + [True])


def _list_page(fig, renderer, ctx: PageCtx, *, rows: list[list[str]], widths: list[float], first: bool) -> None:
    W, H = fig.get_size_inches()
    y = H - TOP
    if first:
        y = heading(fig, LIST_TITLE, y)
        reasons = reason_summary(ctx.result)
        y = paragraph(fig, ctx, f"Regel: {attention_rule_text()}. Schlechteste Lage zuerst (Status sehr niedrig, "
                                "dann niedrig, mittel; darin Dynamik negativ zuerst). Code des MSS: Status 1 (hoch) "
                                "bis 4 (sehr niedrig) und Dynamik + / +/− / −."
                                + (f" Ohne Dynamikklasse: {reasons}." if reasons else ""), y, color="#333333",
                      size=7.8)
    else:
        y = paragraph(fig, ctx, f"{LIST_TITLE} (Fortsetzung)", y, weight="bold")
    if rows:
        table(fig, ctx, LIST_HEADER, rows, widths, y, aligns=LIST_ALIGNS, size=TABLE_SIZE)
    else:
        paragraph(fig, ctx, "Kein Sozialraum erfüllt die Regel.", y)


def dynamics_pages(dataset: Dataset, result: Result, measure: TextMeasure, paper_in: tuple[float, float]
                   ) -> list[Drawer]:
    """The page drawers (``fig, renderer, ctx``) of the section; none when ``result`` has no Dynamik."""
    if not has_dynamics(result):
        return []
    W, H = paper_in
    total, body = W - 2 * MARGIN, H - TOP - BOTTOM
    rows = attention_rows(dataset, result)
    widths = auto_widths(measure, LIST_HEADER, rows, TABLE_SIZE, 3, total)
    pages = paginate(measure, rows, [False] * len(rows), widths, total, TABLE_SIZE, body - 1.2, body - 0.35,
                     header=LIST_HEADER) if rows else [[]]
    n = len(rows)
    drawers: list[Drawer] = [lambda fig, renderer, ctx: _overview_page(fig, renderer, ctx, n_attention=n)]
    drawers += [(lambda fig, renderer, ctx, idx=idx, k=k: _list_page(
        fig, renderer, ctx, rows=[rows[i] for i in idx], widths=widths, first=k == 0)) for k, idx in enumerate(pages)]
    return drawers
