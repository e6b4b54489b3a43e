"""GeoJSON as cities write it: the text encoding (UTF-8 or Windows-1252) and the ``crs`` members of GeoJSON 2008."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pyproj import CRS

from geo import crs as crs_mod
from geo._errors import DataError
from geo.io.text import _decode_legacy

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class GeoJsonSource:
    """A GeoJSON upload made ready for OGR.

    Attributes
    ----------
    data
        The file as UTF-8 without byte-order mark (what OGR expects).
    encoding
        German label of the encoding the file was written in (``"UTF-8"``, ``"Windows-1252"``, …).
    crs
        ``override`` if given, else the CRS the file's ``crs`` members name (all agree), else ``None``.
    notes
        Remarks for the report (encoding detected, ``crs`` members ignored for the user's CRS).
    """

    data: bytes
    encoding: str
    crs: CRS | None = None
    notes: list[str] = field(default_factory=list)


def prepare_geojson(data: bytes, name: str, *, override: CRS | None = None) -> GeoJsonSource:
    """Decode a GeoJSON upload and read the CRS its ``crs`` members name, at any level.

    RFC 7946 has no ``crs`` member, but GIS exports still write the GeoJSON 2008 form, on the collection,
    on each feature or on each geometry: ``{"type": "name", "properties": {"name":
    "urn:ogc:def:crs:EPSG::25832"}}`` (also ``"EPSG:25832"``) or ``{"type": "EPSG", "properties": {"code":
    25832}}``. OGR only honours the one on the collection.

    Parameters
    ----------
    data
        The uploaded bytes (UTF-8 with or without BOM, else Windows-1252/Latin-1).
    name
        The uploaded file name, for messages.
    override
        The CRS the planner gave; it wins over the file's members (a different one is noted).

    Returns
    -------
    GeoJsonSource

    Raises
    ------
    DataError
        If ``crs`` members contradict each other or name no known CRS (and no ``override`` is given).
    """
    bom = data.startswith(_BOM)
    body = data[len(_BOM):] if bom else data
    notes: list[str] = []
    try:
        text = body.decode("utf-8")
        encoding = "UTF-8 mit BOM" if bom else "UTF-8"
    except UnicodeDecodeError:
        text, encoding, legacy_notes = _decode_legacy(body)
        body = text.encode("utf-8")
        notes.append(f"Zeichenkodierung: {encoding} erkannt (nicht UTF-8). Bitte prüfen Sie die Umlaute in "
                     "den Namen.")
        notes.extend(legacy_notes)
    members = _crs_members(text) if '"crs"' in text else []
    if override is None:
        return GeoJsonSource(body, encoding, _resolve(members, name), notes)
    try:
        named = _resolve(members, name)
    except DataError:
        named = None
    if members and (named is None or not named.equals(override, ignore_axis_order=True)):
        notes.append(f"„{name}“ nennt ein anderes Koordinatensystem; verwendet wird das angegebene "
                     f"({_label(override)}).")
    return GeoJsonSource(body, encoding, override, notes)


def _crs_members(text: str) -> list[tuple[str, object]]:
    """Every non-null ``crs`` member with where it sits (German), in file order; ``[]`` for text OGR must judge."""
    try:
        doc = json.loads(text)
    except ValueError:
        return []  # not JSON: OGR says the file is damaged
    if not isinstance(doc, dict):
        return []
    found: list[tuple[str, object]] = []
    _take(doc, "in der Datei", found)
    features = doc.get("features") if doc.get("type") == "FeatureCollection" else [doc]
    for number, feature in enumerate(features if isinstance(features, list) else [], start=1):
        if not isinstance(feature, dict):
            continue
        # Objects are counted as the report counts rows: the first object is row 2, as in a table.
        where = f"Objekt {number} (Zeile {number + 1})"
        if feature is not doc:
            _take(feature, f"bei {where}", found)
        _geometry_members(feature.get("geometry") if feature.get("type") == "Feature" else None,
                          f"in der Geometrie von {where}", found)
    if doc.get("type") not in ("FeatureCollection", "Feature"):
        _geometry_members(doc.get("geometries"), "in der Geometrie", found)
    return found


def _geometry_members(geometry: object, where: str, found: list[tuple[str, object]]) -> None:
    if isinstance(geometry, list):  # the members of a GeometryCollection
        for part in geometry:
            _geometry_members(part, where, found)
    elif isinstance(geometry, dict):
        _take(geometry, where, found)
        _geometry_members(geometry.get("geometries"), where, found)


def _take(obj: dict, where: str, found: list[tuple[str, object]]) -> None:
    if obj.get("crs") is not None:
        found.append((where, obj["crs"]))


def _member_crs(member: object) -> CRS | None:
    """The CRS a ``crs`` member names (``name`` or ``EPSG`` type), or ``None`` for a form that names none."""
    if not isinstance(member, dict) or not isinstance(member.get("properties"), dict):
        return None
    kind, props = str(member.get("type", "")).casefold(), member["properties"]
    value = props.get("name") if kind == "name" else props.get("code") if kind == "epsg" else None
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    try:
        return crs_mod.parse_crs(value)
    except DataError:
        return None


def _resolve(members: list[tuple[str, object]], name: str) -> CRS | None:
    """The one CRS all members name; refuses unreadable or contradicting members."""
    if not members:
        return None
    systems: list[tuple[str, CRS]] = []
    for where, member in members:
        parsed = _member_crs(member)
        if parsed is None:
            shown = json.dumps(member, ensure_ascii=False)[:120]
            raise DataError(
                f"„{name}“ nennt {where} ein Koordinatensystem, das nicht gelesen werden kann ({shown}). Bitte "
                "wählen Sie das Koordinatensystem aus (z. B. EPSG:25832)."
            )
        systems.append((where, parsed))
    first_where, first = systems[0]
    for where, other in systems[1:]:
        if not other.equals(first, ignore_axis_order=True):
            raise DataError(
                f"„{name}“ nennt verschiedene Koordinatensysteme: {_label(first)} {first_where}, aber "
                f"{_label(other)} {where}. Bitte speichern Sie alle Objekte in einem Koordinatensystem oder wählen "
                "Sie es aus."
            )
    return first


def _label(crs: CRS) -> str:
    code = crs.to_epsg()
    return f"EPSG:{code}" if code else crs.name
