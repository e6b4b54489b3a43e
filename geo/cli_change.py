"""``python -m geo change``: reach and gaps between two years or two data versions, as on the page "Entwicklung".

Reads only: the workspace is never written (``--out`` writes the district table to a file of its own).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo import DataError, store
from geo.formatting import format_number

#: Fates of a gap the command lists district by district (the others are counted in the key figures).
LISTED_FATES = ("neu versorgt", "neue Lücke")


def add_change_command(sub, workspace_help: str) -> None:
    """Register ``change`` on the sub-parsers of :func:`geo.cli.build_parser`."""
    from geo.store import LAYERS

    p = sub.add_parser(
        "change", help="Entwicklung: Reichweite und Versorgungslücken zwischen zwei Jahren oder zwei Datenständen",
        description="Vergleicht zwei Jahre (--years 2023 2024) oder zwei gespeicherte Versionen einer Ebene "
                    "(--layer offers --versions 3 5, die anderen Ebenen wie in Gebrauch). Geänderte "
                    "Sozialraumgrenzen werden erkannt und nicht verglichen. Schreibt nie in den Arbeitsbereich.")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--years", nargs=2, type=int, metavar=("JAHR_A", "JAHR_B"), help="zwei Indikatorjahre")
    what.add_argument("--versions", nargs=2, type=int, metavar=("VERSION_A", "VERSION_B"),
                      help="zwei Versionen der Ebene --layer (siehe Seite „Verlauf“)")
    p.add_argument("--layer", choices=[la for la in LAYERS if la != "scenarios"],  # the Bestand's layers
                   help="Ebene der Versionen, z. B. offers (Angebote)")
    p.add_argument("--workspace", help=workspace_help)
    p.add_argument("--year", type=int, help="--versions: Indikatorjahr (Standard: das letzte beider Stände)")
    p.add_argument("--radius", action="append", metavar="ART=METER", help="z. B. --radius fgz=800")
    p.add_argument("--out", type=Path, help="CSV-Datei der Sozialräume (deutsches Excel-Format)")
    p.set_defaults(func=cmd_change)


def _over_time(args: argparse.Namespace):
    from geo.analysis.over_time import between_versions, between_years
    from geo.cli import _analysable, _params, _say_used
    from geo.store.versions import dataset_with_versions

    workspace = store.open_workspace(args.workspace)
    params = _params(args)
    if args.years:
        if args.layer:
            raise DataError("--layer gehört zu --versions: Jahre vergleichen Sie ohne --layer.")
        dataset = _analysable(workspace.dataset())
        _say_used(workspace, dataset)
        return between_years(dataset, *args.years, params, run=_shown_analysis(*map(str, args.years)))
    if not args.layer:
        raise DataError("Bitte die Ebene der Versionen angeben, z. B. --layer offers --versions 3 5.")
    version_a, version_b = args.versions
    if version_a == version_b:
        raise DataError("Bitte zwei verschiedene Versionen angeben.")
    sides = [dataset_with_versions(workspace, {args.layer: v}) for v in args.versions]
    if sides[0].missing_layers:
        _analysable(sides[0])  # raises, naming what A lacks
    _analysable(sides[1])  # the same for B, and names the types without offers (once)
    _say_used(workspace, sides[1])
    label = store.LAYER_LABELS[args.layer]
    labels = (f"{label} v{version_a}", f"{label} v{version_b}")
    return between_versions(*sides, params, labels=labels, run=_shown_analysis(*labels))


def _shown_analysis(label_a: str, label_b: str):
    """The analysis of side A, then of side B, their steps printed on a terminal as one bar ("2023: Lücken")."""
    from geo.analysis import analyse
    from geo.progress import labelled, part, terminal

    shown = terminal()
    sides = iter(((0.0, 0.5, label_a), (0.5, 1.0, label_b)))

    def run(dataset, params):
        start, end, label = next(sides)
        return analyse(dataset, params, progress=labelled(part(shown, start, end), label))

    return run


def cmd_change(args: argparse.Namespace) -> int:
    """Print the headline, key figures and the newly served and new gaps per offer type; ``--out``: the table."""
    from geo.export_change import change_csv_bytes
    from geo.render.change_tables import district_table, headlines
    from geo.render.compare_tables import target_words

    ot = _over_time(args)
    type_names = {t: ot.dataset_b.type_labels(t).short for t in ot.dataset_b.offer_types.index}
    print(f"Entwicklung {ot.period}")
    for note in ot.notes:
        print(f"Hinweis: {note}")
    table = district_table(ot, type_names)
    for (name, text), (_, row) in zip(headlines(ot, type_names), ot.comparison.key_figures.iterrows(), strict=True):
        t = row["offer_type"]
        words = target_words(ot.result_a, ot.result_b, t)
        print(f"\n{name}: {text}")
        print(f"  {words.in_reach}: {format_number(round(row['reached_before']))} → "
              f"{format_number(round(row['reached_after']))}; davon in Sozialräumen mit hohem Bedarf: "
              f"{format_number(round(row['in_need_before']))} → {format_number(round(row['in_need_after']))}")
        print(f"  Versorgungslücken: {format_number(row['gaps_before'])} → {format_number(row['gaps_after'])} "
              f"(neu versorgt {format_number(row['gaps_closed'])}, neue Lücken {format_number(row['gaps_opened'])})")
        mine = table[table["Angebotsart"] == name]
        for fate in LISTED_FATES:
            rows = mine[mine["Versorgungslücke"] == fate]
            if len(rows):
                listed = ", ".join(f"{i} {n}" for i, n in zip(rows["Sozialraum-Nr."], rows["Sozialraum"], strict=True))
                print(f"  {fate}: {listed}")
    if args.out:
        Path(args.out).write_bytes(change_csv_bytes(ot, type_names))
        print(f"\nTabelle geschrieben: {args.out}", file=sys.stderr)
    return 0
