"""Command line over the same functions as the dashboard: ``python -m geo analyse …``, ``python -m geo upload …``.

Every command works in one workspace: ``--workspace`` names it (a folder name in the data folder, the
municipality's name, or a path), by default the same one the app opens (see :mod:`geo.store.workspaces`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np

from geo import DataError, cli_dynamics, demo, store
from geo.analysis import Params, analyse
from geo.dataset import Dataset
from geo.formatting import format_number
from geo.progress import part, terminal

#: Upload kinds of ``python -m geo upload`` (the Daten page's kinds) as typed; a hyphen stands for the
#: kind's underscore (``clinic-births`` → ``clinic_births``).
UPLOAD_KINDS = ("districts", "indicators", "offers", "residents", "catchments", "clinic-births",
                "sozialindex")


def _kind(typed: str) -> str:
    """The upload kind a command-line name stands for (``clinic-births`` → ``clinic_births``)."""
    return typed.replace("-", "_")
#: Most problems printed per severity; the rest is counted.
SHOWN_PROBLEMS = 50


def _dataset(args: argparse.Namespace) -> Dataset:
    """The data set of the chosen workspace; says on stderr which workspace and data versions are used."""
    workspace = store.open_workspace(getattr(args, "workspace", None))
    dataset = workspace.dataset()
    _say_used(workspace, dataset)
    return dataset


def _say_used(workspace, dataset: Dataset) -> None:
    ref = "demo" if workspace.read_only else str(workspace.path)
    print(f"Arbeitsbereich: {workspace.name} ({ref})", file=sys.stderr)
    versions = "; ".join(dataset.versions.values()) or "keine gespeicherten Daten"
    print(f"Datenstände: {versions}", file=sys.stderr)


def _params(args: argparse.Namespace) -> Params:
    radii = {}
    for item in args.radius or []:
        key, _, value = item.partition("=")
        radii[key] = float(value)
    return Params(year=args.year, radii=radii or None, dynamic_base_year=getattr(args, "dynamic_from", None))


def _cmd_demo(args: argparse.Namespace) -> int:
    print(demo.write_demo(args.out, seed=args.seed))
    return 0


def _analysable(dataset: Dataset) -> Dataset:
    if dataset.missing_layers:
        names = " und ".join(store.LAYER_LABELS[layer] for layer in dataset.missing_layers)
        raise DataError(f"{dataset.city or 'Der Arbeitsbereich'}: es fehlen noch {names}. Bitte zuerst hochladen "
                        "(python -m geo upload districts|indicators DATEI).")
    for offer_type in dataset.types_without_offers:
        print(f"Hinweis: Für {dataset.type_labels(offer_type).plural} liegen noch keine Standorte vor – nicht "
              "analysiert.", file=sys.stderr)
    return dataset


def _cmd_analyse(args: argparse.Namespace) -> int:
    from geo.render.tables import protected_district_table, write_german_csv

    dataset = _analysable(_dataset(args))
    cli_dynamics.checked_base_year(dataset, params := _params(args))
    result = analyse(dataset, params, progress=terminal())  # steps on stderr, only on a terminal
    table = protected_district_table(
        result, offer_types=dataset.offer_types, indicator_definitions=dataset.indicator_definitions
    )
    if args.out:
        write_german_csv(table, Path(args.out))
        print(f"{len(table)} Sozialräume geschrieben: {args.out}")
    else:
        print(table.to_string(index=False))
    print("\n".join(cli_dynamics.summary(result)), file=sys.stdout if args.out else sys.stderr)
    return 0


# ------------------------------------------------------------------------------------------------ suggest


def _share(text: str) -> float:
    """``0,8``, ``0.8``, ``80`` or ``80 %`` → 0.8 (a share of the target group in need)."""
    try:
        value = float(text.strip().rstrip("%").strip().replace(",", "."))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"Anteil bitte als Zahl wie 0,8 oder 80 %, nicht {text!r}") from err
    value = value / 100 if value > 1 else value
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"Der Anteil muss zwischen 0 und 100 % liegen, nicht {text!r}")
    return value


def _people(value: float) -> str:
    """A count of people as printed and exported: whole, German, 1–2 shown as "< 3" (geo.analysis.protect)."""
    from geo.analysis.protect import reach_codes

    value = round(float(value))
    return reach_codes(np.array([value]), np.array([np.nan])).children[0] or format_number(value)


def _sites_table(suggestion, dataset: Dataset, heading: str):
    """The ranked sites with German headers, people rounded and small counts protected, EPSG:25832 coordinates.

    Not :func:`geo.render.site_tables.ranked_table`: this file is for further work (GIS, Excel), so it adds the
    id, the district number, the weighted gain and the coordinates, and names the target group in its headers;
    the page's table stays screen-sized. The "< 3" rule is the same (:func:`geo.analysis.protect.reach_codes`).
    """
    import pandas as pd
    import shapely

    from geo.analysis.protect import reach_codes
    from geo.analysis.sites import CANDIDATE_SOURCES

    sites = suggestion.sites
    names = dataset.districts.set_index(dataset.districts["district_id"].astype("str"))["district_name"]
    xy = shapely.get_coordinates(sites.geometry.to_numpy()) if len(sites) else np.empty((0, 2))

    def counts(values) -> list[object]:
        values = np.round(np.asarray(values, dtype=float))
        codes = reach_codes(values, np.full(len(values), np.nan)).children
        return [code or int(v) for v, code in zip(values, codes, strict=True)]

    return pd.DataFrame({
        "Rang": sites["rank"].astype(int).to_numpy(), "Kennung": sites["candidate_id"].astype(str).to_numpy(),
        "Name": sites["name"].astype(str).to_numpy(), "Adresse": sites["address"].astype(str).to_numpy(),
        "Herkunft": [CANDIDATE_SOURCES.get(s, s) for s in sites["source"]],
        "Sozialraum-Nr.": sites["district_id"].astype(str).to_numpy(),
        "Sozialraum": [names.get(d, "") for d in sites["district_id"].astype(str)],
        "Schulsozialindex": sites["sozialindex"].to_numpy(dtype=float),
        f"Zugewinn ({heading})": counts(sites["gain"]),
        "Zugewinn in Sozialräumen mit hohem Bedarf": counts(sites["gain_in_need"]),
        "Zugewinn gewichtet": np.round(sites["gain_weighted"].to_numpy(dtype=float), 1),
        f"In Reichweite danach ({heading})": counts(sites["reached_after"]),
        "Rechtswert (EPSG:25832)": np.round(xy[:, 0], 1), "Hochwert (EPSG:25832)": np.round(xy[:, 1], 1),
    }, dtype=object)


def _suggest(problem, args: argparse.Namespace, progress):
    """The solver run the arguments ask for: k new sites, or the fewest for a share (at most ``--new``)."""
    from geo.analysis.sites import solve_max_cover, solve_min_sites

    if args.share is None:
        return solve_max_cover(problem, args.new, time_limit_s=args.time_limit, progress=progress), ""
    fewest = solve_min_sites(problem, args.share, time_limit_s=args.time_limit, progress=progress)
    if args.new is not None and len(fewest.sites) > args.new:
        return solve_max_cover(problem, args.new, time_limit_s=args.time_limit, progress=progress), (
            f"Für {format_number(args.share * 100)} % wären {len(fewest.sites)} neue Standorte nötig – mehr als "
            f"--new {args.new}; vorgeschlagen werden die {args.new} mit dem größten Zugewinn.")
    if not len(fewest.sites) and fewest.status == "optimal":
        return fewest, f"{format_number(args.share * 100)} % sind mit den bestehenden Angeboten schon erreicht."
    return fewest, ""


def _cmd_suggest(args: argparse.Namespace) -> int:
    from geo.analysis.candidates import candidate_sites, in_need_districts
    from geo.analysis.compare import compare
    from geo.analysis.run import prepare
    from geo.analysis.site_problem import build_problem, check_offer_type, sites_as_offers
    from geo.ingest.candidates import read_candidates
    from geo.render.tables import write_german_csv

    if args.new is None and args.share is None:
        raise DataError("Bitte angeben, wie viele neue Standorte (--new 3) oder welcher Anteil erreicht werden soll "
                        "(--share 0,8).")
    if args.new is not None and args.new < 1:
        raise DataError("--new: bitte mindestens einen neuen Standort.")
    dataset = _analysable(_dataset(args))
    check_offer_type(dataset, args.offer_type)
    labels = dataset.type_labels(args.offer_type)
    params = _params(args)
    prepared = prepare(dataset, params)
    listed = None
    if args.candidates:
        if not args.candidates.is_file():
            raise DataError(f"Die Kandidatenliste {args.candidates} gibt es nicht.")
        check = read_candidates(args.candidates.read_bytes(), args.candidates.name, dataset=dataset,
                                offer_type=args.offer_type, crs=args.crs)
        print(f"Kandidatenliste: {args.candidates.name} ({len(check.candidates)} Zeilen verwendbar)")
        _print_problems(check.report)
        if not check.ok:
            print("Kein Vorschlag: Bitte die Fehler in der Kandidatenliste beheben.", file=sys.stderr)
            return 1
        listed = check.candidates
    candidates, notes = candidate_sites(
        dataset, args.offer_type, hosts=not args.no_hosts, min_sozialindex=args.min_sozialindex, listed=listed,
        grid_in=in_need_districts(prepared) if args.grid else None, excluded=args.exclude or [])
    problem = build_problem(dataset, args.offer_type, candidates, params=params, prepared=prepared)
    suggestion, limit_note = _suggest(problem, args, part(shown := terminal(), 0.0, 0.6))
    base = analyse(dataset, params, progress=part(shown, 0.6, 0.8))
    after = analyse(sites_as_offers(dataset, args.offer_type, suggestion.sites, params=params), params,
                    progress=part(shown, 0.8, 1.0))
    people = after.targets.get(args.offer_type, after.population)
    _print_suggestion(dataset, args, problem, suggestion, people, [*notes, limit_note], compare(base, after))
    if args.out:
        write_german_csv(_sites_table(suggestion, dataset, people.heading), args.out)
        print(f"{len(suggestion.sites)} vorgeschlagene Standorte geschrieben: {args.out}")
    print(f"Die gespeicherten {labels.plural} bleiben unverändert (nur ein Vorschlag).")
    return 0


def _print_suggestion(dataset, args, problem, suggestion, people, notes, comparison) -> None:
    from geo.analysis.sites import CANDIDATE_SOURCES, need_weights_text

    labels = dataset.type_labels(args.offer_type)
    kinds = problem.candidates["source"].value_counts()
    print(f"Standortvorschlag: {labels.plural}, {len(suggestion.sites)} neue Standorte")
    print(f"Kandidaten: {len(problem.candidates)} ("
          + "; ".join(f"{CANDIDATE_SOURCES.get(k, k)}: {n}" for k, n in kinds.items()) + ")")
    for note in [*notes, *problem.notes]:
        if note:
            print(f"Hinweis: {note}")
    print(f"Bedarfsgewichte: {need_weights_text(problem.need_weights)}")
    existing = int((dataset.offers["offer_type"].astype(str) == args.offer_type).sum())
    print(f"Bestehende Angebote bleiben gesetzt: {existing} {labels.plural}")
    status = suggestion.status_text
    if suggestion.status == "time_limit" and np.isfinite(suggestion.gap):
        status += f" (Optimalitätslücke {format_number(suggestion.gap * 100, 1)} %)"
    print(f"Löserstatus: {status} ({format_number(suggestion.seconds, 1)} s)")
    for word, c in (("vorher", suggestion.before), ("nachher", suggestion.after)):
        print(f"Abdeckung {word}: {_people(c.people)} {people.plural} in Reichweite, davon {_people(c.in_need)} in "
              "Sozialräumen mit hohem Bedarf")
    gain, gain_in_need = suggestion.after.people - suggestion.before.people, \
        suggestion.after.in_need - suggestion.before.in_need
    print(f"Zugewinn: +{_people(gain)} {people.plural} in Reichweite, davon +{_people(gain_in_need)} in "
          "Sozialräumen mit hohem Bedarf")
    rows = comparison.districts[comparison.districts["offer_type"] == args.offer_type]
    closed = rows[rows["gap_before"] & ~rows["gap_after"]]["district_id"].astype(str).tolist()
    names = dataset.districts.set_index(dataset.districts["district_id"].astype(str))["district_name"]
    shown = ", ".join(f"{d} {names.get(d, '')}".strip() for d in closed)
    print(f"Versorgungslücken geschlossen: {len(closed)}" + (f" ({shown})" if closed else ""))
    for _, site in suggestion.sites.iterrows():
        where = f", Sozialraum {site['district_id']}" if site["district_id"] else ""
        print(f"  {int(site['rank'])}. {site['name']} (Kennung {site['candidate_id']}{where}): "
              f"+{_people(site['gain'])} {people.plural}, davon +{_people(site['gain_in_need'])} mit hohem Bedarf")


def _cmd_export(args: argparse.Namespace) -> int:
    from geo import export as ex
    from geo.render.scenario_marks import scenario_file_name

    kind = args.product or args.kind  # ``export profile …`` or ``export --kind profile …``
    if kind == "profile" and not args.district:
        print("Fehler: Für einen Sozialraumsteckbrief bitte die Sozialraum-Nr. angeben: python -m geo export "
              "profile --district NR --out DATEI.pdf", file=sys.stderr)
        return 2
    dataset = _analysable(_dataset(args))
    if args.scenario:  # a planning variant: the file name, its tables and provenance say so
        dataset, notes = _scenario_data(dataset, args.scenario)
        for note in notes:
            print(f"Hinweis: {note}", file=sys.stderr)
    result = analyse(dataset, _params(args), progress=part(shown := terminal(), 0.0, 0.3))
    fmt = args.format or (args.out.suffix.lstrip(".").lower() if args.out and args.out.suffix else None)
    fmt = fmt or ex.FORMATS[kind][0]
    options = ex.ExportOptions(
        offer_type=args.offer_type, indicator=args.indicator, scheme=args.scheme, k=args.classes,
        paper=args.paper, orientation=args.orientation, dpi=args.dpi, labels=not args.no_labels,
        export_date=args.date, tiles=args.tiles, ranking=args.ranking, district=args.district,
    )
    try:
        data = ex.export(kind, fmt, dataset, result, options, scenarios=_report_chapters(args, kind, dataset, result),
                         progress=part(shown, 0.3, 1.0))
    except ValueError as err:
        print(f"Fehler: {err}", file=sys.stderr)
        return 2
    out = args.out or Path(scenario_file_name(ex.file_name(kind, fmt, result, options), dataset))
    out.write_bytes(data)
    print(f"{ex.KINDS[kind]} ({fmt.upper()}) geschrieben: {out}")
    if fmt in ex.SIDECAR_FORMATS:
        side = out.with_suffix(".json")
        side.write_bytes(ex.sidecar(kind, fmt, dataset, result, options))
        print(f"Einstellungen und Datenstände: {side}")
    return 0


# --- scenario: what-if variants of the offers (geo.analysis.scenarios) ----------------------------------------------

def _scenario_data(dataset: Dataset, name: str) -> tuple[Dataset, list[str]]:
    """The data set of the Bestand or of stored scenario ``name`` (a German error naming the stored ones)."""
    from geo.analysis.scenarios import STATUS_QUO, names, scenario_dataset

    if name.strip() == STATUS_QUO:
        return dataset, []
    stored = names(dataset.scenarios)
    if name not in stored:
        known = ", ".join(f"„{n}“" for n in stored) or "keine"
        raise DataError(f"Ein Szenario „{name}“ gibt es in diesem Arbeitsbereich nicht. Gespeichert: {known}.")
    return scenario_dataset(dataset, name)


def _cmd_scenario(args: argparse.Namespace) -> int:
    from geo.analysis.scenarios import ACTIONS, describe_edit, edits_of, names, scenario_text

    dataset = _dataset(args)
    if args.action == "list":
        stored = names(dataset.scenarios)
        if not stored:
            print("Noch keine Szenarien gespeichert (anlegen auf der Seite „Szenarien“).")
        for name in stored:
            edits = edits_of(dataset.scenarios, name)
            counts = edits["action"].value_counts()
            what = ", ".join(f"{ACTIONS[a]}: {int(counts[a])}" for a in ACTIONS if a in counts) or "keine Änderungen"
            print(f"„{name}“ – {what}")
        return 0
    if not args.name:
        raise DataError(f"Bitte den Namen des Szenarios angeben: python -m geo scenario {args.action} NAME")
    if args.action == "show":
        variant, notes = _scenario_data(dataset, args.name)
        print(scenario_text(args.name))
        for _, edit in edits_of(dataset.scenarios, args.name).iterrows():
            print(f"  {describe_edit(edit)}")
        for note in notes:
            print(f"Hinweis: {note}")
        return 0
    return _scenario_compare(args, dataset)


def _scenario_compare(args: argparse.Namespace, dataset: Dataset) -> int:
    from geo.analysis.compare import compare, headline
    from geo.analysis.scenarios import STATUS_QUO, scenario_text
    from geo.formatting import format_number
    from geo.render.reach_words import target

    first, second = (STATUS_QUO, args.name) if not args.other else (args.name, args.other)
    runs, dataset = [], _analysable(dataset)
    for name in (first, second):
        data, notes = _scenario_data(dataset, name)
        for note in notes:
            print(f"Hinweis ({name}): {note}", file=sys.stderr)
        runs.append(analyse(data, _params(args)))
    comparison = compare(*runs, offer_types=dataset.offer_types, phases=dataset.phases, base_name=first,
                         variant_name=second)
    marks = [scenario_text(n) for n in (first, second) if n != STATUS_QUO]
    print(f"Vergleich: „{first}“ → „{second}“ (Indikatorjahr {runs[1].year})")
    for mark in marks:
        print(mark)
    for _, row in comparison.key_figures.iterrows():
        t = row["offer_type"]
        words = target(runs[1], t)
        print(f"\n{dataset.type_labels(t).plural}: {headline(comparison, t, words)}")
        print(f"  {words.in_reach}: {format_number(row['reached_before'])} → {format_number(row['reached_after'])}; "
              f"davon in Sozialräumen mit hohem Bedarf: {format_number(row['in_need_before'])} → "
              f"{format_number(row['in_need_after'])}")
        print(f"  Versorgungslücken: {format_number(row['gaps_before'])} → {format_number(row['gaps_after'])} "
              f"(geschlossen {format_number(row['gaps_closed'])}, neu {format_number(row['gaps_opened'])})")
    changes = comparison.chain_changes
    if changes is not None and len(changes):
        print("\nPräventionskette – geänderte Glieder:")
        for _, cell in changes.iterrows():
            phase = cell["phase"]
            short = dataset.phases.at[phase, "short"] if phase in dataset.phases.index else phase
            print(f"  {cell['district_id']} {cell['district_name']}: {short} {cell['state_before']} → "
                  f"{cell['state_after']}")
    return 0
def _report_chapters(args: argparse.Namespace, kind: str, dataset: Dataset, result) -> list:
    """The scenario chapters ``--scenario-chapter NAME`` (repeatable) asks the report (``--kind report``) to include."""
    chosen = getattr(args, "scenario_chapter", None) or []
    if not chosen:
        return []
    if kind != "report":
        raise DataError("--scenario-chapter nimmt Szenario-Kapitel in den Bericht auf: bitte mit --kind report.")
    from geo.render.print.scenario import scenario_chapters

    chapters = scenario_chapters(dataset, result, chosen, _params(args))
    for chapter in chapters:
        for note in chapter.notes:
            print(f"Hinweis (Szenario „{chapter.name}“): {note}", file=sys.stderr)
    return chapters


def _cmd_workspace(args: argparse.Namespace) -> int:
    if args.action == "list":
        for entry in store.list_workspaces():
            mark = "*" if entry.default else " "
            print(f"{mark} {entry.ref:<24} {entry.label}")
        print("(* = Standard für App und Kommandozeile)")
    elif args.action == "create":
        if not args.name:
            raise DataError("Bitte den Namen angeben: python -m geo workspace create NAME [--ags AGS]")
        workspace = store.create_workspace(args.name, ags=args.ags, demo_copy=args.demo_copy,
                                           make_default=True if args.default else None)
        print(f"Arbeitsbereich angelegt: {workspace.name} ({workspace.path})")
        print("Als Nächstes: python -m geo upload districts DATEI --workspace " + workspace.path.name)
    else:  # default
        if not args.name:
            raise DataError("Bitte den Arbeitsbereich angeben: python -m geo workspace default NAME")
        store.set_default(args.name)
        print(f"Standard-Arbeitsbereich: {store.default_ref()}")
    return 0


def _upload_target(args: argparse.Namespace):
    """The workspace an upload goes to, or ``None`` for boundaries into a workspace that does not exist yet."""
    try:
        return store.open_workspace(args.workspace)
    except DataError:
        if args.kind != "districts" or not args.workspace:
            raise
    if not _outside_data_folder(args.workspace):
        problems = store.check_name(args.workspace)
        if problems:
            raise DataError(" ".join(problems)) from None
    return None


def _outside_data_folder(ref: str) -> bool:
    path = Path(ref).expanduser()
    return path.parent != Path(".") or path.is_absolute()


def _empty_city(name: str) -> Dataset:
    """The data set of an empty city workspace (what boundaries for a new workspace are checked against)."""
    with tempfile.TemporaryDirectory() as folder:
        return replace(store.Workspace(Path(folder) / "neu").dataset(), city=name)


def _create_target(ref: str):
    """Create the workspace ``ref`` names: a folder outside the data folder by path, else one in it by name."""
    if _outside_data_folder(ref):
        path = Path(ref).expanduser()
        workspace = store.Workspace(path)
        workspace.set_meta(name=path.name, origin="city")
    else:
        workspace = store.create_workspace(ref)
    print(f"Neuer Arbeitsbereich angelegt: {workspace.name} ({workspace.path})")
    return workspace


#: Upload option → the command-line argument that sets it, per kind (given arguments only).
_UPLOAD_ARGUMENTS: dict[str, dict[str, str]] = {
    "districts": {"id_column": "id_column", "name_column": "name_column", "crs": "crs"},
    "offers": {"crs": "crs", "default_type": "type", "offer_type": "type", "schulform": "schulform",
               "gemeindeschluessel": "gemeindeschluessel", "sheet": "sheet"},
    "indicators": {"id_column": "id_column", "year": "year", "sheet": "sheet"},
    "residents": {"crs": "crs", "sheet": "sheet"},
    "catchments": {"crs": "crs", "default_type": "type", "layer": "layer"},
    "clinic_births": {"sheet": "sheet", "year": "year"},
    "sozialindex": {"gemeindeschluessel": "gemeindeschluessel", "sheet": "sheet"},
}


def _upload_options(args: argparse.Namespace) -> dict:
    options: dict[str, object] = {
        option: getattr(args, name) for option, name in _UPLOAD_ARGUMENTS[_kind(args.kind)].items()
        if getattr(args, name)
    }
    if args.kind == "offers":
        options["mode"] = "replace" if args.replace else "update"
    if args.kind == "indicators" and (choices := cli_dynamics.upload_choices(args)):
        options["indicators"] = choices
    return options


def _print_report(check) -> None:
    for key, value in check.info.items():
        print(f"{key}: {value}")
    if check.crs_guess is not None and check.crs_guess.crs:
        print(f"Koordinatensystem: {check.crs_guess.crs} ({check.crs_guess.reason})")
    _print_problems(check.report)


def _print_problems(report) -> None:
    for title, problems in (("Fehler", report.errors), ("Hinweise", report.warnings)):
        if problems:
            print(f"{title} ({len(problems)}):")
            for problem in problems[:SHOWN_PROBLEMS]:
                column = f" [Spalte {problem.column}]" if problem.column else ""
                print(f"  - {problem}{column}")
            if len(problems) > SHOWN_PROBLEMS:
                print(f"  … und {len(problems) - SHOWN_PROBLEMS} weitere")


def _cmd_template(args: argparse.Namespace) -> int:
    from geo.ingest.templates import file_name, template_bytes, upload_template

    template = upload_template(_kind(args.kind), _dataset(args))
    fmt = args.format or template.formats[0]
    if fmt not in template.formats:
        raise DataError(f"Die Vorlage „{template.title}“ gibt es als {' oder '.join(template.formats)}, nicht als "
                        f"{fmt}.")
    out = args.out or Path(file_name(template, fmt))
    out.write_bytes(template_bytes(template, fmt))
    print(f"{template.title} geschrieben: {out}")
    return 0


def _cmd_upload(args: argparse.Namespace) -> int:
    from geo.ingest import check_upload, commit_upload

    if not args.file.is_file():
        raise DataError(f"Die Datei {args.file} gibt es nicht.")
    workspace = _upload_target(args)
    if workspace is not None and workspace.read_only:
        workspace.save()  # raises the German read-only message
    # Boundaries for a new workspace are checked first; the workspace is created only when they are stored.
    context = workspace.dataset() if workspace is not None else _empty_city(Path(args.workspace).name)
    data = args.file.read_bytes()
    kind = _kind(args.kind)
    check = check_upload(data, args.file.name, kind=kind, context=context, options=_upload_options(args),
                         progress=terminal())
    target = f"{workspace.name} ({workspace.path})" if workspace is not None else f"{args.workspace} (neu)"
    print(f"Arbeitsbereich: {target}")
    print(f"Datei: {args.file.name} ({store.LAYER_LABELS[kind]})")
    _print_report(check)
    if not check.ok:
        print("Nichts gespeichert: Bitte die Fehler in der Datei beheben und erneut hochladen.", file=sys.stderr)
        return 1
    if check.changes is not None:
        print(f"Änderungen: {check.changes}")
        if check.changes.removed:
            shown = ", ".join(map(str, check.changes.removed[:20]))
            print(f"Achtung, entfernt werden {len(check.changes.removed)}: {shown}")
    if workspace is None:
        workspace = _create_target(args.workspace)
    info = commit_upload(workspace, check, filename=args.file.name, comment=args.comment or "")
    print(f"Gespeichert: {info.label}")
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

    workspace_help = ("Arbeitsbereich: Ordnername im Datenordner, Name der Stadt oder Pfad; „demo“ = Musterstadt "
                      "(Standard: wie in der App, siehe „workspace list“)")

    p = sub.add_parser("workspace", help="Arbeitsbereiche auflisten, anlegen, als Standard festlegen")
    p.add_argument("action", choices=["list", "create", "default"])
    p.add_argument("name", nargs="?", help="Name der Stadt (create) bzw. Arbeitsbereich (default)")
    p.add_argument("--ags", help="Amtlicher Gemeindeschlüssel (create, optional)")
    p.add_argument("--demo-copy", action="store_true", help="Übungskopie der Demo anlegen (create)")
    p.add_argument("--default", action="store_true", help="gleich als Standard festlegen (create)")
    p.set_defaults(func=_cmd_workspace)

    p = sub.add_parser("upload", help="Datei prüfen und als neue Version speichern (wie die Seite „Daten“)")
    p.add_argument("kind", choices=list(UPLOAD_KINDS), help="Art der Datei")
    p.add_argument("file", type=Path)
    p.add_argument("--workspace", help=workspace_help + "; Grenzen in einen neuen Namen legen ihn an")
    p.add_argument("--id-column", help="Spalte mit der Sozialraum-Nr.")
    p.add_argument("--name-column", help="Spalte mit dem Namen (districts)")
    p.add_argument("--crs", help="Koordinatensystem, falls die Datei keines nennt (z. B. EPSG:25832)")
    p.add_argument("--type", help="Angebotsart, falls die Datei keine Spalte „Art“ hat (offers, catchments), z. B. "
                                  "fgz oder grundschule")
    p.add_argument("--layer", help="catchments: Ebene eines GeoPackage bzw. Shapefile in der ZIP-Datei")
    p.add_argument("--replace", action="store_true",
                   help="offers: die Liste der enthaltenen Angebotsarten ersetzen (entfernt nicht enthaltene)")
    p.add_argument("--schulform", help="NRW-Schuldatei (offers): Schulform, die übernommen wird (Standard: 02 = "
                                       "Grundschule)")
    p.add_argument("--gemeindeschluessel", metavar="AGS",
                   help="NRW-Schuldatei (offers) bzw. NRW-Sozialindexliste (sozialindex): nur Schulen, deren "
                        "Gemeindeschlüssel so beginnt, z. B. 05978")
    cli_dynamics.add_upload_options(p)
    p.add_argument("--year", type=int, help="Jahr der Werte, falls die Datei keine Spalte „Jahr“ hat")
    p.add_argument("--sheet", help="Tabellenblatt (XLSX)")
    p.add_argument("--comment", help="Kommentar zur Version")
    p.set_defaults(func=_cmd_upload)

    p = sub.add_parser("template", help="Vorlage einer Datei für „upload“ schreiben (wie auf der Seite „Daten“)")
    p.add_argument("kind", choices=[*UPLOAD_KINDS, "candidates"], help="Art der Datei (candidates: Kandidatenliste "
                                                                        "für „suggest“)")
    p.add_argument("--format", choices=["csv", "xlsx", "geojson"],
                   help="Standard: csv (districts, catchments: geojson)")
    p.add_argument("--out", type=Path, help="Zieldatei (Standard: vorlage_<art>.<format> im aktuellen Ordner)")
    p.add_argument("--workspace", help=workspace_help + "; die Beispielzeilen liegen in dessen Sozialräumen")
    p.set_defaults(func=_cmd_template)

    p = sub.add_parser("analyse", help="Ergebnistabelle je Sozialraum (Bedarf, Reichweite, Versorgungslücken)")
    p.add_argument("--workspace", help=workspace_help)
    p.add_argument("--year", type=int)
    p.add_argument("--radius", action="append", metavar="ART=METER", help="z. B. --radius fgz=800")
    p.add_argument("--out", type=Path, help="CSV-Datei (deutsches Excel-Format); sonst Ausgabe auf dem Terminal")
    cli_dynamics.add_analyse_options(p)
    p.set_defaults(func=_cmd_analyse)

    _add_suggest(sub, workspace_help)

    from geo.export import DPI_CHOICES, FORMATS, KINDS
    from geo.render.print.content import SCHEMES
    from geo.render.print.kit import ORIENTATIONS, PAPERS_MM
    from geo.render.print.ranking import DEFAULT_RANKING, RANKINGS

    p = sub.add_parser(
        "export", help="Karte, Bericht, Tabelle oder GIS-Ebene als Datei",
        description="Arten: " + "; ".join(f"{k} = {v} ({', '.join(FORMATS[k])})" for k, v in KINDS.items()),
    )
    p.add_argument("product", nargs="?", choices=list(KINDS), metavar="ART",
                   help="Produkt wie --kind, z. B. „profile“ (Sozialraumsteckbrief) oder „profiles“ (ZIP aller)")
    p.add_argument("--kind", choices=list(KINDS), default="status", help="Produkt (Standard: status)")
    p.add_argument("--district", metavar="NR", help="Sozialraum-Nr. für „profile“, z. B. 0101")
    p.add_argument("--format", choices=sorted({f for fs in FORMATS.values() for f in fs}),
                   help="Dateiformat (Standard: aus --out, sonst das erste der Art)")
    p.add_argument("--out", type=Path, help="Zieldatei (Standard: sprechender Name im aktuellen Ordner)")
    p.add_argument("--workspace", help=workspace_help)
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
    p.add_argument("--ranking", choices=list(RANKINGS), default=DEFAULT_RANKING,
                   help="Rangliste im Bericht (--kind report): " + "; ".join(f"{k} = {v}" for k, v in RANKINGS.items())
                        + f" (Standard: {DEFAULT_RANKING})")
    p.add_argument("--scenario", metavar="NAME", help="Szenario statt Bestand (Datei und Angaben sagen: Szenario "
                                                      "„NAME“ – kein Bestand)")
    p.add_argument("--scenario-chapter", action="append", metavar="NAME",
                   help="Bericht (--kind report) über den Bestand: ein Kapitel zu diesem gespeicherten Szenario "
                        "anhängen, jede Seite als Szenario gekennzeichnet (mehrfach angeben)")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("scenario", help="Szenarien auflisten, zeigen, mit dem Bestand oder untereinander vergleichen",
                       description="compare NAME: Bestand → NAME; compare NAME ANDERES: NAME → ANDERES")
    p.add_argument("action", choices=["list", "show", "compare"])
    p.add_argument("name", nargs="?", help="Szenario (show, compare); „Bestand“ = die echten Daten")
    p.add_argument("other", nargs="?", help="compare: zweites Szenario (Vergleich vom ersten zum zweiten)")
    p.add_argument("--workspace", help=workspace_help)
    p.add_argument("--year", type=int)
    p.add_argument("--radius", action="append", metavar="ART=METER", help="z. B. --radius fgz=800")
    p.set_defaults(func=_cmd_scenario)
    from geo.cli_change import add_change_command  # its own module: this one is at its size limit
    add_change_command(sub, workspace_help)
    return parser


def _add_suggest(sub, workspace_help: str) -> None:
    p = sub.add_parser("suggest", help="Standortvorschläge für neue Angebote (bestehende Angebote bleiben gesetzt)",
                       description="Wählt unter Kandidatenstandorten die neuen Standorte, die die meisten Menschen "
                                   "der Zielgruppe in Reichweite bringen (Menschen in Sozialräumen mit hohem Bedarf "
                                   "zählen mehr). Die gespeicherten Angebote bleiben unverändert.")
    p.add_argument("--offer-type", required=True, help="Angebotsart, z. B. fgz, familienbuero, lotsendienst")
    p.add_argument("--new", type=int, help="Zahl der neuen Standorte (mit --share: höchstens so viele)")
    p.add_argument("--share", type=_share, help="stattdessen: so wenige neue Standorte, dass dieser Anteil der "
                                                "Zielgruppe in Sozialräumen mit hohem Bedarf erreicht wird, z. B. 0,8")
    p.add_argument("--candidates", type=Path, help="Kandidatenliste (CSV/XLSX; Vorlage: template candidates)")
    p.add_argument("--crs", help="Koordinatensystem der Kandidatenliste, falls sie keines nennt (z. B. EPSG:31467)")
    p.add_argument("--min-sozialindex", type=int, metavar="STUFE",
                   help="nur Grundschulen mit mindestens diesem Schulsozialindex als Kandidaten")
    p.add_argument("--no-hosts", action="store_true",
                   help="keine Einrichtungen ohne das Angebot (z. B. Grundschulen ohne FGZ) als Kandidaten")
    p.add_argument("--grid", action="store_true", help="Rasterpunkte in Sozialräumen mit hohem Bedarf als Kandidaten")
    p.add_argument("--exclude", nargs="+", metavar="KENNUNG", help="Kandidaten ausschließen")
    p.add_argument("--time-limit", type=float, metavar="SEKUNDEN", help="Zeitlimit des Lösers (Standard: 30 s)")
    p.add_argument("--workspace", help=workspace_help)
    p.add_argument("--year", type=int)
    p.add_argument("--radius", action="append", metavar="ART=METER", help="z. B. --radius fgz=800")
    p.add_argument("--out", type=Path, help="CSV-Datei der vorgeschlagenen Standorte (deutsches Excel-Format)")
    p.set_defaults(func=_cmd_suggest)


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
