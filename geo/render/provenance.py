"""Where exported data come from: source and licence lines, data versions, export date and the settings record."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, date, datetime
from importlib import metadata
from typing import Final

import pandas as pd

from geo import catalog, settings
from geo.analysis import Result
from geo.analysis.dynamics import DYNAMIC_BOUNDS, attention_rule_text
from geo.analysis.need import CLASS_BOUNDS, IN_NEED_CLASSES
from geo.dataset import Dataset

APP_NAME: Final[str] = "Präventionsatlas"
#: Source line of the synthetic demo city, as every export quotes it.
DEMO_SOURCE: Final[str] = "Musterstadt – synthetische Beispieldaten, fiktiv"
#: Note printed on maps drawn without background tiles (the default, and always in the committee report).
NO_TILES_NOTE: Final[str] = "ohne Hintergrundkarte (Offline-Vektorkarte: Stadt- und Sozialraumgrenzen)"
#: Note printed when background tiles were asked for but could not be fetched (nor found in the cache).
TILES_UNAVAILABLE_NOTE: Final[str] = "Hintergrundkarte nicht erreichbar – Vektorkarte ohne Hintergrund"

#: (keywords looked for in the data set's source and version labels, licence note to quote).
LICENCES: Final[tuple[tuple[tuple[str, ...], str], ...]] = (
    (
        ("vg5000", "vg250", "geobasis", "bkg"),
        "Verwaltungsgrenzen: © GeoBasis-DE / BKG 2021, dl-de/by-2.0 (Daten verändert)",
    ),
    (
        ("schuldaten", "schulstammdaten", "schulministerium", "schule und bildung"),
        "Schuldaten: Ministerium für Schule und Bildung NRW, Datenlizenz Deutschland – Namensnennung – 2.0",
    ),
    (
        ("sozialindex",),
        "Schulsozialindex: © IT.NRW / Ministerium für Schule und Bildung NRW, dl-de/by-2.0; Koordinaten "
        "geokodiert mit Nominatim, © OpenStreetMap-Mitwirkende (ODbL)",
    ),
)

#: The workspace layer of the stored scenarios (:mod:`geo.store.scenarios`).
SCENARIO_LAYER = "scenarios"


def software_version() -> str:
    """Version of the Präventionsatlas (installed metadata, else ``pyproject.toml``, else "unbekannt")."""
    try:
        return metadata.version("praeventionsatlas")
    except metadata.PackageNotFoundError:
        pass
    try:
        with open(settings.REPO_DIR / "pyproject.toml", "rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unbekannt"


def resolve_date(export_date: date | None) -> date:
    """The export date: the given one, or today."""
    return export_date if export_date is not None else date.today()


def export_timestamp(export_date: date | None) -> datetime:
    """Midnight UTC of the export date: the fixed time stamp written into files so repeated exports match."""
    d = resolve_date(export_date)
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def german_date(d: date) -> str:
    """``05.03.2025``."""
    return d.strftime("%d.%m.%Y")


def source_text(dataset: Dataset) -> str:
    """The data source as quoted on every export: the demo line for the synthetic set, else ``Dataset.source``."""
    text = DEMO_SOURCE if dataset.synthetic else dataset.source or "eigene Daten (ohne Quellenangabe)"
    if dataset.scenario:  # a planning variant: every export that quotes its source says so
        from geo.analysis.scenarios import scenario_text

        text += f" · {scenario_text(dataset.scenario)}"
    return text


def licence_notes(dataset: Dataset) -> list[str]:
    """Licence notes that apply, found by keywords in the data set's source and version labels.

    The synthetic demo set has none (it is fictional); official data sets named in ``../shared`` (VG5000,
    NRW school data, Schulsozialindex) bring the attribution their licence requires.
    """
    if dataset.synthetic:
        return []
    text = " ".join([dataset.source, *dataset.versions.keys(), *dataset.versions.values()]).lower()
    return [note for keywords, note in LICENCES if any(k in text for k in keywords)]


def version_items(dataset: Dataset) -> list[str]:
    """One German line per data version.

    Keys that are internal layer names (``districts``, ``offers`` …, as :mod:`geo.store` uses them) are left
    out, because the labels already name the layer ("Sozialräume v2 (…)"); other keys are kept ("Demo: …").
    The stored scenarios are no data of the Bestand's analysis: their version is listed only when ``dataset``
    shows a scenario, with its name ("Szenario „Plan“ aus Szenarien v3 (…)").
    """
    items = []
    for key, value in dataset.versions.items():
        if key == SCENARIO_LAYER:
            if dataset.scenario:
                items.append(f"Szenario „{dataset.scenario}“ aus {value}")
        elif (key.isascii() and key.islower()) or key.lower() in value.lower():
            items.append(value)
        else:
            items.append(f"{key}: {value}")
    return items


def versions_text(dataset: Dataset) -> str:
    """Data versions in one line, e.g. ``Sozialräume v2 (…); Angebote v3 (…)``."""
    return "; ".join(version_items(dataset)) or "nicht angegeben"


def attribution(dataset: Dataset) -> str:
    """Source plus licence notes in one line."""
    parts = [f"Quelle: {source_text(dataset)}", *licence_notes(dataset)]
    return " · ".join(parts)


def min_inhabitants(result: Result) -> int:
    """Inhabitant threshold below which districts were left unclassified in ``result``."""
    return int(result.min_inhabitants)


def phase_label(dataset: Dataset, offer_type: str) -> str:
    """The life phase of an offer type in German ("nicht in der Präventionskette" when it has none)."""
    types, phases = dataset.offer_types, dataset.phases
    phase = str(types.at[offer_type, "phase"]) if offer_type in types.index and "phase" in types else ""
    if phases is not None and phase in phases.index:
        return str(phases.at[phase, "label"])
    return phase or "keine (nicht in der Präventionskette)"


def reach_model_table(dataset: Dataset, result: Result) -> pd.DataFrame:
    """One row per analysed offer type: the table of the Methodik page, in the order of ``result.offer_types``.

    Columns: Angebotsart, Lebensphase, Zielgruppe, Zahlen und Wohnorte (where the counts come from or how they
    are estimated, and where the people live), Reichweitenmodell (in force), Beschreibung, Hinweis (why a
    configured model fell back).
    """
    rows = []
    for t in result.offer_types:
        target, model = result.targets.get(t, result.population), result.reach_models.get(t)
        rows.append({
            "Angebotsart": dataset.type_labels(t).plural,
            "Lebensphase": phase_label(dataset, t),
            "Zielgruppe": target.plural,
            "Zahlen und Wohnorte": target.source,
            "Reichweitenmodell": catalog.REACH_MODELS.get(model.kind, model.kind) if model else "",
            "Beschreibung": model.description if model else "",
            "Hinweis": model.note if model else "",
        })
    return pd.DataFrame(rows, columns=["Angebotsart", "Lebensphase", "Zielgruppe", "Zahlen und Wohnorte",
                                       "Reichweitenmodell", "Beschreibung", "Hinweis"])


def method_notes(dataset: Dataset, result: Result) -> list[str]:
    """One German line per analysed offer type for every export's method note.

    Whom its reach is measured for (with the counts' source or estimate) and the reach model in force (with its
    fallback note), e.g. "Familiengrundschulzentren (FGZ) – Lebensphase Grundschulalter (6–10 Jahre); Zielgruppe:
    Kinder von 6 bis unter 10 Jahren (…); Reichweite: zugeordnete Grundschule (nächste; 3 von 12 Einrichtungen
    mit FGZ)."
    """
    lines = []
    for _, row in reach_model_table(dataset, result).iterrows():
        note = f" Hinweis: {row['Hinweis']}." if row["Hinweis"] else ""
        lines.append(f"{row['Angebotsart']} – Lebensphase {row['Lebensphase']}; Zielgruppe: {row['Zielgruppe']} "
                     f"({row['Zahlen und Wohnorte']}); Reichweite: {row['Beschreibung']}.{note}")
    return lines


def dynamics_record(result: Result) -> dict:
    """The Dynamik behind an analysis (:mod:`geo.analysis.dynamics`) for the settings record.

    The period ("2022–2024"; "" without a Dynamik index), the indicators and weights, the class bounds, the rule
    for "besonderer Aufmerksamkeitsbedarf" (pairs and German text) and the analysis' note.
    """
    info = result.dynamics
    record = {"attention_rule": [[s, d] for s, d in settings.ATTENTION_RULE],
              "attention_rule_text": attention_rule_text()}
    if info is None:
        return record
    return {**record, "computed": info.computed, "period": info.period if info.computed else "",
            "year": int(info.year), "base_year": info.base_year,
            "weights": {k: float(w) for k, w in info.weights.items()}, "ready_made": list(info.ready_made),
            "class_bounds": list(DYNAMIC_BOUNDS), "note": info.note}


def settings_record(
    dataset: Dataset, result: Result, *, export_date: date | None = None, product: dict | None = None
) -> dict:
    """Everything behind an export, as plain JSON-ready data: analysis settings, data versions, product options.

    Written into PDF metadata, the methods page, the XLSX sheet "Einstellungen", the GeoPackage table
    ``metadaten`` and the JSON sidecar of CSV and HTML exports.
    """
    record = {
        "software": f"{APP_NAME} {software_version()}",
        "export_date": resolve_date(export_date).isoformat(),
        "product": dict(product or {}),
        "analysis": {
            "year": int(result.year),
            "weights": {k: float(v) for k, v in result.weights.items()},
            "status_class_bounds": list(CLASS_BOUNDS),
            "in_need_classes": list(IN_NEED_CLASSES),
            "min_inhabitants_for_class": min_inhabitants(result),
            "radii_m": {k: float(v) for k, v in result.radii.items()},
            "distance": "Luftlinie (euklidisch, metrisches Koordinatensystem)",
            "max_share_in_reach_for_gap": float(result.max_share_in_reach),
            "residents": result.residents_source,
            "population": result.population.column,
            "population_note": result.population.note,
            "targets": {t: {"column": p.column, "label": p.plural, "source": p.source, "note": p.note}
                        for t, p in result.targets.items()},
            "reach_models": {t: {"kind": m.kind, "description": m.description, "note": m.note}
                             for t, m in result.reach_models.items()},
            "crs": settings.METRIC_CRS,
            "dynamics": dynamics_record(result),
        },
        "data": {
            "source": source_text(dataset),
            "synthetic": bool(dataset.synthetic),
            "versions": dict(dataset.versions),
            "licences": licence_notes(dataset),
        },
        "data_protection": {
            "min_count_shown": settings.MIN_COUNT_SHOWN,
            "rule": "Zahlen von 1 bis 2 als '< 3'; Werte, aus denen sie sich berechnen ließen, als '•'",
        },
        "background_tiles": False,
    }
    if dataset.scenario:
        from geo.analysis.scenarios import describe_edit, edits_of, scenario_text

        edits = edits_of(dataset.scenarios, dataset.scenario)
        record["data"]["scenario"] = {"name": dataset.scenario, "text": scenario_text(dataset.scenario),
                                      "edits": [describe_edit(edit) for _, edit in edits.iterrows()]}
    return record


def settings_json(record: dict, *, indent: int | None = 2) -> str:
    """Deterministic JSON text of a settings record (sorted keys, umlauts kept)."""
    separators = (",", ": ") if indent is not None else (",", ":")
    return json.dumps(record, ensure_ascii=False, sort_keys=True, indent=indent, separators=separators)
