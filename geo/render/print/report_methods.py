"""The methods section of the committee report: every parameter, source, rule and the settings' checksum."""

from __future__ import annotations

import hashlib

from geo import settings
from geo.analysis.need import CLASS_BOUNDS, IN_NEED_CLASSES
from geo.analysis.protect import rule_text
from geo.formatting import format_distance, format_number
from geo.render.palette import reach_scheme_note
from geo.render.print.kit import TextMeasure
from geo.render.print.page import BODY, MARGIN, TOP, PageCtx, heading, lines_height, paragraph
from geo.render.print.ranking import ranking_method_text
from geo.render.provenance import (
    APP_NAME,
    NO_TILES_NOTE,
    german_date,
    licence_notes,
    method_notes,
    min_inhabitants,
    settings_json,
    settings_record,
    software_version,
    source_text,
    version_items,
)

METHODS_TITLE = "Methoden und Einstellungen"


def methods_blocks(ctx: PageCtx, ranking: str) -> list[tuple[str, str]]:
    """The methods section as blocks: ``("h", heading)``, ``("p", paragraph)``, ``("li", list item)``."""
    d, r = ctx.dataset, ctx.result
    defs = d.indicator_definitions
    low, high, very = (format_number(b, 1) for b in CLASS_BOUNDS)
    record = settings_record(d, r, export_date=ctx.export_date, product={"kind": "report", "ranking": ranking})
    digest = hashlib.sha256(settings_json(record).encode("utf-8")).hexdigest()[:16]
    blocks: list[tuple[str, str]] = [("h", "Datengrundlage")]
    blocks.append(("p", f"Quelle: {source_text(d)}." + (" Die Daten sind synthetisch (fiktive Stadt); sie "
                                                        "zeigen die Methode, keine reale Lage." if d.synthetic
                                                        else "")
                   + f" Indikatorjahr: {r.year}. Koordinatensystem der Analyse: {settings.METRIC_CRS} "
                     "(ETRS89 / UTM Zone 32N, Meter)."))
    for item in version_items(d):
        blocks.append(("li", f"Datenstand: {item}"))
    for note in licence_notes(d):
        blocks.append(("li", f"Lizenz: {note}"))

    blocks.append(("h", "Bedarf: Statusindex der sozialen Lage"))
    blocks.append(("p", "Verfahren nach dem Monitoring Soziale Stadtentwicklung (Berlin): jeder Indikator wird über "
                        f"die Sozialräume mit mindestens {min_inhabitants(r)} Einwohnern z-standardisiert "
                        "(Mittelwert 0, Standardabweichung 1 der Grundgesamtheit), so ausgerichtet, dass positive "
                        "Werte mehr Bedarf bedeuten, gewichtet summiert und die Summe erneut standardisiert."))
    for key, weight in r.weights.items():
        label = defs.at[key, "label"] if key in defs.index else key
        unit = f" in {defs.at[key, 'unit']}" if key in defs.index and str(defs.at[key, "unit"]).strip() else ""
        direction = defs.at[key, "direction"] if key in defs.index else 1
        sense = "höherer Wert = mehr Bedarf" if direction > 0 else "höherer Wert = weniger Bedarf"
        blocks.append(("li", f"{label}{unit}: Gewicht {format_number(weight, 2)}, {sense}"))
    if r.need_note:
        blocks.append(("p", r.need_note))
    blocks.append(("p", f"Statusklassen: „Status hoch“ Index unter {low}; „Status mittel“ {low} bis unter {high}; "
                        f"„Status niedrig“ {high} bis unter {very}; „Status sehr niedrig“ {very} und mehr. "
                        f"Hoher Bedarf = {' oder '.join(IN_NEED_CLASSES)}. Sozialräume unter {min_inhabitants(r)} "
                        "Einwohnern werden nicht klassifiziert."))
    blocks.append(("h", "Reichweite"))
    p = r.population
    if p.note:
        blocks.append(("p", f"{p.note}."))
    blocks.append(("p", f"Wohnorte {p.genitive}: {r.residents_source}. Für jeden Wohnort wird die Luftlinie zum "
                        "nächsten Angebot jeder Art gemessen (keine Wege, keine Kapazitäten). Anteil in Reichweite "
                        f"= {p.plural} im Radius / alle {p.plural} des Sozialraums; Medianweg = Entfernung, "
                        f"innerhalb der die Hälfte {p.genitive} ein Angebot erreicht."))
    radii = []
    for t in r.offer_types:
        n_offers = int((d.offers[settings.OFFER_TYPE] == t).sum())
        radius = f"{format_distance(r.radii[t])} ({format_number(r.radii[t], 0)} m)"
        radii.append(f"{d.type_labels(t).plural} {radius}, {n_offers} Standorte")
    if radii:
        blocks.append(("p", "Radien: " + "; ".join(radii) + "."))
    models = method_notes(d, r)
    if models:
        blocks.append(("p", "Zielgruppe und Reichweitenmodell je Angebotsart (beim Modell „zugeordnete Einrichtung“ "
                            "zählt, wessen Grundschule bzw. Geburtsklinik das Angebot hat; bei Zuständigkeitsgebieten, "
                            "wer in einem Gebiet wohnt; der Medianweg ist immer die Luftlinie zum nächsten Angebot):"))
        blocks.extend(("li", line) for line in models)
    threshold = format_number(100 * r.max_share_in_reach, 0)
    blocks.append(("h", "Versorgungslücken und Rangfolge"))
    blocks.append(("p", f"Eine Versorgungslücke ist ein Sozialraum mit hohem Bedarf, in dem weniger als {threshold} % "
                        f"{p.genitive} ein Angebot der Art in Reichweite haben. {ranking_method_text(ranking, p)}"))
    blocks.append(("h", "Karten"))
    blocks.append(("p", "Statuskarte: feste Klassengrenzen des Statusindex. Reichweitenkarten: feste Klassen des "
                        "Anteils in Reichweite (unter 25 %, 25 bis unter 50 %, 50 bis unter 75 %, 75 % und mehr) in "
                        f"einer Farbskala für alle Angebotsarten, {reach_scheme_note(p.plural)}; Versorgungslücken "
                        "umrandet und schraffiert. Kreise: Radius um jedes Angebot, auf die Stadtgrenze beschnitten. "
                        f"Kartengrundlage: {NO_TILES_NOTE}; Nordpfeil = Gitternord. Wo im Sozialraum kein Platz "
                        "für den Namen ist, führt eine Linie zu ihm."))
    blocks.append(("h", "Datenschutz"))
    blocks.append(("p", rule_text(min_inhabitants(r))))
    blocks.append(("h", "Reproduzierbarkeit"))
    blocks.append(("p", f"Erstellt mit {APP_NAME} {software_version()} am {german_date(ctx.export_date)}. "
                        "Einstellungen und Datenstände stehen als JSON in den PDF-Metadaten (Feld „Keywords“); "
                        f"gleiche Eingaben ergeben dieselbe Datei. Prüfsumme (SHA-256, gekürzt): {digest}."))
    return blocks


def _block_height(measure: TextMeasure, kind: str, text: str, width: float) -> float:
    if kind == "h":
        return 11 / 72 * 1.6 + 0.04
    indent = 0.2 if kind == "li" else 0.0
    return lines_height(len(measure.wrap(text, width - indent, BODY)), BODY) + 0.08


def layout_methods(measure: TextMeasure, blocks: list[tuple[str, str]], width: float, first_h: float,
                    page_h: float) -> list[list]:
    """Blocks per page; a heading never ends a page (it moves on with the block that follows it)."""
    pages: list[list] = [[]]
    room = first_h
    for k, (kind, text) in enumerate(blocks):
        h = _block_height(measure, kind, text, width)
        need = h
        if kind == "h" and k + 1 < len(blocks):
            need += _block_height(measure, *blocks[k + 1], width)
        if need > room and pages[-1]:
            pages.append([])
            room = page_h
        pages[-1].append((kind, text))
        room -= h
    return pages


def methods_page(fig, renderer, ctx: PageCtx, blocks: list, first: bool) -> None:
    """One page of the methods section."""
    W, H = fig.get_size_inches()
    y = H - TOP
    if first:
        y = heading(fig, METHODS_TITLE, y)
    for kind, text in blocks:
        if kind == "h":
            y = heading(fig, text, y - 0.04, 11)
        elif kind == "li":
            fig.text(MARGIN / W, y / H, "–", ha="left", va="top", fontsize=BODY)
            y = paragraph(fig, ctx, text, y, x=MARGIN + 0.2, width=W - 2 * MARGIN - 0.2)
        else:
            y = paragraph(fig, ctx, text, y)
