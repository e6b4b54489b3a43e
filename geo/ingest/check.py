"""Check an upload end to end: read, validate, compare with the data in use. Pure: it stores nothing."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

import geopandas as gpd
import pandas as pd

from geo import catalog, settings
from geo._errors import DataError, Problem, Report, VersionConflict, log_incident
from geo.crs import CrsGuess
from geo.dataset import Dataset
from geo.formatting import format_number
from geo.ingest import catchments, clinic_births
from geo.ingest.age_bands import read_band
from geo.ingest.changes import ChangeSummary, find_duplicate_offers, merge_offers, summarise_changes
from geo.ingest.columns import detect_district_columns
from geo.ingest.districts import validate_districts
from geo.ingest.indicators import validate_indicators
from geo.ingest.offers import allowed_offer_types, resolve_offer_type, validate_offers
from geo.ingest.residents import read_residents, validate_residents
from geo.ingest.schools import is_school_table, schools_as_offers
from geo.ingest.sozialindex import matched_schools, validate_sozialindex
from geo.io import boundaries, spreadsheets
from geo.progress import Progress, silent
from geo.store import LAYER_LABELS

Kind = Literal["offers", "districts", "indicators", "residents", "catchments", "clinic_births",
               "sozialindex"]
KINDS: tuple[str, ...] = ("offers", "districts", "indicators", "residents", "catchments", "clinic_births",
                          "sozialindex")
DISTRICT_COLUMN_OPTIONS: tuple[str, ...] = ("id_column", "name_column", "area_id_column", "area_name_column")
#: What to save a file as when it could not be read for an unexpected reason, per kind.
RESAVE_AS: dict[str, str] = {
    "offers": "als CSV (UTF-8 oder Excel-CSV)",
    "districts": "als GeoPackage (.gpkg) oder GeoJSON",
    "indicators": "als CSV (UTF-8 oder Excel-CSV)",
    "residents": "als CSV (UTF-8) oder GeoPackage (.gpkg)",
    "catchments": "als GeoPackage (.gpkg) oder GeoJSON",
    "clinic_births": "als CSV (UTF-8 oder Excel-CSV)",
    "sozialindex": "als CSV (UTF-8 oder Excel-CSV)",
}
log = logging.getLogger(__name__)

#: How an offers upload is merged with the offers in use, always by offer id (German labels for the page).
#: ``update``: ids of the file are added or, where they exist, updated; nothing is removed. ``replace``: the
#: offers of the types in the file (and of its ids) are replaced by the file; other types stay.
OFFER_MODES: dict[str, str] = {
    "update": "Hinzufügen und aktualisieren (neue Kennungen ergänzen, vorhandene aktualisieren, nichts entfernen)",
    "replace": "Liste der enthaltenen Angebotsarten ersetzen (nicht enthaltene Angebote dieser Arten entfallen)",
}
DEFAULT_OFFER_MODE = "update"
#: Options :func:`check_upload` understands, per kind.
OPTIONS: dict[str, frozenset[str]] = {
    "offers": frozenset(
        {"sheet", "crs", "default_type", "column_map", "mode", "schulform", "offer_type", "gemeindeschluessel"}
    ),
    "districts": frozenset(
        {"crs", "layer", "id_column", "name_column", "area_id_column", "area_name_column"}
    ),
    "indicators": frozenset({"sheet", "id_column", "year_column", "year", "column_map", "indicators"}),
    "residents": frozenset({"sheet", "layer", "crs", "column_map"}),
    "catchments": frozenset({"crs", "layer", "default_type", "column_map"}),
    "clinic_births": frozenset({"sheet", "year", "column_map"}),
    "sozialindex": frozenset({"sheet", "gemeindeschluessel", "column_map"}),
}


def max_upload_bytes(kind: str) -> int:
    """The upload size limit of a kind, read at call time: residents files may be far larger than the others."""
    return settings.MAX_RESIDENT_UPLOAD_BYTES if kind == "residents" else settings.MAX_UPLOAD_BYTES


@dataclass(frozen=True)
class UploadCheck:
    """What an upload would become, and everything wrong with it.

    Attributes
    ----------
    kind
        One of :data:`KINDS`.
    layer
        The validated layer in canonical form (metric CRS, ``RangeIndex`` like the demo layers), or
        ``None`` when ``report`` has errors.
        Offers: the offers in use merged with the upload by offer id (:data:`OFFER_MODES`): ``"update"``
        adds new ids and updates existing ones, ``"replace"`` replaces the lists of the uploaded types.
        Indicators: the uploaded years replace those years; other years in use stay where their ids belong
        to the current districts. Residents: the uploaded points inside the districts
        (:func:`geo.ingest.residents.validate_residents`); they replace the layer in use. Catchments: the areas
        of the upload's offer types replace those types' areas in use; other types' areas stay. Births per
        clinic: the uploaded years replace those years (a file without years replaces the layer).
    report
        Every error and warning at once, including notes from reading (encoding, sheet, GDAL remarks).
    crs_guess
        How the coordinates were located (offers), or the boundary file's CRS (districts, reason
        "laut Datei"/"vom Nutzer angegeben"), of the residents' coordinates; ``None`` for indicators or
        unreadable files.
    changes
        Added/changed/removed ids against the layer in use (``None`` when ``layer`` is ``None``, and for residents:
        a residents layer is replaced as a whole, ``info`` sums it up).
    info
        German labels about the file for the UI (Zeichenkodierung, Trennzeichen, Tabellenblatt, …).
    base_versions
        The stored versions the check was computed from: each layer in :data:`CHECK_READS` for this kind →
        its active version number in ``context`` (``None``: the base layer). :func:`commit_upload` stores
        ``layer`` only while exactly these versions are still active.
    definitions
        Indicators only: the full indicator definitions after the upload (indexed by key), stored with ``layer``.
    indicator_columns
        Indicators only: the proposal per file column (:data:`geo.ingest.definitions.PROPOSAL_COLUMNS`), for the
        page to show and let the planner change (option ``indicators``); also when ``report`` has errors.
    """

    kind: str
    layer: pd.DataFrame | None
    report: Report
    crs_guess: CrsGuess | None = None
    changes: ChangeSummary | None = None
    info: dict[str, str] = field(default_factory=dict)
    base_versions: dict[str, int | None] = field(default_factory=dict)
    definitions: pd.DataFrame | None = None
    indicator_columns: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        """True when the upload may be stored."""
        return self.report.ok and self.layer is not None


#: The steps of a check after "Datei lesen", as :func:`check_upload` reports them.
_VALIDATE, _COMPARE = "Spalten erkennen, Werte und Lage prüfen", "Vergleich mit dem Bestand"


def check_upload(
    data: bytes,
    filename: str,
    *,
    kind: Kind,
    context: Dataset,
    options: Mapping[str, object] | None = None,
    progress: Progress = silent,
) -> UploadCheck:
    """Read and validate an uploaded file against the data set in use, without storing anything.

    Problems with the file — unreadable, empty, unsafe archive, too large, invalid rows — end up in the
    returned report (never as an exception), so a page shows one list of errors and warnings. Any other
    failure while checking is logged with its traceback under an incident id (``F-3a9c01be``) and reported
    as one German error naming that id; only a programming error in the arguments raises ``ValueError``.

    Parameters
    ----------
    data
        The uploaded bytes.
    filename
        The uploaded name (its suffix picks the reader).
    kind
        What the file holds: ``"offers"`` (CSV/XLSX of locations), ``"districts"`` (GeoJSON, GeoPackage or
        zipped Shapefile), ``"indicators"`` (CSV/XLSX, one row per district and year), ``"residents"``
        (inhabitant/child counts per address, block or Zensus grid cell: CSV/XLSX with coordinates, the Zensus
        2022 grid CSV, GeoPackage, GeoJSON or zipped Shapefile of points or polygons), ``"catchments"``
        (Einzugsgebiete: GeoJSON, GeoPackage or zipped Shapefile of polygons) , ``"clinic_births"`` (Geburten je
        Klinik und Sozialraum: CSV/XLSX) or ``"sozialindex"`` (the Schulsozialindex per Schulnummer, CSV/XLSX;
        replaces the stored list).
    context
        The data set in use: offer types, indicator definitions, districts (for the location and id
        checks) and the current layer the upload is compared with.
    options
        Per kind (unknown keys are a programming error):

        - offers: ``sheet``, ``crs``, ``default_type``, ``column_map`` (see
          :func:`geo.ingest.offers.validate_offers`), ``mode`` (a key of :data:`OFFER_MODES`: ``"update"``, the
          default, or ``"replace"``), and for the NRW school file (recognised by its columns) ``schulform``
          (default ``"02"``), ``offer_type`` (default ``"fgz"``) and ``gemeindeschluessel``;
        - districts: ``crs``, ``layer``, ``id_column``, ``name_column``, ``area_id_column``,
          ``area_name_column`` (columns found by name when not given);
        - indicators: ``sheet``, ``id_column``, ``year_column``, ``year``, ``column_map``, ``indicators`` (file
          column or indicator key → ``False`` to leave a column out, ``True`` or a mapping of definition fields
          ``label``, ``unit``, ``direction``, ``in_index``, ``weight``, ``description``; see
          :func:`geo.ingest.definitions.apply_choices`; the command line's ``"COLUMN:+"`` form is read by
          :func:`geo.ingest.definitions.parse_indicator_options`);
        - residents: ``sheet``, ``layer``, ``crs`` (of a table's coordinates, or a layer without one),
          ``column_map`` (file column → ``inhabitants``, ``children``, ``x``, ``y``, ``crs``);
        - catchments: ``crs``, ``layer``, ``default_type`` (the type of every area when the file has no type
          column), ``column_map`` (file column → ``catchment_id``, ``offer_type``, ``offer_id``, ``name``; see
          :func:`geo.ingest.catchments.validate_catchments`);
        - clinic_births: ``sheet``, ``year`` (when the file has no year column), ``column_map`` (file column →
          ``district_id``, ``clinic_id``, ``births``, ``year``; see
          :func:`geo.ingest.clinic_births.validate_clinic_births`);
        - sozialindex (the NRW Schulsozialindex list or a city's ``Schulnummer;Sozialindex`` list, see
          :func:`geo.ingest.sozialindex.validate_sozialindex`): ``sheet``, ``gemeindeschluessel`` (keep one
          municipality of the state's list), ``column_map`` (file column → ``school_id``, ``sozialindex``,
          ``school_name``).
    progress
        Hears the steps (:mod:`geo.progress`): "Datei lesen", "Spalten erkennen, Werte und Lage prüfen",
        "Vergleich mit dem Bestand".

    Returns
    -------
    UploadCheck
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    options = dict(options or {})
    unknown = set(options) - OPTIONS[kind]
    if unknown:
        raise ValueError(f"unknown options for {kind}: {sorted(unknown)}; allowed: {sorted(OPTIONS[kind])}")
    if options.get("mode", DEFAULT_OFFER_MODE) not in OFFER_MODES:
        raise ValueError(f"mode must be one of {sorted(OFFER_MODES)}, not {options['mode']!r}")
    if len(data) > max_upload_bytes(kind):
        report = Report()
        size, limit = len(data) / 1024**2, max_upload_bytes(kind) / 1024**2
        report.error(
            f"Die Datei ist {format_number(size, 1)} MB groß; erlaubt sind höchstens "
            f"{format_number(limit, 0 if limit.is_integer() else 1)} MB."
        )
        return UploadCheck(kind, None, report)
    if kind != "districts" and "districts" in context.missing_layers:
        # The boundaries define the city: ids and locations are checked against them, never against another city.
        report = Report()
        report.error(f"{context.city or 'Dieser Arbeitsbereich'} hat noch keine Sozialraumgrenzen. Bitte laden Sie "
                     "zuerst die Grenzen hoch; danach werden Kennungen und Lage gegen diese Stadt geprüft.")
        return UploadCheck(kind, None, report)
    try:
        progress(0.0, "Datei lesen")
        check = _CHECKS[kind](data, filename, context, options, progress)
    except DataError as err:
        # Readers give every problem a full message; a DataError without problems is one finding.
        return UploadCheck(kind, None, Report(list(err.problems) or [Problem(str(err))]))
    except Exception as err:  # noqa: BLE001 - the one boundary: whatever else a file provokes is a bug to log
        incident = log_incident(log, err, f"beim Prüfen von {filename!r} ({kind}, {len(data)} Byte)")
        report = Report()
        report.error(
            f"Die Datei konnte nicht gelesen werden (Fehler-Nr. {incident}). Bitte öffnen Sie sie und speichern "
            f"Sie sie {RESAVE_AS[kind]} neu, dann laden Sie sie noch einmal hoch. Hilft das nicht, nennen Sie "
            "die Fehler-Nr. Ihrer IT-Betreuung."
        )
        return UploadCheck(kind, None, report)
    progress(1.0, _COMPARE)
    return replace(check, base_versions={layer: context.stored_versions.get(layer) for layer in CHECK_READS[kind]})


def _table_info(table: pd.DataFrame) -> dict[str, str]:
    info = {"Zeilen": str(len(table)), "Spalten": ", ".join(map(str, table.columns))}
    if table.attrs.get("sheet"):
        info["Tabellenblatt"] = str(table.attrs["sheet"])
    else:
        info["Zeichenkodierung"] = str(table.attrs.get("encoding", ""))
        delimiter = table.attrs.get("delimiter")
        info["Trennzeichen"] = {";": "Semikolon", ",": "Komma", "\t": "Tabulator"}.get(delimiter, str(delimiter))
    return info


def _merge(report: Report, problems: list[Problem]) -> None:
    report.problems.extend(problems)
    report.problems.sort(key=lambda p: (p.row is not None, p.row or 0))


def _check_offers(data: bytes, filename: str, context: Dataset, options: dict, progress: Progress) -> UploadCheck:
    table = spreadsheets.read_table(data, filename, sheet=options.get("sheet"), max_rows=settings.MAX_OFFER_ROWS,
                                    max_cells=settings.MAX_OFFER_CELLS)
    progress(0.2, _VALIDATE)
    info = _table_info(table)
    notes = list(table.attrs.get("notes", []))
    default_type = options.get("default_type")
    if is_school_table(table.columns) and not options.get("column_map"):
        schulform = str(options.get("schulform", "02"))
        wanted = str(options.get("offer_type", default_type or "fgz"))
        offer_type = resolve_offer_type(wanted, context.offer_types)
        if offer_type is None:
            raise DataError(f"Die gewählte Angebotsart „{wanted}“ für die Schulen ist unbekannt. Erlaubt sind: "
                            f"{allowed_offer_types(context.offer_types)}.")
        table = schools_as_offers(
            table,
            schulform=schulform,
            offer_type=offer_type,
            gemeindeschluessel=options.get("gemeindeschluessel"),
        )
        label = context.offer_types["short"].get(offer_type, offer_type)
        notes.append(
            f"NRW-Schuldatei erkannt: {len(table)} Schulen der Schulform {schulform} werden als Standorte "
            f"„{label}“ übernommen."
        )
        info["Schuldatei"] = f"Schulform {schulform} → {offer_type}"
    result = validate_offers(
        table,
        offer_types=context.offer_types,
        districts=context.districts,
        crs=options.get("crs"),
        default_type=default_type,
        column_map=options.get("column_map"),
        # The school file covers all of NRW: schools far from the city are not typos, unless a municipality was chosen.
        skip_far="Schuldatei" in info and not options.get("gemeindeschluessel"),
    )
    del table  # the text of a large file is not needed beyond here
    report = result.report
    _merge(report, [Problem(n, severity="warning") for n in notes])
    layer = result.offers
    progress(0.8, _COMPARE)
    if context.offers is not None and len(context.offers):
        mode = options.get("mode", DEFAULT_OFFER_MODE)
        if mode == "update":
            _merge(report, find_duplicate_offers(context.offers, layer))
        layer = merge_offers(context.offers, layer, mode=mode)
    if not report.ok:
        return UploadCheck("offers", None, report, result.crs_guess, None, info)
    layer = layer.reset_index(drop=True)
    changes = summarise_changes(context.offers, layer, key=settings.OFFER_ID)
    return UploadCheck("offers", layer, report, result.crs_guess, changes, info)


def _check_districts(data: bytes, filename: str, context: Dataset, options: dict, progress: Progress) -> UploadCheck:
    gdf = boundaries.read_boundaries(data, filename, crs=options.get("crs"), layer=options.get("layer"))
    progress(0.2, _VALIDATE)
    info = {"Objekte": str(len(gdf)), "Ebene": str(gdf.attrs.get("layer") or "")}
    source = gdf.crs.to_string() if gdf.crs is not None else None
    info["Koordinatensystem"] = source or "keins"
    guess = CrsGuess(source, False, "vom Nutzer angegeben" if options.get("crs") else "laut Datei")
    found = detect_district_columns(gdf)
    columns = {k: options.get(k) or found.get(k) for k in DISTRICT_COLUMN_OPTIONS}
    report = Report()
    attributes = ", ".join(f"„{c}“" for c in gdf.columns if c != gdf.geometry.name)
    if not columns["id_column"]:
        report.error(f"Die Spalte mit der Sozialraum-Nr. wurde nicht gefunden. Vorhandene Spalten: "
                     f"{attributes}. Bitte ordnen Sie sie zu.")
    if not report.ok:
        return UploadCheck("districts", None, report, guess, None, info)
    unnamed = not columns["name_column"]
    if unnamed:
        columns["name_column"] = columns["id_column"]
    layer, report = validate_districts(gdf, **columns)
    if unnamed:
        report.warn(f"Keine Spalte mit Sozialraumnamen gefunden (vorhanden: {attributes}); die "
                    "Sozialraum-Nummern werden als Namen verwendet. Ordnen Sie bei Bedarf eine Namensspalte zu.")
    _merge(report, [Problem(n, severity="warning") for n in gdf.attrs.get("notes", [])])
    if not report.ok:
        return UploadCheck("districts", None, report, guess, None, info)
    if context.indicators is not None and len(context.indicators):
        without = sorted(set(layer[settings.DISTRICT_ID]) - set(context.indicators[settings.DISTRICT_ID].astype(str)))
        if without:
            report.warn(
                f"Für {len(without)} der neuen Sozialräume gibt es noch keine Indikatorwerte "
                f"(z. B. {', '.join(without[:5])}). Laden Sie danach passende Indikatoren hoch."
            )
    layer = layer.reset_index(drop=True)
    progress(0.8, _COMPARE)
    changes = summarise_changes(context.districts, layer, key=settings.DISTRICT_ID)
    return UploadCheck("districts", layer, report, guess, changes, info)


def _check_indicators(data: bytes, filename: str, context: Dataset, options: dict, progress: Progress) -> UploadCheck:
    table = spreadsheets.read_table(data, filename, sheet=options.get("sheet"))
    progress(0.2, _VALIDATE)
    info = _table_info(table)
    upload = validate_indicators(
        table,
        districts=context.districts,
        indicator_definitions=context.indicator_definitions,
        choices=options.get("indicators"),
        id_column=options.get("id_column"),
        year_column=options.get("year_column"),
        year=options.get("year"),
        column_map=options.get("column_map"),
    )
    report, proposal = upload.report, upload.columns
    _merge(report, [Problem(n, severity="warning") for n in table.attrs.get("notes", [])])
    if not report.ok:
        return UploadCheck("indicators", None, report, None, None, info, indicator_columns=proposal)
    layer = upload.layer.reset_index(drop=True)
    years = sorted(int(y) for y in layer[settings.YEAR].unique())
    info["Jahre"] = ", ".join(map(str, years))
    taken = proposal.loc[proposal["indicator"], "label"]
    info["Indikatoren"] = ", ".join(taken) if len(taken) else "keine"
    supplied = proposal.loc[proposal["indicator"] & (proposal["kind"] == "dynamik"), "label"]
    if len(supplied):
        info["Dynamik-Indikatoren (gelieferte Veränderungen)"] = ", ".join(supplied)
    if upload.ages.bands or upload.ages.births:
        info["Altersgruppen"] = upload.ages.describe()
    old = context.indicators
    progress(0.8, _COMPARE)
    if old is not None:
        _warn_lost_age_counts(old[old[settings.YEAR].isin(years)], layer, report)
        changes = summarise_changes(
            old[old[settings.YEAR].isin(years)], layer, key=[settings.DISTRICT_ID, settings.YEAR]
        )
        # The uploaded years replace those years; other years stay where they describe the current districts.
        keep = ~old[settings.YEAR].isin(years) & old[settings.DISTRICT_ID].astype(str).isin(
            context.districts[settings.DISTRICT_ID].astype(str)
        )
        if keep.any():
            kept_years = sorted(int(y) for y in old.loc[keep, settings.YEAR].unique())
            info["Weitere Jahre (bleiben)"] = ", ".join(map(str, kept_years))
            layer = pd.concat([old[keep], layer], ignore_index=True)
            layer = layer.sort_values([settings.YEAR, settings.DISTRICT_ID], kind="stable").reset_index(drop=True)
    else:
        changes = summarise_changes(None, layer, key=[settings.DISTRICT_ID, settings.YEAR])
    return UploadCheck("indicators", layer, report, None, changes, info, definitions=upload.definitions,
                       indicator_columns=proposal)


def _warn_lost_age_counts(old: pd.DataFrame, new: pd.DataFrame, report: Report) -> None:
    """Warn when the uploaded years replace stored age band or births counts the file does not have."""
    lost = [c for c in old.columns if (c.startswith(settings.AGE_PREFIX) or c == settings.BIRTHS)
            and c not in new.columns and old[c].notna().any()]
    if lost:
        labels = [("Geburten" if c == settings.BIRTHS else getattr(read_band(c), "label", c)) for c in lost]
        report.warn(f"Die Datei enthält keine Spalten für {', '.join(labels)}; die gespeicherten Zahlen der "
                    "hochgeladenen Jahre entfallen damit. Nehmen Sie die Spalten in die Datei auf, wenn sie bleiben "
                    "sollen.")


def _check_residents(data: bytes, filename: str, context: Dataset, options: dict, progress: Progress) -> UploadCheck:
    raw = read_residents(data, filename, sheet=options.get("sheet"), layer=options.get("layer"),
                         crs=options.get("crs"))
    progress(0.2, _VALIDATE)
    is_layer = isinstance(raw, gpd.GeoDataFrame)
    info = {"Objekte": str(len(raw)), "Ebene": str(raw.attrs.get("layer") or "")} if is_layer else _table_info(raw)
    result = validate_residents(
        raw, districts=context.districts, indicators=context.indicators,
        crs=None if is_layer else options.get("crs"), column_map=options.get("column_map"),
    )
    report = result.report
    progress(0.8, _COMPARE)
    _merge(report, [Problem(n, severity="warning") for n in raw.attrs.get("notes", [])])
    info.update(result.info)
    return UploadCheck("residents", result.residents if report.ok else None, report, result.crs_guess, None, info)


def _check_sozialindex(data: bytes, filename: str, context: Dataset, options: dict, progress: Progress) -> UploadCheck:
    """The Schulsozialindex list: replaces the stored list as a whole; says how many stored Grundschulen it matches."""
    table = spreadsheets.read_table(data, filename, sheet=options.get("sheet"))
    progress(0.2, _VALIDATE)
    info = _table_info(table)
    upload = validate_sozialindex(table, gemeindeschluessel=options.get("gemeindeschluessel"),
                                  column_map=options.get("column_map"))
    report = upload.report
    _merge(report, [Problem(n, severity="warning") for n in table.attrs.get("notes", [])])
    info.update(upload.info)
    if not report.ok:
        return UploadCheck("sozialindex", None, report, None, None, info)
    progress(0.8, _COMPARE)
    matched, schools = matched_schools(upload.layer, context.offers)
    if schools:
        info["Abgleich Grundschulen"] = (f"{format_number(matched)} von {format_number(schools)} gespeicherten "
                                         "Grundschulen haben einen Sozialindex")
        if not matched:
            report.warn(f"Keine der {format_number(schools)} gespeicherten Grundschulen steht in der Liste: Stimmen "
                        "die Schulnummern (Kennung der Grundschulen) und die Gemeinde? Gespeichert werden kann sie "
                        "trotzdem.")
    else:
        info["Abgleich Grundschulen"] = ("noch keine Grundschulen gespeichert – laden Sie die NRW-Schuldatei als "
                                         "Angebotsstandorte der Art „Grundschule“ hoch")
    changes = summarise_changes(context.sozialindex, upload.layer, key=settings.SCHOOL_ID)
    return UploadCheck("sozialindex", upload.layer, report, None, changes, info)



def _check_catchments(data: bytes, filename: str, context: Dataset, options: dict, progress: Progress) -> UploadCheck:
    """Catchment areas: the upload's types replace their areas in use, the other types' areas stay."""
    gdf = boundaries.read_boundaries(data, filename, crs=options.get("crs"), layer=options.get("layer"))
    info = {"Objekte": str(len(gdf)), "Ebene": str(gdf.attrs.get("layer") or ""),
            "Koordinatensystem": gdf.crs.to_string() if gdf.crs is not None else "keins"}
    progress(0.2, _VALIDATE)
    guess = CrsGuess(gdf.crs.to_string() if gdf.crs is not None else None, False,
                     "vom Nutzer angegeben" if options.get("crs") else "laut Datei")
    result = catchments.validate_catchments(
        gdf, offer_types=context.offer_types, offers=context.offers, districts=context.districts,
        default_type=options.get("default_type"), column_map=options.get("column_map"),
    )
    report = result.report
    _merge(report, [Problem(n, severity="warning") for n in gdf.attrs.get("notes", [])])
    if not report.ok:
        return UploadCheck("catchments", None, report, guess, None, info)
    progress(0.8, _COMPARE)
    info["Gebiete"] = catchments.catchment_summary(result.layer, context.offer_types)
    layer = catchments.merge_catchments(context.catchments, result.layer)
    changes = summarise_changes(context.catchments, layer, key=[settings.OFFER_TYPE, settings.CATCHMENT_ID])
    return UploadCheck("catchments", layer, report, guess, changes, info)


def _check_clinic_births(data: bytes, filename: str, context: Dataset, options: dict,
                         progress: Progress) -> UploadCheck:
    """Births per clinic and Sozialraum: the uploaded years replace those years (a file without years: all)."""
    table = spreadsheets.read_table(data, filename, sheet=options.get("sheet"))
    progress(0.2, _VALIDATE)
    info = _table_info(table)
    result = clinic_births.validate_clinic_births(
        table, districts=context.districts, offers=context.offers, offer_types=context.offer_types,
        year=options.get("year"), column_map=options.get("column_map"),
    )
    report = result.report
    _merge(report, [Problem(n, severity="warning") for n in table.attrs.get("notes", [])])
    if not report.ok:
        return UploadCheck("clinic_births", None, report, None, None, info)
    progress(0.8, _COMPARE)
    info |= clinic_births.births_summary(result.layer)
    layer = clinic_births.merge_clinic_births(context.clinic_births, result.layer, context.districts)
    changes = clinic_births.births_changes(context.clinic_births, layer, result.layer)
    return UploadCheck("clinic_births", layer, report, None, changes, info)


#: The check of each upload kind.
_CHECKS = {
    "offers": _check_offers, "districts": _check_districts, "indicators": _check_indicators,
    "residents": _check_residents, "catchments": _check_catchments, "clinic_births": _check_clinic_births,
    "sozialindex": _check_sozialindex,
}
#: Workspace layer each upload kind is stored as.
STORE_LAYER: dict[str, str] = {
    "offers": "offers", "districts": "districts", "indicators": "indicators", "residents": "residents",
    "catchments": "catchments", "clinic_births": "clinic_births", "sozialindex": "sozialindex",
}
#: Stored layers each kind of check reads from its context: the offers in use are merged with new offers and
#: located in the districts, their types recognised by the workspace's offer types; districts are compared with
#: the districts in use and the indicators' ids; indicators keep the other years of the districts in use and add to
#: the definitions in use; residents are clipped to the districts, compared with the indicators' counts, and
#: replace the residents in use.
CHECK_READS: dict[str, tuple[str, ...]] = {
    "offers": ("offers", "districts", "offer_types"),
    "districts": ("districts", "indicators"),
    "indicators": ("indicators", "districts", "definitions"),
    "residents": ("residents", "districts", "indicators"),
    # Catchments and births per clinic are matched to the offers (of types the offer types define) and districts.
    "catchments": ("catchments", "districts", "offers", "offer_types"),
    "clinic_births": ("clinic_births", "districts", "offers", "offer_types"),
    "sozialindex": ("sozialindex", "offers"),
}
_RECHECK = ("Es wurde nichts gespeichert. Bitte prüfen Sie die Datei erneut gegen den neuen Stand (Vorschau und "
            "Änderungen oben) und bestätigen Sie dann noch einmal.")


def commit_upload(
    workspace, check: UploadCheck, *, filename: str, comment: str = "",
    previewed: Mapping[str, int | None] | None = None,
):
    """Store a checked upload as a new version of its layer (indicators: with their definitions, in one transaction).

    Refuses an upload with errors, or one checked against data that have changed since.

    Parameters
    ----------
    workspace
        A :class:`geo.store.Workspace`.
    check
        The result of :func:`check_upload` the planner has looked at and confirmed.
    previewed
        The ``base_versions`` of the check the planner was shown, if that was another run's check (a page
        recomputes the check on the click that confirms it). They must equal ``check.base_versions``.

    Returns
    -------
    geo.store.VersionInfo
        The version of the upload's layer (for indicators: of ``indicators``; ``definitions`` is stored with it
        and gets a new version only where it changed).

    Raises
    ------
    VersionConflict
        A layer in ``check.base_versions`` (or ``previewed``) is no longer the active version: another session
        stored something in between. Nothing is written; the German message asks to check the file again.
        The comparison happens inside the store's write transaction (:meth:`geo.store.Workspace.save_many`).
    DataError
        If ``check`` has errors: nothing is written, the stored versions stay as they are.
    """
    if not check.ok:
        check.report.raise_if_errors("Die Datei wurde nicht gespeichert")
        raise DataError("Die Datei wurde nicht gespeichert: sie enthält keine verwertbaren Daten.")
    if previewed is not None and dict(previewed) != dict(check.base_versions):
        changed = {LAYER_LABELS[layer]: (previewed.get(layer), check.base_versions.get(layer))
                   for layer in sorted(set(previewed) | set(check.base_versions))
                   if previewed.get(layer) != check.base_versions.get(layer)}
        raise VersionConflict(changed, _RECHECK)
    frames = {STORE_LAYER[check.kind]: check.layer}
    if check.definitions is not None:
        frames["definitions"] = catalog.definitions_table(check.definitions)
    try:
        saved = workspace.save_many(frames, filename=filename, comment=comment, base_versions=check.base_versions)
    except VersionConflict as err:
        raise VersionConflict(err.changed, _RECHECK) from None
    return saved[STORE_LAYER[check.kind]]
