"""Command line over the same functions as the dashboard: ``python -m geo analyse …``."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from geo import DataError, demo
from geo.analysis import Params, analyse
from geo.dataset import Dataset


def _dataset(args: argparse.Namespace) -> Dataset:
    if getattr(args, "workspace", None):
        from geo.store import Workspace

        return Workspace(Path(args.workspace)).dataset(demo.load_demo())
    return demo.load_demo()


def _params(args: argparse.Namespace) -> Params:
    radii = {}
    for item in args.radius or []:
        key, _, value = item.partition("=")
        radii[key] = float(value)
    return Params(year=args.year, radii=radii or None)


def _cmd_demo(args: argparse.Namespace) -> int:
    print(demo.write_demo(args.out, seed=args.seed))
    return 0


def _cmd_analyse(args: argparse.Namespace) -> int:
    from geo.render.tables import protected_district_table, write_german_csv

    dataset = _dataset(args)
    result = analyse(dataset, _params(args))
    table = protected_district_table(
        result, offer_types=dataset.offer_types, indicator_definitions=dataset.indicator_definitions
    )
    if args.out:
        write_german_csv(table, Path(args.out))
        print(f"{len(table)} Bezirke geschrieben: {args.out}")
    else:
        print(table.to_string(index=False))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from geo import export as ex

    dataset = _dataset(args)
    result = analyse(dataset, _params(args))
    fmt = args.format or (args.out.suffix.lstrip(".").lower() if args.out and args.out.suffix else None)
    fmt = fmt or ex.FORMATS[args.kind][0]
    options = ex.ExportOptions(
        offer_type=args.offer_type, indicator=args.indicator, scheme=args.scheme, k=args.classes,
        paper=args.paper, orientation=args.orientation, dpi=args.dpi, labels=not args.no_labels,
        export_date=args.date, tiles=args.tiles,
    )
    try:
        data = ex.export(args.kind, fmt, dataset, result, options)
    except ValueError as err:
        print(f"Fehler: {err}", file=sys.stderr)
        return 2
    out = args.out or Path(ex.file_name(args.kind, fmt, result, options))
    out.write_bytes(data)
    print(f"{ex.KINDS[args.kind]} ({fmt.upper()}) geschrieben: {out}")
    if fmt in ex.SIDECAR_FORMATS:
        side = out.with_suffix(".json")
        side.write_bytes(ex.sidecar(args.kind, fmt, dataset, result, options))
        print(f"Einstellungen und Datenstände: {side}")
    return 0


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"Datum bitte als JJJJ-MM-TT, nicht {text!r}") from err


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m geo`` parser: subcommands ``demo``, ``analyse`` and ``export``."""
    parser = argparse.ArgumentParser(prog="python -m geo", description="Präventionsatlas ohne Browser")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="Demo-Datensatz Musterstadt neu erzeugen")
    p.add_argument("--out", type=Path, default=demo.DEMO_DIR_DEFAULT)
    p.add_argument("--seed", type=int, default=2024)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("analyse", help="Ergebnistabelle je Bezirk (Bedarf, Erreichbarkeit, Lücken)")
    p.add_argument("--workspace", type=Path, help="Arbeitsbereich mit hochgeladenen Daten (sonst Demo)")
    p.add_argument("--year", type=int)
    p.add_argument("--radius", action="append", metavar="ART=METER", help="z. B. --radius fgz=800")
    p.add_argument("--out", type=Path, help="CSV-Datei (deutsches Excel-Format); sonst Ausgabe auf dem Terminal")
    p.set_defaults(func=_cmd_analyse)

    from geo.export import DPI_CHOICES, FORMATS, KINDS
    from geo.render.print.content import SCHEMES
    from geo.render.print.kit import ORIENTATIONS, PAPERS_MM

    p = sub.add_parser(
        "export", help="Karte, Bericht, Tabelle oder GIS-Ebene als Datei",
        description="Arten: " + "; ".join(f"{k} = {v} ({', '.join(FORMATS[k])})" for k, v in KINDS.items()),
    )
    p.add_argument("--kind", choices=list(KINDS), default="status", help="Produkt (Standard: status)")
    p.add_argument("--format", choices=sorted({f for fs in FORMATS.values() for f in fs}),
                   help="Dateiformat (Standard: aus --out, sonst das erste der Art)")
    p.add_argument("--out", type=Path, help="Zieldatei (Standard: sprechender Name im aktuellen Ordner)")
    p.add_argument("--workspace", type=Path, help="Arbeitsbereich mit hochgeladenen Daten (sonst Demo)")
    p.add_argument("--year", type=int)
    p.add_argument("--radius", action="append", metavar="ART=METER", help="z. B. --radius fgz=800")
    p.add_argument("--offer-type", help="Angebotsart (z. B. fgz); ohne = alle, wo die Karte das erlaubt")
    p.add_argument("--indicator", help="Indikator für --kind indicator (z. B. sgb2_children_quota)")
    p.add_argument("--scheme", choices=list(SCHEMES), default="quantiles", help="Klassifizierung (indicator)")
    p.add_argument("--classes", type=int, default=5, help="Zahl der Klassen (indicator)")
    p.add_argument("--paper", choices=list(PAPERS_MM), default="A4")
    p.add_argument("--orientation", choices=list(ORIENTATIONS), default="landscape")
    p.add_argument("--dpi", type=int, default=DPI_CHOICES[0], help="Auflösung für PNG (150 oder 300)")
    p.add_argument("--no-labels", action="store_true", help="Sozialräume nicht beschriften")
    p.add_argument("--date", type=_iso_date, help="Exportdatum JJJJ-MM-TT (Standard: heute)")
    p.add_argument("--tiles", action="store_true",
                   help="Hintergrundkarte (OpenStreetMap) unter Einzelkarten, falls die Kacheln erreichbar oder im "
                        "Cache sind; sonst Vektorkarte mit Hinweis. Der Bericht bleibt ohne Hintergrund.")
    p.set_defaults(func=_cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 after printing a :class:`~geo.DataError`)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DataError as err:
        print(f"Fehler: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
