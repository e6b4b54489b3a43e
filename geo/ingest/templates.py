"""Upload templates: the expected columns of each upload, explained in German, with two example rows of the city.

The headers are names the readers recognise (the alias tables of :mod:`geo.ingest.columns` and
:mod:`geo.ingest.zensus`; checked when the module is loaded), so a template uploaded unchanged passes the checks
of its layer. The example rows belong to the city in use: its first two Sozialräume, a point inside each, its
offer types and its indicators. Files are written as a German Excel writes them: CSV with ``;``, decimal comma
and UTF-8 with BOM; XLSX with the data on the first sheet and the explanations on the sheet
:data:`geo.io.EXPLANATION_SHEET` (which the reader skips), every cell text (never a formula).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final

import geopandas as gpd
import pandas as pd
import shapely

from geo import catalog, settings
from geo.crs import to_metric
from geo.dataset import Dataset
from geo.formatting import format_number
from geo.ingest.candidates import CANDIDATE_ALIASES, SCHOOL, SCHOOL_TYPE
from geo.ingest.catchments import CATCHMENT_ALIASES
from geo.ingest.clinic_births import CLINIC_BIRTHS_ALIASES, CLINIC_ID, clinic_types
from geo.ingest.columns import (
    _COUNT_ALIASES,
    _COUNT_PREFIXES,
    _DISTRICT_ALIASES,
    _INDICATOR_ID_ALIASES,
    _OFFER_ALIASES,
    _YEAR_ALIASES,
    COORDINATE_PAIRS,
    _norm,
)
from geo.ingest.sozialindex import ALIASES as SOZIALINDEX_ALIASES
from geo.ingest.sozialindex import SCHOOL_NAME
from geo.ingest.zensus import _CHILD_ALIASES, _INHABITANT_ALIASES
from geo.io import EXPLANATION_SHEET

#: Upload kinds with a template, in the order of the Daten page.
TEMPLATE_KINDS: Final[tuple[str, ...]] = ("districts", "offers", "indicators", "residents", "catchments",
                                           "clinic_births", "sozialindex", "candidates")
#: Size of the example squares of the boundary template, in metres.
EXAMPLE_SQUARE_M: Final[float] = 500.0
_REQUIRED = {True: "ja", False: "nein"}


def _header(text: str, aliases: Iterable[str]) -> str:
    """``text`` if the readers recognise it by one of ``aliases``; else a programming error at import time."""
    if _norm(text) not in set(aliases):
        raise ValueError(f"template header {text!r} is not one of the readers' names {sorted(aliases)}")
    return text


def _coordinate_headers(x: str, y: str) -> tuple[str, str]:
    if (_norm(x), _norm(y)) not in COORDINATE_PAIRS:
        raise ValueError(f"template coordinates {x!r}/{y!r} are not a pair the readers recognise")
    return x, y


# One header per role, shared by every template that has the role.
DISTRICT_ID_HEADER: Final[str] = _header(
    "Sozialraum-Nr.", set(_INDICATOR_ID_ALIASES) & set(_DISTRICT_ALIASES["id_column"])
)
DISTRICT_NAME_HEADER: Final[str] = _header("Sozialraumname", _DISTRICT_ALIASES["name_column"])
AREA_ID_HEADER: Final[str] = _header("Stadtbezirk-Nr.", _DISTRICT_ALIASES["area_id_column"])
AREA_NAME_HEADER: Final[str] = _header("Stadtbezirk", _DISTRICT_ALIASES["area_name_column"])
YEAR_HEADER: Final[str] = _header("Jahr", _YEAR_ALIASES)
INHABITANTS_HEADER: Final[str] = _header("Einwohner", (*_COUNT_ALIASES[settings.INHABITANTS], *_INHABITANT_ALIASES))
#: "Kinder 0–17": a residents' alias, and by its start ("Kinder") an indicator table's children count.
CHILDREN_HEADER: Final[str] = _header("Kinder 0–17", _CHILD_ALIASES)
if not _norm(CHILDREN_HEADER).startswith(_COUNT_PREFIXES[settings.CHILDREN]):
    raise ValueError(f"{CHILDREN_HEADER!r} is no children count of an indicator table")
X_HEADER, Y_HEADER = _coordinate_headers("Rechtswert", "Hochwert")
OFFER_HEADERS: Final[dict[str, str]] = {
    settings.OFFER_ID: _header("Nr", _OFFER_ALIASES[settings.OFFER_ID]),
    settings.OFFER_TYPE: _header("Angebotsart", _OFFER_ALIASES[settings.OFFER_TYPE]),
    settings.OFFER_NAME: _header("Name", _OFFER_ALIASES[settings.OFFER_NAME]),
    settings.OFFER_ADDRESS: _header("Adresse", _OFFER_ALIASES[settings.OFFER_ADDRESS]),
    settings.OFFER_CAPACITY: _header("Kapazität", _OFFER_ALIASES[settings.OFFER_CAPACITY]),
}
SOZIALINDEX_HEADERS: Final[dict[str, str]] = {
    role: _header(text, SOZIALINDEX_ALIASES[role])
    for role, text in ((settings.SCHOOL_ID, "Schulnummer"), (settings.SOZIALINDEX, "Sozialindex"),
                       (SCHOOL_NAME, "Schulname"))
}

CATCHMENT_HEADERS: Final[dict[str, str]] = {
    settings.CATCHMENT_ID: _header("Kennung", CATCHMENT_ALIASES[settings.CATCHMENT_ID]),
    settings.OFFER_NAME: _header("Name", CATCHMENT_ALIASES[settings.OFFER_NAME]),
    settings.OFFER_TYPE: _header("Angebotsart", CATCHMENT_ALIASES[settings.OFFER_TYPE]),
    settings.OFFER_ID: _header("Angebots-Kennung", CATCHMENT_ALIASES[settings.OFFER_ID]),
}
CLINIC_BIRTHS_HEADERS: Final[dict[str, str]] = {
    settings.DISTRICT_ID: _header(DISTRICT_ID_HEADER, CLINIC_BIRTHS_ALIASES[settings.DISTRICT_ID]),
    CLINIC_ID: _header("Klinik", CLINIC_BIRTHS_ALIASES[CLINIC_ID]),
    settings.BIRTHS: _header("Geburten", CLINIC_BIRTHS_ALIASES[settings.BIRTHS]),
    settings.YEAR: _header(YEAR_HEADER, CLINIC_BIRTHS_ALIASES[settings.YEAR]),
}


@dataclass(frozen=True)
class TemplateColumn:
    """One column of a template.

    Attributes
    ----------
    header
        The German header as it stands in the file.
    required
        Whether a file without the column is refused.
    explanation
        What belongs in the column, in German.
    examples
        The two example cells, as text the way a German Excel shows them (``12,5``).
    """

    header: str
    required: bool
    explanation: str
    examples: tuple[str, str]


@dataclass(frozen=True)
class Template:
    """The template of one upload kind.

    Attributes
    ----------
    kind
        The upload kind (``offers``, ``indicators``, ``residents``, ``districts``).
    title
        German name of the template ("Vorlage Angebotsstandorte").
    stem
        File name without suffix (``vorlage_angebote``).
    columns
        The columns in file order.
    notes
        Further German notes about the whole file.
    geometries
        Districts and catchments: one polygon per example row, in :data:`geo.settings.METRIC_CRS`.
    """

    kind: str
    title: str
    stem: str
    columns: tuple[TemplateColumn, ...]
    notes: tuple[str, ...] = ()
    geometries: tuple[shapely.Geometry, ...] = ()

    @property
    def formats(self) -> tuple[str, ...]:
        """Download formats: GeoJSON for areas (boundaries, catchments: they are geometry), else CSV and XLSX."""
        return ("geojson",) if self.geometries else ("csv", "xlsx")

    def frame(self) -> pd.DataFrame:
        """The two example rows as text, one column per :attr:`columns` header."""
        return pd.DataFrame({c.header: list(c.examples) for c in self.columns}, dtype=object)

    def explanation(self) -> pd.DataFrame:
        """Spalte | Pflicht | Bedeutung | Beispiel: the table on the Daten page and the explanation sheet."""
        return pd.DataFrame({
            "Spalte": [c.header for c in self.columns],
            "Pflicht": [_REQUIRED[c.required] for c in self.columns],
            "Bedeutung": [c.explanation for c in self.columns],
            "Beispiel": [c.examples[0] for c in self.columns],
        })


def _examples(dataset: Dataset) -> tuple[list[str], list[str], list[tuple[float, float]]]:
    """Ids, names and a point inside each of the city's first two districts (metric CRS); made up without any."""
    districts = dataset.districts
    if districts is None or not len(districts):
        x0, y0 = 415_000.0, 5_728_000.0  # a plausible place in NRW (EPSG:25832), as the demo
        return ["0101", "0102"], ["Altstadt", "Nordviertel"], [(x0, y0), (x0 + 1_000.0, y0)]
    # Natural order, "7" before "12" and "0101" before "0102".
    first = to_metric(districts, name="Sozialräume").sort_values(
        settings.DISTRICT_ID, key=lambda s: s.astype(str).str.zfill(20))
    first = first.head(2)
    points = first.geometry.representative_point()
    ids = first[settings.DISTRICT_ID].astype(str).tolist()
    names = first[settings.DISTRICT_NAME].astype(str).tolist() if settings.DISTRICT_NAME in first else ids
    xy = [(round(p.x, 1), round(p.y, 1)) for p in points]
    while len(ids) < 2:  # a city of one district: the example rows share it
        ids, names, xy = ids * 2, names * 2, xy * 2
    return ids, names, xy


def _number(value: float, decimals: int = 0) -> str:
    """A number as a German Excel shows it in a CSV: decimal comma, no thousands separator."""
    return format_number(value, decimals).replace(".", "")


def _pair(values: Iterable[object]) -> tuple[str, str]:
    first, second = (str(v) for v in values)
    return first, second


def offers_template(dataset: Dataset) -> Template:
    """Template of the offer locations: id, type, name, address, capacity, Rechtswert/Hochwert."""
    ids, names, xy = _examples(dataset)
    types = [t for t, row in dataset.offer_types.iterrows() if row["analysed"]] or list(dataset.offer_types.index)
    types = (types * 2)[:2]
    labels = [catalog.type_labels(dataset.offer_types, t) for t in types]
    allowed = ", ".join(f"{lb.label} ({lb.short})" if lb.short != lb.label else lb.label
                        for lb in (catalog.type_labels(dataset.offer_types, t) for t in dataset.offer_types.index))
    h = OFFER_HEADERS
    columns = (
        TemplateColumn(h[settings.OFFER_ID], True, "Eindeutige Kennung des Standorts; über sie werden spätere "
                       "Listen abgeglichen (gleiche Nr. = derselbe Standort).", ("A-001", "A-002")),
        TemplateColumn(h[settings.OFFER_TYPE], True, f"Angebotsart, wie sie in der Liste der Angebotsarten steht: "
                       f"{allowed}.", _pair(lb.label for lb in labels)),
        TemplateColumn(h[settings.OFFER_NAME], False, "Name des Standorts, wie er in Karten und Berichten erscheint "
                       "(empfohlen).",
                       _pair(f"{lb.short} {name}" for lb, name in zip(labels, names, strict=True))),
        TemplateColumn(h[settings.OFFER_ADDRESS], False, "Anschrift (nur zur Information; die Lage ergibt sich aus "
                       "den Koordinaten).", ("Hauptstraße 1", "Schulweg 2")),
        TemplateColumn(h[settings.OFFER_CAPACITY], False, "Plätze oder Fälle im Jahr (ganze Zahl), falls bekannt; "
                       "sonst leer lassen.", ("60", "")),
        *_coordinate_columns(xy),
    )
    return Template("offers", "Vorlage Angebotsstandorte", "vorlage_angebote", columns, notes=(
        "Eine Zeile je Standort. Die Beispielzeilen liegen in Ihren ersten beiden Sozialräumen: ersetzen Sie sie "
        "durch Ihre Standorte.",
        "Statt Rechtswert/Hochwert gehen auch Spalten „Breite“/„Länge“ (WGS84, Grad mit Dezimalkomma).",
    ))


def _coordinate_columns(xy: list[tuple[float, float]]) -> tuple[TemplateColumn, TemplateColumn]:
    crs = settings.METRIC_CRS
    return (
        TemplateColumn(X_HEADER, True, f"Rechtswert (Ost) in Metern im Koordinatensystem {crs} (ETRS89/UTM, "
                       "wie es das Geoportal NRW verwendet).", _pair(_number(x, 1) for x, _ in xy)),
        TemplateColumn(Y_HEADER, True, f"Hochwert (Nord) in Metern im Koordinatensystem {crs}.",
                       _pair(_number(y, 1) for _, y in xy)),
    )


def _indicator_definitions(dataset: Dataset) -> pd.DataFrame:
    """The city's indicators; the NRW suggestions while it has none."""
    defs = dataset.indicator_definitions
    return defs if len(defs) else catalog.read_indicator_definitions()


def indicators_template(dataset: Dataset, *, year: int | None = None) -> Template:
    """Template of the indicator table: Sozialraum-Nr., Jahr, Einwohner, Kinder and every indicator of the city.

    ``year``: the example rows' year; default: the latest year the city has values for, else last year.
    """
    ids, _, _ = _examples(dataset)
    if year is None:
        year = max(dataset.years) if len(dataset.indicators) else date.today().year - 1
    columns = [
        TemplateColumn(DISTRICT_ID_HEADER, True, "Sozialraum-Nr. genau wie in den Sozialraumgrenzen (führende "
                       "Nullen wie „0101“ dürfen fehlen).", _pair(ids)),
        TemplateColumn(YEAR_HEADER, True, "Jahr der Werte (vierstellig). Eine Zeile je Sozialraum und Jahr.",
                       (str(year), str(year))),
        TemplateColumn(INHABITANTS_HEADER, True, "Einwohnerinnen und Einwohner des Sozialraums (ganze Zahl).",
                       ("5400", "3800")),
        TemplateColumn(CHILDREN_HEADER, False, "Kinder und Jugendliche von 0 bis 17 Jahren (ganze Zahl); ohne diese "
                       "Spalte wird die Reichweite für alle Einwohnerinnen und Einwohner gemessen.", ("980", "610")),
    ]
    for key, row in _indicator_definitions(dataset).iterrows():
        unit = str(row["unit"]).strip()
        direction = "mehr" if row["direction"] > 0 else "weniger"
        examples = ("24,5", "12,0") if unit == "%" else ("3,2", "1,8")
        columns.append(TemplateColumn(
            f"{row['label']} ({unit})" if unit else str(row["label"]), False,
            f"{row['description'] or 'Indikator'} (Indikator „{key}“; höherer Wert = {direction} Bedarf). "
            "Dezimalkomma; leer, wenn kein Wert vorliegt.", examples))
    return Template("indicators", "Vorlage Indikatoren je Sozialraum", "vorlage_indikatoren", tuple(columns), notes=(
        "Eine Zeile je Sozialraum und Jahr. Weitere Zahlenspalten werden beim Hochladen als neue Indikatoren "
        "vorgeschlagen; auf der Seite „Indikatoren“ lassen sich Name, Richtung und Gewicht später ändern.",
        "Zahlen mit Dezimalkomma, ohne Tausenderpunkt; amtliche Zeichen für fehlende Werte („–“, „.“, „x“) sind "
        "erlaubt.",
    ))


def residents_template(dataset: Dataset) -> Template:
    """Template of the residents: one point (address, block, grid cell) with inhabitants and children each."""
    _, _, xy = _examples(dataset)
    columns = (
        *_coordinate_columns(xy),
        TemplateColumn(INHABITANTS_HEADER, True, "Einwohnerinnen und Einwohner an diesem Wohnort (ganze Zahl).",
                       ("120", "85")),
        TemplateColumn(CHILDREN_HEADER, False, "Kinder und Jugendliche von 0 bis 17 Jahren an diesem Wohnort "
                       "(ganze Zahl).", ("24", "11")),
    )
    return Template("residents", "Vorlage Wohnorte", "vorlage_wohnorte", columns, notes=(
        "Eine Zeile je Adresse, Baublock oder Gitterzelle; Wohnorte außerhalb der Sozialräume werden weggelassen.",
        "Das Zensus-2022-Gitter kann unverändert hochgeladen werden (GITTER_ID_100m;x_mp_100m;y_mp_100m;Einwohner).",
    ))


def districts_template(dataset: Dataset) -> Template:
    """Template of the boundaries: two example squares (GeoJSON) with the attribute columns the reader looks for."""
    ids, names, xy = _examples(dataset)
    half = EXAMPLE_SQUARE_M / 2
    squares = tuple(shapely.box(x - half, y - half, x + half, y + half) for x, y in xy)
    columns = (
        TemplateColumn(DISTRICT_ID_HEADER, True, "Sozialraum-Nr.: eindeutige Kennung je Sozialraum; dieselbe Nr. "
                       "steht in der Indikatorentabelle.", (f"{ids[0]}-Beispiel", f"{ids[1]}-Beispiel")),
        TemplateColumn(DISTRICT_NAME_HEADER, True, "Name des Sozialraums, wie er in Karten und Tabellen erscheint.",
                       (f"Beispiel {names[0]}", f"Beispiel {names[1]}")),
        TemplateColumn(AREA_ID_HEADER, False, "Nr. des Stadtbezirks, zu dem der Sozialraum gehört (optional).",
                       ("01", "01")),
        TemplateColumn(AREA_NAME_HEADER, False, "Name des Stadtbezirks (optional).", ("Mitte", "Mitte")),
    )
    return Template("districts", "Vorlage Sozialraumgrenzen", "vorlage_sozialraumgrenzen", columns, notes=(
        "Sozialraumgrenzen sind Flächen: exportieren Sie sie aus Ihrem GIS als GeoPackage, GeoJSON oder Shapefile "
        "(als ZIP) mit diesen Attributspalten. Die Vorlage enthält zwei Beispielquadrate zum Ansehen, z. B. in QGIS.",
        "Die Spalten dürfen auch anders heißen; beim Hochladen wählen Sie sie aus.",
    ), geometries=squares)


def sozialindex_template(dataset: Dataset) -> Template:
    """Template of the Schulsozialindex list: Schulnummer, Sozialindex, Schulname (examples: stored Grundschulen)."""
    offers = dataset.offers
    schools = offers[offers[settings.OFFER_TYPE].astype(str) == "grundschule"] if offers is not None else offers
    if schools is not None and len(schools) >= 2:
        ids = _pair(schools[settings.OFFER_ID].astype(str).head(2))
        names = _pair(schools[settings.OFFER_NAME].astype(str).head(2))
    else:
        ids, names = ("123456", "012345"), ("Grundschule Am Park", "Gemeinschaftsgrundschule Nord")
    columns = (
        TemplateColumn(SOZIALINDEX_HEADERS[settings.SCHOOL_ID], True, "Schulnummer der Schule (sechsstellig, wie in "
                       "der NRW-Schuldatei; führende Nullen dürfen fehlen).", ids),
        TemplateColumn(SOZIALINDEX_HEADERS[settings.SOZIALINDEX], True, "Stufe des Schulsozialindex NRW: ganze Zahl "
                       "von 1 (niedrige Belastung) bis 9 (höchste Belastung); leer, wenn die Schule keinen hat.",
                       ("7", "3")),
        TemplateColumn(SOZIALINDEX_HEADERS[SCHOOL_NAME], False, "Name der Schule (nur zur Information).", names),
    )
    return Template("sozialindex", "Vorlage Schulsozialindex", "vorlage_sozialindex", columns, notes=(
        "Eine Zeile je Schule. Die Liste des Landes (schulen_sozialindex_….csv) kann auch unverändert hochgeladen "
        "werden; sie wird an ihren Spalten erkannt.",
        "Die Schulen werden über die Schulnummer den gespeicherten Grundschulen zugeordnet.",
    ))



def _example_offers(dataset: Dataset, types: Iterable[str]) -> list[tuple[str, str]]:
    """``(offer_id, name)`` of the city's first two offers of ``types`` (in that order of types), maybe fewer."""
    offers = dataset.offers
    if offers is None or not len(offers):
        return []
    found = [offers[offers[settings.OFFER_TYPE].astype("str") == t] for t in types]
    rows = pd.concat(found).head(2) if found else offers.head(0)
    return list(zip(rows[settings.OFFER_ID].astype("str"), rows[settings.OFFER_NAME].astype("str"), strict=True))


def catchments_template(dataset: Dataset) -> Template:
    """Template of catchment areas: a Zuständigkeitsgebiet of a Familienbüro and a Schuleinzugsbereich (GeoJSON)."""
    ids, names, xy = _examples(dataset)
    half = EXAMPLE_SQUARE_M / 2
    squares = tuple(shapely.box(x - half, y - half, x + half, y + half) for x, y in xy)
    first = {t: _example_offers(dataset, [t]) for t in ("familienbuero", "grundschule")}
    offer_ids = (first["familienbuero"][0][0] if first["familienbuero"] else "FB-01",
                 first["grundschule"][0][0] if first["grundschule"] else "100012")
    h = CATCHMENT_HEADERS
    columns = (
        TemplateColumn(h[settings.CATCHMENT_ID], True, "Eindeutige Kennung des Gebiets; über sie werden spätere "
                       "Dateien abgeglichen.", ("ZG-1", "SEB-1")),
        TemplateColumn(h[settings.OFFER_NAME], False, "Name des Gebiets (leer: der Name des Standorts).",
                       (f"Zuständigkeitsgebiet {names[0]}", f"Schuleinzugsbereich {names[1]}")),
        TemplateColumn(h[settings.OFFER_TYPE], True, "Angebotsart, zu der das Gebiet gehört: z. B. Familienbüro "
                       "(Zuständigkeitsgebiet) oder Grundschule (Schuleinzugsbereich).",
                       ("Familienbüro", "Grundschule")),
        TemplateColumn(h[settings.OFFER_ID], False, "Kennung des Standorts, dem das Gebiet gehört (bei Grundschulen "
                       "die Schulnummer); leer, wenn das Gebiet für die ganze Angebotsart gilt.", offer_ids),
    )
    return Template("catchments", "Vorlage Einzugsgebiete", "vorlage_einzugsgebiete", columns, notes=(
        "Einzugsgebiete sind Flächen: exportieren Sie sie aus Ihrem GIS als GeoPackage, GeoJSON oder Shapefile (als "
        "ZIP). Die Vorlage enthält zwei Beispielquadrate in Ihren ersten beiden Sozialräumen.",
        "Beim Hochladen ersetzt die Datei die Gebiete der enthaltenen Angebotsarten; Gebiete anderer Arten bleiben.",
    ), geometries=squares)


def clinic_births_template(dataset: Dataset, *, year: int | None = None) -> Template:
    """Template of births per clinic and Sozialraum: Sozialraum-Nr., Klinik, Geburten, Jahr."""
    ids, _, _ = _examples(dataset)
    if year is None:
        year = max(dataset.years) if len(dataset.indicators) else date.today().year - 1
    clinics = _example_offers(dataset, clinic_types(dataset.offer_types))
    clinic = clinics[0][0] if clinics else "GK-01"
    h = CLINIC_BIRTHS_HEADERS
    columns = (
        TemplateColumn(h[settings.DISTRICT_ID], True, "Sozialraum-Nr., in dem die Mütter wohnen (wie in den "
                       "Sozialraumgrenzen).", _pair(ids)),
        TemplateColumn(h[CLINIC_ID], True, "Kennung der Klinik (wie in den Angeboten, Angebotsart Lotsendienst oder "
                       "Geburtsklinik) oder ihr Name.", (clinic, clinic)),
        TemplateColumn(h[settings.BIRTHS], True, "Zahl der Geburten (Dezimalkomma erlaubt, z. B. ein Mittel über "
                       "mehrere Jahre).", ("48", "31")),
        TemplateColumn(h[settings.YEAR], False, "Jahr der Geburten (vierstellig); ohne diese Spalte ersetzt die Datei "
                       "alle bisherigen Geburtenzahlen.", (str(year), str(year))),
    )
    return Template("clinic_births", "Vorlage Geburten je Klinik und Sozialraum", "vorlage_geburten_je_klinik",
                    columns, notes=(
                        "Eine Zeile je Sozialraum und Klinik (und Jahr). Die Kliniken müssen als Angebote hochgeladen "
                        "sein.",
                        "Amtliche Zeichen für fehlende Werte („–“, „.“, „x“) sind erlaubt; diese Zeilen werden nicht "
                        "berücksichtigt.",
                    ))


def candidates_template(dataset: Dataset) -> Template:
    """Template of a candidate list for site suggestions: Nr, Name, Adresse, Rechtswert/Hochwert, Schulnummer.

    The first example stands at a point of the first district; the second names the first stored Grundschule by
    its Schulnummer (without coordinates) where the city has one, else it has coordinates too.
    """
    _, names, xy = _examples(dataset)
    school = _example_offers(dataset, [SCHOOL_TYPE])
    h = {role: _header(text, CANDIDATE_ALIASES[role]) for role, text in (
        ("candidate_id", "Nr"), (settings.OFFER_NAME, "Name"), (settings.OFFER_ADDRESS, "Adresse"), (SCHOOL,
                                                                                                     "Schulnummer"))}
    x, y = _coordinate_columns(xy)
    second = ("", "") if school else (x.examples[1], y.examples[1])
    columns = (
        TemplateColumn(h["candidate_id"], False, "Kennung des Kandidaten (frei wählbar); ohne sie werden die "
                       "Kandidaten nach ihrer Zeile benannt (Z2, Z3, …).", ("K-1", "K-2")),
        TemplateColumn(h[settings.OFFER_NAME], False, "Name des Ortes, z. B. ein öffentliches Gebäude (leer: der Name "
                       "der Schule).", (f"Bürgerhaus {names[0]}", school[0][1] if school else f"Schule {names[1]}")),
        TemplateColumn(h[settings.OFFER_ADDRESS], False, "Anschrift (nur zur Information).", ("Marktplatz 1", "")),
        TemplateColumn(x.header, False, x.explanation + " Leer, wenn die Zeile eine Schulnummer nennt.",
                       (x.examples[0], second[0])),
        TemplateColumn(y.header, False, y.explanation, (y.examples[0], second[1])),
        TemplateColumn(h[SCHOOL], False, "Schulnummer einer gespeicherten Grundschule: der Kandidat steht an der "
                       "Schule (ohne Koordinaten) und bekommt ihren Schulsozialindex.", ("", school[0][0] if school
                                                                                     else "")),
    )
    return Template("candidates", "Vorlage Kandidatenstandorte", "vorlage_kandidaten", columns, notes=(
        "Eine Zeile je möglichem Standort für ein neues Angebot. Jede Zeile braucht Koordinaten oder eine "
        "Schulnummer.",
        "Die Liste wird nicht gespeichert: sie gilt für einen Standortvorschlag (Seite „Standorte“ oder python -m "
        "geo suggest --candidates DATEI).",
    ))


_BUILDERS = {"offers": offers_template, "indicators": indicators_template, "residents": residents_template,
             "districts": districts_template, "catchments": catchments_template,
             "clinic_births": clinic_births_template, "sozialindex": sozialindex_template,
             "candidates": candidates_template}


def upload_template(kind: str, dataset: Dataset) -> Template:
    """The template of upload ``kind`` (one of :data:`TEMPLATE_KINDS`) with example rows of ``dataset``'s city."""
    if kind not in _BUILDERS:
        raise ValueError(f"kind must be one of {TEMPLATE_KINDS}, not {kind!r}")
    return _BUILDERS[kind](dataset)


def template_bytes(template: Template, fmt: str) -> bytes:
    """The template file in format ``fmt`` (one of :attr:`Template.formats`)."""
    if fmt not in template.formats:
        raise ValueError(f"{template.kind} templates come as {template.formats}, not {fmt!r}")
    return {"csv": template_csv, "xlsx": template_xlsx, "geojson": template_geojson}[fmt](template)


def template_csv(template: Template) -> bytes:
    """CSV as a German Excel writes it: ``;``, decimal comma (the cells are German text), UTF-8 with BOM, CRLF."""
    text = template.frame().to_csv(sep=";", index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def template_xlsx(template: Template) -> bytes:
    """XLSX: the example rows on sheet "Daten", the columns and notes on :data:`geo.io.EXPLANATION_SHEET`.

    Every cell is stored as text (a value starting with ``=``, ``+``, ``-`` or ``@`` stays text, never a formula),
    the header row is bold and frozen.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    data = wb.active
    data.title = "Daten"
    _text_rows(data, [list(template.frame().columns), *template.frame().itertuples(index=False)])
    data.freeze_panes = "A2"
    notes = wb.create_sheet(EXPLANATION_SHEET)
    explanation = template.explanation()
    _text_rows(notes, [[template.title], *([n] for n in template.notes), [],
                       list(explanation.columns), *explanation.itertuples(index=False)])
    header_row = len(template.notes) + 3
    for row in (1, header_row):
        for cell in notes[row]:
            cell.font = Font(bold=True)
    for cell in data[1]:
        cell.font = Font(bold=True)
    for ws, widths in ((data, [max(14, len(c.header) + 2) for c in template.columns]), (notes, [28, 8, 90, 24])):
        for j, width in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + j)].width = width
    for row in notes.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _text_rows(ws, rows: Iterable[Iterable[object]]) -> None:
    """Append ``rows`` with every non-empty cell stored as text (openpyxl would read ``"=1+1"`` as a formula)."""
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row, start=1):
            if value is None or value == "":
                continue
            cell = ws.cell(row=i, column=j)
            cell.value = str(value)
            cell.data_type = "s"


def template_geojson(template: Template) -> bytes:
    """GeoJSON (RFC 7946: WGS84 longitude/latitude) of the example rows with their geometries."""
    layer = gpd.GeoDataFrame(template.frame(), geometry=list(template.geometries), crs=settings.METRIC_CRS)
    return json.dumps(json.loads(layer.to_crs("EPSG:4326").to_json(drop_id=True)), ensure_ascii=False,
                      indent=1).encode("utf-8")


#: MIME type of each template format.
MIME_TYPES: Final[dict[str, str]] = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}
#: German button text of each template format.
FORMAT_LABELS: Final[dict[str, str]] = {
    "csv": "CSV (Excel, Semikolon)", "xlsx": "Excel-Arbeitsmappe (XLSX)", "geojson": "GeoJSON (zwei Beispielflächen)",
}


def file_name(template: Template, fmt: str) -> str:
    """Download name, e.g. ``vorlage_angebote.csv``."""
    return f"{template.stem}.{fmt}"
