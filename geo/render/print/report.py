"""The committee report: one multi-page PDF that leads with the result.

Pages: the cover (:mod:`~geo.render.print.report_cover`: combined gap map, gap districts, key figures,
contents); the need map; "Soziale Lage und Dynamik" (:mod:`~geo.render.print.report_dynamics`: Gesamtindex
map, counts, attention list; a line on the need page when there is no Dynamik); per analysed offer type a reach
map with its gap districts; the ranking (:mod:`~geo.render.print.ranking`, option ``ranking``); the
Präventionskette (:mod:`~geo.render.print.chain`, where a life phase has an analysed offer type); a chapter per
what-if scenario asked for (:mod:`~geo.render.print.scenario`, every page marked); the methods
(:mod:`~geo.render.print.report_methods`); with ``ranking="annex"`` an annex of the in-need rows without gap.
Page primitives: :mod:`~geo.render.print.page`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from matplotlib.backends.backend_pdf import PdfPages

from geo import settings
from geo.analysis import Result, column
from geo.analysis.need import IN_NEED_CLASSES
from geo.analysis.protect import protect_gaps, protected_totals
from geo.dataset import Dataset
from geo.formatting import format_distance
from geo.progress import Progress, silent
from geo.render import reach_words
from geo.render.print.chain import TITLE as CHAIN_TITLE
from geo.render.print.chain import chain_of, chain_page
from geo.render.print.content import map_content
from geo.render.print.drawing import draw_legend, draw_map, legend_height
from geo.render.print.kit import TextMeasure, new_figure, paper_size_in, rc
from geo.render.print.page import (
    BOTTOM,
    MARGIN,
    TOP,
    PageCtx,
    auto_widths,
    furniture,
    heading,
    paginate,
    paragraph,
    table,
    total_text,
)
from geo.render.print.ranking import (
    ANNEX_CONTENTS,
    ANNEX_TITLE,
    DEFAULT_RANKING,
    GAP_FIELDS,
    RANKING_TITLE,
    TYPE_GAP_FIELDS,
    check_ranking,
    gap_districts,
    gap_header,
    gap_page,
    gap_rows,
    left_out_text,
    split_rows,
)
from geo.render.print.report_cover import COVER_TITLE, CoverInfo, cover
from geo.render.print.report_dynamics import DYNAMICS_TITLE, dynamics_pages, no_dynamics_line
from geo.render.print.report_methods import METHODS_TITLE, layout_methods, methods_blocks, methods_page
from geo.render.print.scenario import ScenarioChapter, chapter_pages
from geo.render.print.sheet import omitted_note
from geo.render.provenance import (
    APP_NAME,
    NO_TILES_NOTE,
    export_timestamp,
    resolve_date,
    settings_json,
    settings_record,
    software_version,
    source_text,
)

REPORT_TITLE = "Präventionsatlas – Bericht für den Jugendhilfeausschuss"
#: Size (pt) of the ranking's table.
RANK_SIZE = 7.4
#: At most this many gap districts in the table under an offer type's map.
TYPE_ROWS = 8

Drawer = Callable[..., None]


@dataclass
class _Section:
    """A titled run of pages; the contents list its first and last page."""

    title: str
    pages: list[Drawer] = field(default_factory=list)
    scenario: str = ""  # the scenario its pages show ("" = the Bestand): marked on each of them


def _map_page(fig, renderer, ctx: PageCtx, *, kind: str, heading_text: str, intro: str,
              offer_type: str | None = None, table_spec: tuple | None = None) -> None:
    W, H = fig.get_size_inches()
    y = heading(fig, heading_text, H - TOP)
    y = paragraph(fig, ctx, intro, y, color="#333333")
    content = map_content(kind, ctx.dataset, ctx.result, offer_type=offer_type)
    legend_h = legend_height(content, W - 2 * MARGIN, 0.95) + 0.05
    map_h = (6.9 if table_spec else 8.4) - legend_h + (H - 11.69)
    stats = draw_map(fig, renderer, (MARGIN, y - map_h, W - 2 * MARGIN, map_h), content, ctx.result, labels=True,
                     fontscale=0.95)
    y -= map_h + 0.1
    y = draw_legend(fig, renderer, (MARGIN, y - legend_h, W - 2 * MARGIN, legend_h), content, fontscale=0.95)
    y -= 0.15
    note = f"Methode: {content.method}; {NO_TILES_NOTE}."
    note += omitted_note(stats)
    y = paragraph(fig, ctx, note, y, size=7.2, color="#444444")
    if table_spec:
        header, rows, widths, aligns, title = table_spec
        y = heading(fig, title, y - 0.05, 10.5)
        if rows:
            table(fig, ctx, header, rows, widths, y, aligns=aligns, size=RANK_SIZE)
        else:
            paragraph(fig, ctx, "Keine Versorgungslücke bei diesem Radius und dieser Schwelle.", y)


def _bind(func: Callable, **kwargs) -> Drawer:
    """A page drawer with its keyword arguments fixed."""
    return lambda fig, renderer, ctx: func(fig, renderer, ctx, **kwargs)


def _type_section(d: Dataset, r: Result, t: str, rows, totals: dict, measure: TextMeasure, total_w: float) -> _Section:
    mine = [g for g in rows if g.is_gap and g.offer_type == t]
    cells = [g.row(TYPE_GAP_FIELDS) for g in mine[:TYPE_ROWS]]
    n_offers = int((d.offers[settings.OFFER_TYPE] == t).sum())
    n_gap = int(totals[column("gap_districts", t)].value)
    tp, model = reach_words.target(r, t), r.reach_models.get(t)
    intro = (f"{n_offers} Standorte; {tp.plural}; "
             f"{model.description if model else 'Radius ' + format_distance(r.radii[t])}. In Sozialräumen mit "
             f"hohem Bedarf haben {total_text(totals[column('share_in_need_reached', t)], percent=True)} "
             f"{tp.genitive} ein Angebot in Reichweite; {n_gap} "
             f"Sozialr{'aum hat' if n_gap == 1 else 'äume haben'} eine Versorgungslücke.")
    header = ["Sozialraum", tp.short, "erreicht", "nicht erreicht", "Medianweg", "Begründung"]
    spec = (header, cells, auto_widths(measure, header, cells, RANK_SIZE, 5, total_w),
            ["left", "right", "right", "right", "right", "left"],
            "Versorgungslücken" + (f" (die {TYPE_ROWS} größten)" if len(mine) > TYPE_ROWS else ""))
    title = f"{d.type_labels(t).plural}: Reichweite und Versorgungslücken"
    page = _bind(_map_page, kind="reach", offer_type=t, heading_text=title, intro=intro, table_spec=spec)
    return _Section(f"Reichweite: {d.type_labels(t).plural}", [page])


def _table_section(title: str, rows, header: list[str], measure: TextMeasure, total_w: float, body: float,
                   intro: Callable[[], str], contents_title: str = "") -> _Section:
    """The ranking or the annex: ``rows`` (:class:`~geo.render.print.ranking.GapRow`) over as many pages as needed.

    ``intro`` is called when the page is drawn, so that it may name page numbers known only then.
    """
    cells = [g.row(GAP_FIELDS) for g in rows]
    bold = [g.is_gap for g in rows]
    widths = auto_widths(measure, header, cells, RANK_SIZE, len(header) - 1, total_w)
    pages = paginate(measure, cells, bold, widths, total_w, RANK_SIZE, body - 1.25, body - 0.35, header=header)
    return _Section(contents_title or title, [
        (lambda f, rd, c, idx=idx, k=k: gap_page(f, rd, c, [cells[i] for i in idx], [bold[i] for i in idx], widths,
                                                 k == 0, title, intro()))
        for k, idx in enumerate(pages)])


def _first_page(sections: list[_Section], title: str) -> int:
    page = 1
    for s in sections:
        if s.title == title:
            return page
        page += len(s.pages)
    return 0


def render_report(
    dataset: Dataset, result: Result, *, export_date: date | None = None, paper: str = "A4",
    ranking: str = DEFAULT_RANKING, scenarios: Sequence[ScenarioChapter] = (), progress: Progress = silent,
) -> bytes:
    """The committee report as PDF bytes (A4 or A3 portrait).

    Parameters
    ----------
    dataset, result
        The data and its analysis (the report computes no indicator).
    export_date
        Printed on every page and stamped into the metadata; ``None`` = today.
    paper
        ``"A4"`` or ``"A3"``.
    ranking
        Rows of the ranking (:data:`~geo.render.print.ranking.RANKINGS`): ``"gaps"`` only the gaps, with a
        sentence how many in-need rows are left out and where they are; ``"annex"`` the gaps, the rest in an
        annex after the methods; ``"all"`` every in-need row.
    scenarios
        What-if scenarios to add as chapters after the Bestand's pages (before the methods), each built by
        :func:`~geo.render.print.scenario.scenario_chapter` from this data set and result; every page of a
        chapter is marked as a scenario. The Bestand stays the report's main part.
    progress
        Hears the steps (:mod:`geo.progress`): "Seiten planen", then one per page ("Seite 3 von 9: Reichweite:
        Familienbüros").

    Returns
    -------
    bytes
        The PDF: every page has the source, the export date and "Seite i von n"; the contents on the cover
        list every section with its pages. Fonts are embedded as TrueType; metadata dates are the export date,
        so the same inputs give byte-identical files.
    """
    check_ranking(ranking)
    progress(0.0, "Seiten planen")
    export_date = resolve_date(export_date)
    W, H = paper_size_in(paper, "portrait")
    body = H - TOP - BOTTOM
    total_w = W - 2 * MARGIN
    d, r = dataset, result
    stamp = export_timestamp(export_date)
    product = {"kind": "report", "paper": paper, "ranking": ranking}
    if scenarios:
        product["scenarios"] = [ch.name for ch in scenarios]
    record = settings_record(d, r, export_date=export_date, product=product)
    buffer = io.BytesIO()
    with rc():
        measure = TextMeasure()
        probe = PageCtx(d, r, export_date, 0, [], measure)
        rows = gap_rows(d, protect_gaps(r.gaps))
        body_rows, annex_rows, _ = split_rows(rows, ranking)
        header = gap_header(reach_words.group(r))
        totals = protected_totals(r)
        sections: list[_Section] = []

        def cover_page(fig, renderer, ctx):
            title = RANKING_TITLE[ranking]
            cover(fig, renderer, ctx, CoverInfo(gap_districts(rows), title, _first_page(sections, title)))

        sections.append(_Section(COVER_TITLE, [cover_page]))
        n_need = int(r.districts["status_class"].isin(IN_NEED_CLASSES).sum())
        dynamic_pages = dynamics_pages(d, r, measure, (W, H))
        need_title = "Bedarf: soziale Lage der Sozialräume"
        sections.append(_Section(need_title, [_bind(
            _map_page, kind="status", heading_text=need_title,
            intro=f"Statusindex {r.year} aus {len(r.weights)} Indikatoren; dunkle Flächen = hoher Bedarf. "
                  f"{n_need} von {len(r.districts)} Sozialräumen haben hohen Bedarf (fett beschriftet)."
                  + ("" if dynamic_pages else f" {no_dynamics_line(r)}"))]))
        if dynamic_pages:  # Gesamtindex map, counts, attention list: right after the status they build on
            sections.append(_Section(DYNAMICS_TITLE, dynamic_pages))
        for t in r.offer_types:
            sections.append(_type_section(d, r, t, rows, totals, measure, total_w))

        def ranking_intro() -> str:
            order = (f"Zuerst die Versorgungslücken (fett), dann nach der Zahl {reach_words.group_genitive(r)} ohne "
                     "Angebot in Reichweite." if ranking == "all" else
                     f"Die Versorgungslücken je Angebotsart, nach der Zahl {reach_words.group_genitive(r)} ohne "
                     "Angebot in Reichweite.")
            rest = left_out_text(rows, ranking, _first_page(sections, ANNEX_CONTENTS))
            return f"{order} {rest}".strip()

        sections.append(_table_section(RANKING_TITLE[ranking], body_rows, header, measure, total_w, body,
                                       ranking_intro))
        if chain_of(probe).measured:
            sections.append(_Section(CHAIN_TITLE, [chain_page]))
        for chapter in scenarios:  # what-if chapters: after the Bestand, each page marked
            sections.append(_Section(f"Szenario: {chapter.name}", chapter_pages(chapter, measure, (W, H)),
                                     scenario=chapter.name))
        method_pages = layout_methods(measure, methods_blocks(probe, ranking), total_w, body - 0.32, body)
        sections.append(_Section(METHODS_TITLE, [_bind(methods_page, blocks=blocks, first=k == 0)
                                                 for k, blocks in enumerate(method_pages)]))
        if annex_rows:
            sections.append(_table_section(
                ANNEX_TITLE, annex_rows, header, measure, total_w, body,
                lambda: f"Sozialräume mit hohem Bedarf, in denen mindestens "
                        f"{round(100 * r.max_share_in_reach)} % {reach_words.group_genitive(r)} das Angebot der Art in "
                        "Reichweite haben; Rang wie in der vollständigen Rangliste.", ANNEX_CONTENTS))

        contents, page = [], 1
        for s in sections:
            contents.append((s.title, page, page + len(s.pages) - 1))
            page += len(s.pages)
        n_pages = page - 1
        with PdfPages(buffer, metadata={
            "Title": REPORT_TITLE, "Author": APP_NAME,
            "Subject": f"Indikatorjahr {r.year}; Quelle: {source_text(d)}",
            "Keywords": settings_json(record, indent=None), "Creator": f"{APP_NAME} {software_version()}",
            "CreationDate": stamp, "ModDate": stamp,
        }) as pdf:
            drawers = [(draw, s.scenario, s.title) for s in sections for draw in s.pages]
            for number, (draw, scenario, title) in enumerate(drawers, start=1):
                progress(0.05 + 0.95 * (number - 1) / n_pages, f"Seite {number} von {n_pages}: {title}")
                fig, renderer = new_figure(W, H)
                ctx_page = PageCtx(d, r, export_date, n_pages, contents, TextMeasure(fig, renderer),
                                   scenario=scenario)
                furniture(fig, renderer, ctx_page, number)
                draw(fig, renderer, ctx_page)
                pdf.savefig(fig)
    progress(1.0, f"Seite {n_pages} von {n_pages}: {drawers[-1][2]}")
    return buffer.getvalue()
