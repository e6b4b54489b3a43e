"""Every export product through one entry point: print maps, the committee report, tables, the result layer, HTML.

:func:`export` returns the bytes of one file; the page "Export" and ``python -m geo export`` both call it.
All products apply the data-protection rule of :mod:`geo.analysis.protect`, neutralise spreadsheet formulas in text
cells, and carry the settings and data versions behind them (PDF/PNG metadata, XLSX sheet "Einstellungen",
GeoPackage table ``metadaten``, JSON sidecar for CSV and HTML via :func:`sidecar`).

Reproducibility: the same inputs, options and ``export_date`` give byte-identical PDF, PNG, CSV, XLSX,
GeoPackage, HTML and sidecar files (tested). How:

- PDF: ``CreationDate``/``ModDate`` set to the export date; matplotlib writes no other clock or random value.
- PNG: text chunks are fixed; Agg rendering is deterministic.
- XLSX: workbook ``created``/``modified`` set to the export date and every ZIP entry re-stamped with it
  (openpyxl stamps entries with the wall clock).
- GeoPackage: GDAL's ``OGR_CURRENT_DATE`` pins ``gpkg_contents.last_change``; the SQLite file is written
  fresh, so its pages come out the same. This holds for one GDAL/SQLite version; another version may lay out
  the file differently (the content stays equal). The option is process-wide in GDAL: it is set only for
  the duration of the write and restored.
- HTML: folium names its elements with random ids; they are renumbered in order of appearance.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
import pyogrio

from geo import crs, settings
from geo.analysis import Result
from geo.analysis.chain import Chain, chain_matrix, most_missing_text
from geo.analysis.protect import district_codes, rule_text
from geo.analysis.scenarios import scenario_text
from geo.dataset import Dataset
from geo.progress import Progress, silent
from geo.render import chain_tables
from geo.render.print.content import KINDS as MAP_KINDS
from geo.render.print.content import MapOptions, MapSpec
from geo.render.print.kit import figure_bytes
from geo.render.print.ranking import DEFAULT_RANKING
from geo.render.print.sheet import render_map
from geo.render.provenance import (
    APP_NAME,
    export_timestamp,
    licence_notes,
    method_notes,
    min_inhabitants,
    resolve_date,
    settings_json,
    settings_record,
    source_text,
)
from geo.render.scenario_marks import mark_table, scenario_file_name
from geo.render.tables import (
    column_descriptions,
    dynamic_notes,
    german_csv_bytes,
    neutralise_formulas,
    neutralise_text,
    protected_district_table,
    protected_gap_table,
    result_columns,
)

#: Product kind → German label.
KINDS: Final[dict[str, str]] = {
    **MAP_KINDS,
    "report": "Bericht für den Jugendhilfeausschuss",
    "table": "Ergebnistabelle je Sozialraum",
    "layer": "Ergebnis-Ebene für GIS (GeoPackage)",
    "html": "Interaktive Karte (HTML)",
    "profile": "Sozialraumsteckbrief (ein Sozialraum)",
    "profiles": "Steckbriefe aller Sozialräume (ZIP)",
    "chain": "Präventionskette (Ketten-Matrix je Sozialraum und Lebensphase)",
}
#: Product kind → formats it comes in (first = default).
FORMATS: Final[dict[str, tuple[str, ...]]] = {
    **{kind: ("pdf", "png") for kind in MAP_KINDS},
    "report": ("pdf",),
    "table": ("csv", "xlsx"),
    "layer": ("gpkg",),
    "html": ("html",),
    "profile": ("pdf",),
    "profiles": ("zip",),
    "chain": ("csv", "xlsx"),
}
MIME_TYPES: Final[dict[str, str]] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "gpkg": "application/geopackage+sqlite3",
    "html": "text/html",
    "json": "application/json",
    "zip": "application/zip",
}
#: Formats whose settings travel in a JSON sidecar (the others carry them inside the file).
SIDECAR_FORMATS: Final[frozenset[str]] = frozenset({"csv", "html"})
DPI_CHOICES: Final[tuple[int, ...]] = (150, 300)
GPKG_LAYER: Final[str] = "sozialraeume"


@dataclass(frozen=True)
class ExportOptions(MapOptions):
    """Options of one export; each product uses those that apply to it.

    Attributes
    ----------
    offer_type
        Offer type of a map (``None`` = all types where the map allows it).
    indicator
        Map variable for kind ``indicator`` (see :func:`geo.render.print.content.indicator_choices`).
    scheme, k
        Classification of indicator maps (:data:`geo.render.print.content.SCHEMES`) and number of classes.
    paper, orientation
        ``"A4"``/``"A3"`` and ``"portrait"``/``"landscape"`` (the report is always portrait).
    dpi
        Resolution of PNG maps (150 or 300 for print; any value from 30 to 600 is accepted).
    labels
        District names on maps.
    export_date
        Date printed on and stamped into the files; ``None`` = today.
    ranking
        Rows of the report's ranking (:data:`geo.render.print.ranking.RANKINGS`): ``"gaps"`` (default) only the
        gaps, ``"annex"`` the gaps and the other in-need rows in an annex, ``"all"`` every in-need row.
    tiles
        Background map (OpenStreetMap tiles, :data:`geo.settings.TILE_URL`) under print maps, where the tiles
        can be fetched or are cached; otherwise the vector map, with a note. The committee report always
        stays a vector map.
    district
        Sozialraum-Nr. of a ``profile`` (Sozialraumsteckbrief), as stored.
    """

    dpi: int = 150
    export_date: date | None = None
    ranking: str = DEFAULT_RANKING
    district: str | None = None

    def resolved(self) -> ExportOptions:
        """A copy with the export date fixed (today if none was given)."""
        return replace(self, export_date=resolve_date(self.export_date))

    def product(self, kind: str, fmt: str) -> dict:
        """JSON-ready record of the options that shape this product."""
        keep = {"kind": kind, "format": fmt}
        fields = asdict(self)
        fields.pop("export_date")
        fields.pop("ranking")  # the report's alone
        fields.pop("district")
        if kind in MAP_KINDS:
            keep.update({k: v for k, v in fields.items() if k != "dpi" or fmt == "png"})
            if kind != "indicator":
                for name in ("indicator", "scheme", "k"):
                    keep.pop(name)
        elif kind == "report":
            keep["paper"] = self.paper
            keep["ranking"] = self.ranking
        elif kind == "profile":
            keep["district_id"] = self.district
        elif kind == "html":
            keep.update(offer_type=self.offer_type, indicator=self.indicator, scheme=self.scheme, k=self.k,
                        labels=self.labels)
        return keep


def _check(kind: str, fmt: str, options: ExportOptions) -> None:
    if kind not in FORMATS:
        raise ValueError(f"Unbekanntes Produkt {kind!r}; möglich: {', '.join(FORMATS)}")
    if fmt not in FORMATS[kind]:
        raise ValueError(f"„{KINDS[kind]}“ gibt es als {', '.join(FORMATS[kind])}, nicht als {fmt!r}.")
    if kind == "profile" and not options.district:
        raise ValueError("Für einen Sozialraumsteckbrief bitte die Sozialraum-Nr. angeben (--district).")
    if not 30 <= int(options.dpi) <= 600:
        raise ValueError(f"Auflösung {options.dpi} dpi liegt außerhalb von 30 bis 600.")


def export(
    kind: str,
    fmt: str,
    dataset: Dataset,
    result: Result,
    options: ExportOptions | None = None,
    *,
    html_map=None,
    scenarios=(),
    progress: Progress = silent,
) -> bytes:
    """The bytes of one export product.

    Parameters
    ----------
    kind
        A key of :data:`KINDS`: a map kind (``status``, ``indicator``, ``offers``, ``reach``, ``bivariate``,
        ``gaps``), ``report``, ``table``, ``layer`` or ``html``.
    fmt
        One of :data:`FORMATS` ``[kind]``.
    dataset, result
        The data set and its analysis result (renderers compute no indicator).
    options
        :class:`ExportOptions`.
    html_map
        For ``html``: the folium map to save (e.g. the one the map page shows); built with
        :func:`html_map_for` from ``options`` when not given.
    scenarios
        For ``report``: scenario chapters (:func:`geo.render.print.scenario.scenario_chapters` of this data set
        and result) to include after the Bestand's pages.
    progress
        For ``report`` and ``profiles``: hears their steps (:mod:`geo.progress`, one per page or district).

    Raises
    ------
    ValueError
        For an unknown kind, format or option (a programming or CLI usage error, German message).
    """
    options = (options or ExportOptions()).resolved()
    _check(kind, fmt, options)
    if kind in MAP_KINDS:
        spec = MapSpec(kind=kind, **options.map_options())
        return figure_bytes(render_map(spec, dataset, result, export_date=options.export_date), fmt,
                            dpi=options.dpi)
    if kind == "report":
        from geo.render.print.report import render_report

        return render_report(dataset, result, export_date=options.export_date, paper=options.paper,
                             ranking=options.ranking, scenarios=scenarios, progress=progress)
    if kind in ("profile", "profiles"):
        from geo.render.print.profile import profiles_zip, render_profile

        if kind == "profiles":
            return profiles_zip(dataset, result, export_date=options.export_date, progress=progress)
        return render_profile(dataset, result, options.district, export_date=options.export_date)
    if kind == "table":
        return csv_bytes(dataset, result) if fmt == "csv" else xlsx_bytes(dataset, result, options)
    if kind == "layer":
        return gpkg_bytes(dataset, result, options)
    if kind == "chain":
        return chain_csv_bytes(dataset, result) if fmt == "csv" else chain_xlsx_bytes(dataset, result, options)
    return html_bytes(dataset, result, options, html_map=html_map)


def sidecar(kind: str, fmt: str, dataset: Dataset, result: Result, options: ExportOptions | None = None) -> bytes:
    """JSON with the settings and data versions behind an export (for CSV and HTML, which cannot hold them)."""
    options = (options or ExportOptions()).resolved()
    record = settings_record(dataset, result, export_date=options.export_date, product=options.product(kind, fmt))
    record["file"] = scenario_file_name(file_name(kind, fmt, result, options), dataset)
    if fmt == "csv":
        record["csv"] = "Trennzeichen ';', Dezimalkomma, UTF-8 mit BOM; '< 3' und '•' siehe data_protection"
    if kind == "chain":
        record["method_note"] = [f"{topic}: {text}" for topic, text in _chain_notes(dataset, result)]
    return (settings_json(record) + "\n").encode("utf-8")


def file_name(kind: str, fmt: str, result: Result, options: ExportOptions | None = None) -> str:
    """A plain ASCII file name, e.g. ``praeventionsatlas_bivariate_fgz_2024_A4_quer.pdf``."""
    options = options or ExportOptions()
    if kind == "profile" and options.district:
        from geo.render.print.profile import profile_file_name

        ids = result.districts[settings.DISTRICT_ID].astype(str).str.strip()
        names = result.districts.loc[ids == str(options.district).strip(), settings.DISTRICT_NAME]
        return profile_file_name(options.district, names.iloc[0] if len(names) else "", result.year)
    if kind == "profiles":
        return f"praeventionsatlas_steckbriefe_{result.year}.zip"
    parts = ["praeventionsatlas", kind]
    if kind in MAP_KINDS or kind == "html":
        if kind == "indicator":
            parts.append(options.indicator or "status_index")
        if options.offer_type and kind not in ("status", "indicator", "dynamik", "gesamtindex"):
            parts.append(options.offer_type)
    parts.append(str(result.year))
    if kind in MAP_KINDS and fmt in ("pdf", "png"):
        parts += [options.paper, "hoch" if options.orientation == "portrait" else "quer"]
        if fmt == "png":
            parts.append(f"{options.dpi}dpi")
    if kind == "report":
        parts.append(options.paper)
    name = "_".join(parts)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
    return f"{name}.{fmt}"


def mime_type(fmt: str) -> str:
    """MIME type of a format (for downloads)."""
    return MIME_TYPES[fmt]


# --- tables ------------------------------------------------------------------------------------------------------

def csv_bytes(dataset: Dataset, result: Result) -> bytes:
    """The protected district table as CSV for German Excel (``;``, decimal comma, UTF-8 with BOM)."""
    table = protected_district_table(
        result, offer_types=dataset.offer_types, indicator_definitions=dataset.indicator_definitions
    )
    return german_csv_bytes(mark_table(table, dataset))


def _flatten(record: dict, prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows += _flatten(value, f"{name}.")
        elif isinstance(value, list):
            rows.append((name, "; ".join(str(v) for v in value)))
        else:
            rows.append((name, "" if value is None else str(value)))
    return rows


def _cell(value: object) -> object:
    """A pandas/numpy value as openpyxl writes it."""
    if value is None or value is pd.NA or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _write_sheet(ws, table: pd.DataFrame, *, number_formats: dict[str, str] | None = None,
                 widths: dict[str, float] | None = None) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    names = list(table.columns)  # the formats and widths are keyed by the labels before neutralising
    table = neutralise_formulas(table)
    ws.append([str(c) for c in table.columns])
    for row in table.itertuples(index=False):
        ws.append([_cell(v) for v in row])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E6E6E6")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    for j, name in enumerate(names, start=1):
        letter = get_column_letter(j)
        if number_formats and name in number_formats:
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                if isinstance(cell.value, int | float):
                    cell.number_format = number_formats[name]
        shown = table.iloc[:200, j - 1]
        longest = max([len(str(name)) * 0.7] + [len(str(v)) for v in shown]) if len(table) else 12
        ws.column_dimensions[letter].width = (widths or {}).get(name, min(max(8.0, longest + 2), 60.0))
    if len(table):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table) + 1}"


_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _fixed_zip(data: bytes, stamp) -> bytes:
    """Re-pack an XLSX so that it does not depend on the clock.

    openpyxl stamps every ZIP entry and the document property ``modified`` with the wall clock when saving;
    both are set to ``stamp`` here.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    when = (stamp.year, stamp.month, stamp.day, 0, 0, 0)
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_DATES.sub(lambda m: m.group(1) + iso + m.group(2), content)
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content)
    return out.getvalue()


def xlsx_bytes(dataset: Dataset, result: Result, options: ExportOptions | None = None) -> bytes:
    """The protected district table as XLSX.

    Sheets: "Ergebnis" (one row per district), "Erläuterungen" (every column explained, the data-protection
    rule, sources and licences), "Versorgungslücken" (ranked gap table) and "Einstellungen" (settings and
    data versions). Text cells starting with ``=``, ``+``, ``-``, ``@`` are neutralised.
    """
    from openpyxl import Workbook

    options = (options or ExportOptions()).resolved()
    stamp = export_timestamp(options.export_date).replace(tzinfo=None)
    ot, defs = dataset.offer_types, dataset.indicator_definitions
    table = protected_district_table(result, offer_types=ot, indicator_definitions=defs)
    formats = {}
    for col in result_columns(result, offer_types=ot, indicator_definitions=defs):
        if col.kind in ("percent", "number"):
            formats[col.label] = "0" if col.decimals == 0 else "0." + "0" * col.decimals
        elif col.kind == "count":
            formats[col.label] = "#,##0"
    explanations = column_descriptions(result, offer_types=ot, indicator_definitions=defs)
    notes = pd.DataFrame({
        "Spalte": ["Datenschutz", "Quelle", *["Lizenz"] * len(licence_notes(dataset)), "Hinweis"],
        "Feldname (GeoPackage)": ["", "", *[""] * len(licence_notes(dataset)), ""],
        "Beschreibung": [rule_text(min_inhabitants(result)), source_text(dataset), *licence_notes(dataset),
                         "Zahlen mit Dezimalpunkt sind echte Zahlen; „< 3“ und „•“ sind Text."],
    })
    if result.population.note:
        notes.loc[len(notes)] = ["Reichweite", "", result.population.note]
    for line in method_notes(dataset, result):  # target group and reach model in force per offer type
        notes.loc[len(notes)] = ["Reichweitenmodell", "", line]
    for topic, line in dynamic_notes(result):  # the Dynamik's period, indicators and the attention rule
        notes.loc[len(notes)] = [topic, "", line]
    explanations = pd.concat([explanations, notes], ignore_index=True)
    record = settings_record(dataset, result, export_date=options.export_date,
                             product=options.product("table", "xlsx"))
    settings_table = pd.DataFrame(_flatten(record), columns=["Einstellung", "Wert"])

    wb = Workbook()
    ws = wb.active
    ws.title = "Ergebnis"
    _write_sheet(ws, mark_table(table, dataset), number_formats=formats)
    _write_sheet(wb.create_sheet("Erläuterungen"), explanations,
                 widths={"Spalte": 42, "Feldname (GeoPackage)": 26, "Beschreibung": 100})
    gaps = protected_gap_table(result, offer_types=ot)
    _write_sheet(wb.create_sheet("Versorgungslücken"), mark_table(gaps, dataset), widths={"Begründung": 90},
                 number_formats={f"{result.population.in_reach} (%)": "0.0"})
    _write_sheet(wb.create_sheet("Einstellungen"), settings_table, widths={"Einstellung": 48, "Wert": 100})
    props = wb.properties
    props.creator = APP_NAME
    props.lastModifiedBy = APP_NAME
    props.title = "Präventionsatlas – Ergebnistabelle"
    props.subject = f"Indikatorjahr {result.year}; Quelle: {source_text(dataset)}"
    props.keywords = settings_json(record, indent=None)
    props.created = stamp
    props.modified = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    return _fixed_zip(buffer.getvalue(), stamp)


# --- Präventionskette ---------------------------------------------------------------------------------------------

def _chain(dataset: Dataset, result: Result) -> Chain:
    return chain_matrix(result, dataset.offer_types, dataset.phases)


def _chain_notes(dataset: Dataset, result: Result, chain: Chain | None = None) -> list[tuple[str, str]]:
    """The chain's method note (:func:`geo.render.chain_tables.method_notes`) with the result sentence first."""
    chain = chain or _chain(dataset, result)
    return [("Ergebnis", most_missing_text(chain)), *chain_tables.method_notes(chain, result, dataset.offer_types)]


def chain_csv_bytes(dataset: Dataset, result: Result) -> bytes:
    """The Ketten-Matrix (:func:`geo.render.chain_tables.export_table`) as CSV for German Excel.

    The method note travels in the JSON sidecar (:func:`sidecar`).
    """
    table = chain_tables.export_table(_chain(dataset, result), offer_types=dataset.offer_types)
    return german_csv_bytes(mark_table(table, dataset))


def chain_xlsx_bytes(dataset: Dataset, result: Result, options: ExportOptions | None = None) -> bytes:
    """The Ketten-Matrix as XLSX.

    Sheets: "Präventionskette" (one row per district), "Erläuterungen" (the result sentence, the rule, per phase
    the offer types with target group and reach model, the states, data protection, source and licences) and
    "Einstellungen". Text cells that Excel would run are neutralised.
    """
    from openpyxl import Workbook

    options = (options or ExportOptions()).resolved()
    stamp = export_timestamp(options.export_date).replace(tzinfo=None)
    chain = _chain(dataset, result)
    notes = [*_chain_notes(dataset, result, chain), ("Quelle", source_text(dataset)),
             *(("Lizenz", text) for text in licence_notes(dataset))]
    record = settings_record(dataset, result, export_date=options.export_date,
                             product=options.product("chain", "xlsx"))
    wb = Workbook()
    ws = wb.active
    ws.title = "Präventionskette"
    table = mark_table(chain_tables.export_table(chain, offer_types=dataset.offer_types), dataset)
    _write_sheet(ws, table, number_formats={c: "0.0" for c in table.columns if c.endswith("(%)")})
    _write_sheet(wb.create_sheet("Erläuterungen"), pd.DataFrame(notes, columns=["Thema", "Beschreibung"]),
                 widths={"Thema": 34, "Beschreibung": 110})
    _write_sheet(wb.create_sheet("Einstellungen"), pd.DataFrame(_flatten(record), columns=["Einstellung", "Wert"]),
                 widths={"Einstellung": 48, "Wert": 100})
    props = wb.properties
    props.creator = props.lastModifiedBy = APP_NAME
    props.title = "Präventionsatlas – Präventionskette"
    props.subject = f"Indikatorjahr {result.year}; Quelle: {source_text(dataset)}"
    props.keywords = settings_json(record, indent=None)
    props.created = props.modified = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    return _fixed_zip(buffer.getvalue(), stamp)


# --- Site suggestions ---------------------------------------------------------------------------------------------

def sites_xlsx_bytes(dataset: Dataset, result: Result, table: pd.DataFrame, notes: list[tuple[str, str]]) -> bytes:
    """A ranked table of site suggestions (:func:`geo.render.site_tables.ranked_table`) as XLSX.

    Sheets: "Standortvorschläge" and "Erläuterungen" (``notes`` – solver status, need weights, goal –, data
    protection, source and licences). Text cells that Excel would run are neutralised.
    """
    from openpyxl import Workbook

    stamp = export_timestamp(None).replace(tzinfo=None)
    explanations = [*notes, ("Datenschutz", rule_text(min_inhabitants(result))), ("Quelle", source_text(dataset)),
                    *(("Lizenz", text) for text in licence_notes(dataset))]
    wb = Workbook()
    ws = wb.active
    ws.title = "Standortvorschläge"
    _write_sheet(ws, table)
    _write_sheet(wb.create_sheet("Erläuterungen"), pd.DataFrame(explanations, columns=["Thema", "Beschreibung"]),
                 widths={"Thema": 34, "Beschreibung": 110})
    props = wb.properties
    props.creator = props.lastModifiedBy = APP_NAME
    props.title = "Präventionsatlas – Standortvorschläge"
    props.subject = f"Indikatorjahr {result.year}; Quelle: {source_text(dataset)}"
    props.created = props.modified = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    return _fixed_zip(buffer.getvalue(), stamp)


# --- GeoPackage --------------------------------------------------------------------------------------------------

def result_layer(dataset: Dataset, result: Result) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The protected result layer (plain columns, metric CRS) and its field explanations.

    Numeric fields hold NULL where a value is suppressed; the text field ``datenschutz`` says which values of
    the row are shown as "< 3" or suppressed ("•").
    """
    import geopandas as gpd

    ot, defs = dataset.offer_types, dataset.indicator_definitions
    cols = result_columns(result, offer_types=ot, indicator_definitions=defs)
    table = protected_district_table(result, offer_types=ot, indicator_definitions=defs)
    codes = district_codes(result)
    d = result.districts
    order = np.argsort(d[settings.DISTRICT_ID].astype(str).to_numpy(), kind="stable")
    out = {}
    for col in cols:
        values = table[col.label]
        if col.kind in ("text", "flag"):
            # QGIS users open the layer's table in Excel too: names like "=1+1" are neutralised as in CSV/XLSX.
            out[col.key] = values.map(
                lambda v: None if v is None or v is pd.NA else neutralise_text(str(v))
            ).astype(object)
        elif col.kind in ("int", "count"):
            numeric = pd.to_numeric(values.map(lambda v: np.nan if isinstance(v, str) else v), errors="coerce")
            out[col.key] = numeric.round(0).astype("Int64")
        else:
            out[col.key] = pd.to_numeric(values.map(lambda v: np.nan if isinstance(v, str) else v),
                                         errors="coerce").astype(float)
    notes = []
    by_source = {c.source: c for c in cols}
    codes = codes.iloc[order].reset_index(drop=True)
    for _, row in codes.iterrows():
        items = [f"{by_source[name].label}: {code}" for name, code in row.items() if code and name in by_source]
        notes.append(neutralise_text("; ".join(items)) if items else None)
    out["datenschutz"] = pd.Series(notes, dtype=object)
    geometry = crs.to_metric(d, name="Sozialräume").geometry.to_numpy()[order]
    layer = gpd.GeoDataFrame(out, geometry=geometry, crs=settings.METRIC_CRS)
    fields = pd.DataFrame({
        "feld": [c.key for c in cols] + ["datenschutz"],
        "spalte": [c.label for c in cols] + ["Datenschutz"],
        "beschreibung": [c.description for c in cols] + [
            "Welche Werte der Zeile als „< 3“ ausgewiesen oder unterdrückt (•) sind; die Zahlenfelder sind "
            "dort leer (NULL). " + rule_text(min_inhabitants(result))],
    })
    return layer, fields


def _offers_layer(dataset: Dataset):
    offers = crs.to_metric(dataset.offers, name="Angebote")
    ot = dataset.offer_types
    label = offers[settings.OFFER_TYPE].map(lambda t: ot.at[t, "label"] if t in ot.index else t)
    columns = {
        "angebot_id": offers[settings.OFFER_ID].astype(str),
        "art": offers[settings.OFFER_TYPE].astype(str),
        "art_name": label.astype(str),
        "name": offers[settings.OFFER_NAME].astype(str) if settings.OFFER_NAME in offers else "",
        "adresse": offers[settings.OFFER_ADDRESS].astype(str) if settings.OFFER_ADDRESS in offers else "",
    }
    import geopandas as gpd

    frame = neutralise_formulas(pd.DataFrame({k: v.to_numpy(dtype=object) if hasattr(v, "to_numpy") else v
                                              for k, v in columns.items()}))
    order = np.argsort(frame["angebot_id"].to_numpy(dtype=str), kind="stable")
    return gpd.GeoDataFrame(frame.iloc[order].reset_index(drop=True),
                            geometry=offers.geometry.to_numpy()[order], crs=settings.METRIC_CRS)


def gpkg_bytes(dataset: Dataset, result: Result, options: ExportOptions | None = None) -> bytes:
    """The result as GeoPackage for QGIS, in the metric CRS (EPSG:25832 by default).

    Layers: ``sozialraeume`` (districts with the protected result, plain text/integer/real fields, gap flags
    as "ja"/"nein"), ``angebote`` (offer points), and the tables ``erlaeuterungen`` (field → German column name
    and description) and ``metadaten`` (settings and data versions).
    """
    options = (options or ExportOptions()).resolved()
    layer, fields = result_layer(dataset, result)
    record = settings_record(dataset, result, export_date=options.export_date,
                             product=options.product("layer", "gpkg"))
    meta = pd.DataFrame(_flatten(record), columns=["schluessel", "wert"])
    stamp = export_timestamp(options.export_date).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    mark = f" – {scenario_text(dataset.scenario)}" if dataset.scenario else ""
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ergebnis.gpkg"
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": stamp})
        try:
            pyogrio.write_dataframe(layer, path, layer=GPKG_LAYER, driver="GPKG",
                                    layer_options={"DESCRIPTION": f"{APP_NAME}: Ergebnis je Sozialraum, "
                                                                  f"Indikatorjahr {result.year}{mark}"})
            pyogrio.write_dataframe(_offers_layer(dataset), path, layer="angebote", driver="GPKG", append=True)
            pyogrio.write_dataframe(neutralise_formulas(fields), path, layer="erlaeuterungen", driver="GPKG",
                                    append=True)
            pyogrio.write_dataframe(neutralise_formulas(meta), path, layer="metadaten", driver="GPKG",
                                    append=True)
        finally:
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
        return path.read_bytes()


# --- HTML --------------------------------------------------------------------------------------------------------

def html_map_for(dataset: Dataset, result: Result, options: ExportOptions | None = None):
    """The folium map (:func:`geo.render.web.leaflet.need_map`) closest to a print-map choice.

    The map data apply the data-protection rule themselves (:func:`geo.render.web.map_data.map_data`).

    ``status`` → MSS classes; ``indicator`` → that variable; ``offers`` → offers with reach circles;
    ``reach``/``bivariate`` → share in reach with gap outlines (the web map has no bivariate mode);
    ``gaps`` → gap outlines of the type. No background tiles (the file must open offline).
    """
    from geo.render.web import leaflet, map_data

    options = options or ExportOptions()
    t = options.offer_type if options.offer_type in result.offer_types else None
    variable, scheme = map_data.STATUS, "mss"
    if options.indicator and options.indicator != map_data.STATUS:
        variable, scheme = options.indicator, options.scheme
    if variable not in map_data.variables(result, dataset):
        variable, scheme = map_data.STATUS, "mss"
    kwargs = dict(variable=variable, scheme=scheme, k=options.k, labels=options.labels, tiles="none")
    if options.offer_type is None:
        kwargs.update(reach=False)
    elif t:
        kwargs.update(offer_types=[t], reach=True, gap_type=t)
    return leaflet.need_map(result, dataset, **kwargs)


_FOLIUM_ID = re.compile(r"\b([a-z_]+)_([0-9a-f]{32})\b")


def _stable_ids(html: str) -> str:
    """Renumber folium's random element ids (``map_<32 hex>``) in order of appearance."""
    seen: dict[str, str] = {}

    def repl(match: re.Match) -> str:
        key = match.group(2)
        if key not in seen:
            seen[key] = f"{len(seen) + 1:032x}"
        return f"{match.group(1)}_{seen[key]}"

    return _FOLIUM_ID.sub(repl, html)


def html_bytes(dataset: Dataset, result: Result, options: ExportOptions | None = None, *, html_map=None) -> bytes:
    """One self-contained HTML file of the map (:func:`geo.render.web.leaflet.standalone_html`), UTF-8.

    ``html_map`` is the folium map to save; without it one is built with :func:`html_map_for`.
    """
    from geo.render.web import leaflet

    options = (options or ExportOptions()).resolved()
    m = html_map if html_map is not None else html_map_for(dataset, result, options)
    title = f"{APP_NAME} – Karte {result.year}" + (" (synthetische Beispieldaten)" if dataset.synthetic else "")
    title += f" – {scenario_text(dataset.scenario)}" if dataset.scenario else ""
    return _stable_ids(leaflet.standalone_html(m, title=title)).encode("utf-8")


__all__ = [
    "DPI_CHOICES", "FORMATS", "KINDS", "SIDECAR_FORMATS", "ExportOptions", "chain_csv_bytes", "chain_xlsx_bytes",
    "csv_bytes", "export", "file_name",
    "gpkg_bytes", "html_bytes", "html_map_for", "mime_type", "result_layer", "sidecar",
    "xlsx_bytes",
]
