"""The command line's Dynamik: ``upload indicators --dynamic "D1:+"``, ``analyse --dynamic-from YEAR`` and its summary.

Hooked into :mod:`geo.cli` (which stays one module of commands); the method is :mod:`geo.analysis.dynamics`.
"""

from __future__ import annotations

import argparse

from geo import DataError
from geo.analysis import Params, Result
from geo.analysis.dynamics import DYNAMIC_CLASSES, attention_rule_text
from geo.dataset import Dataset
from geo.ingest import parse_indicator_options


def add_upload_options(parser: argparse.ArgumentParser) -> None:
    """``--indicator`` (a status indicator) and ``--dynamic`` (a ready-made change) of ``upload indicators``."""
    parser.add_argument("--indicator", action="append", metavar="SPALTE:+|SPALTE:-",
                        help="indicators: Spalte als Indikator im Statusindex; + = höherer Wert bedeutet mehr Bedarf, "
                             "- = weniger Bedarf (mehrfach angeben); andere Zahlenspalten werden als Indikatoren "
                             "außerhalb des Index übernommen")
    parser.add_argument("--dynamic", action="append", metavar="SPALTE:+|SPALTE:-",
                        help="indicators: Spalte mit einer gelieferten Veränderung (Dynamik-Indikator, z. B. "
                             "Veränderung der SGB-II-Quote in Prozentpunkten) im Dynamikindex; + = steigender Wert "
                             "bedeutet, die Lage verschlechtert sich (mehrfach angeben). Die Status-Indikatoren der "
                             "Datei gehen dann nicht zusätzlich in den Dynamikindex ein")


def upload_choices(args: argparse.Namespace) -> dict[str, dict[str, object]] | None:
    """The ``indicators`` option of ``upload indicators`` from ``--indicator`` and ``--dynamic`` (``None``: none)."""
    if not (getattr(args, "indicator", None) or getattr(args, "dynamic", None)):
        return None
    return parse_indicator_options(args.indicator or [], args.dynamic or [])


def add_analyse_options(parser: argparse.ArgumentParser) -> None:
    """``--dynamic-from YEAR``: the Vergleichsjahr of the Dynamik (default: two years before, else the latest)."""
    parser.add_argument("--dynamic-from", type=int, metavar="JAHR",
                        help="Vergleichsjahr der Dynamik (Standard: zwei Jahre vor --year, sonst das letzte frühere "
                             "gespeicherte Jahr)")


def checked_base_year(dataset: Dataset, params: Params) -> None:
    """Refuse a ``--dynamic-from`` year that is not stored or not before the analysis year (German message)."""
    base_year = params.dynamic_base_year
    if base_year is None:
        return
    years = sorted(int(y) for y in dataset.years)
    year = params.year if params.year is not None else (years[-1] if years else None)
    stored = ", ".join(map(str, years)) or "keine"
    if base_year not in years:
        raise DataError(f"--dynamic-from {base_year}: Für dieses Jahr liegen keine Indikatorwerte vor (gespeichert: "
                        f"{stored}).")
    if year is not None and base_year >= year:
        raise DataError(f"--dynamic-from {base_year}: Das Vergleichsjahr muss vor dem Jahr der Analyse ({year}) "
                        "liegen.")


def summary(result: Result) -> list[str]:
    """Lines about the Dynamik of ``result``: period and indicators, districts per class, attention, the note."""
    info = result.dynamics
    if info is None or not info.computed:
        return [f"Dynamik: {info.note if info is not None and info.note else 'kein Dynamikindex.'}"]
    districts = result.districts
    counts = districts["dynamic_class"].value_counts()
    without = len(districts) - int(districts["dynamic_classified"].sum())
    supplied = f"; davon geliefert: {len(info.ready_made)}" if info.ready_made else ""
    lines = [
        f"Dynamik: Zeitraum {info.period}, {len(info.weights)} Indikator(en) im Dynamikindex{supplied}",
        "Dynamikklassen: " + ", ".join(f"{int(counts.get(c, 0))} {c}" for c in DYNAMIC_CLASSES)
        + f", {without} ohne Klasse",
        f"Sozialräume mit besonderem Aufmerksamkeitsbedarf: {int(districts['attention'].sum())} (Regel: "
        f"{attention_rule_text()})",
    ]
    if info.note:
        lines.append(f"Hinweis: {info.note}")
    return lines
