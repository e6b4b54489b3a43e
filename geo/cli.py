"""Command line over the same functions as the dashboard: ``python -m geo analyse …``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo import demo
from geo._errors import DataError
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
    from geo.tables import district_table, write_german_csv

    dataset = _dataset(args)
    result = analyse(dataset, _params(args))
    table = district_table(
        result, offer_types=dataset.offer_types, indicator_definitions=dataset.indicator_definitions
    )
    if args.out:
        write_german_csv(table, Path(args.out))
        print(f"{len(table)} Bezirke geschrieben: {args.out}")
    else:
        print(table.to_string(index=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DataError as err:
        print(f"Fehler: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
