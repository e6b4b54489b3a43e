"""Uploaded boundary layers (GeoJSON, GeoPackage, zipped Shapefile) → GeoDataFrames, read with OGR."""

from __future__ import annotations

import tempfile
import warnings
import zipfile
from pathlib import Path, PurePosixPath
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors

from geo import crs as crs_mod
from geo import settings
from geo._errors import DataError
from geo.io.archives import _extract_member, _open_zip
from geo.io.geojson import prepare_geojson
from geo.io.text import _MOJIBAKE, _magic

BOUNDARY_SUFFIXES: Final[tuple[str, ...]] = (".geojson", ".json", ".gpkg", ".zip")


def read_boundaries(
    data: bytes, filename: str, *, crs: str | None = None, layer: str | None = None
) -> gpd.GeoDataFrame:
    """Read an uploaded boundary layer: GeoJSON, GeoPackage, or a zipped Shapefile.

    A ZIP archive is checked before anything is unpacked (see :func:`_open_zip`); only the Shapefile's
    own parts are written to a temporary directory. Attribute encodings follow the ``.cpg`` file, else
    Latin-1 (the DBF default), with a switch to UTF-8 when Latin-1 yields garbled umlauts. A GeoJSON may be
    UTF-8 (with or without BOM) or Windows-1252 (noted in the report) and may name its CRS in ``crs``
    members of GeoJSON 2008 on the collection, the features or the geometries (:func:`prepare_geojson`).

    Parameters
    ----------
    data
        The file's bytes.
    filename
        The uploaded name; ``.geojson``/``.json``, ``.gpkg`` or ``.zip``.
    crs
        The layer's CRS when the file names none or the wrong one (``"EPSG:25832"``, ``"25832"``, WKT).
        It overrides what the file says.
    layer
        Layer (GeoPackage) or Shapefile name (ZIP with several) to read; default: the first polygon layer.

    Returns
    -------
    geopandas.GeoDataFrame
        Attributes and geometry as stored, CRS as the file says (or ``crs``; ``None`` if neither);
        ``attrs`` hold ``notes``, ``layer`` and ``encoding``.

    Raises
    ------
    DataError
        For unsupported types, broken or unsafe archives, a Shapefile without ``.prj`` and no ``crs``,
        files without features or geometry, contradicting or unreadable GeoJSON ``crs`` members (without
        ``crs``), and coordinates that contradict a geographic CRS.
    """
    name = Path(filename).name
    suffix = Path(filename).suffix.lower()
    override = crs_mod.parse_crs(crs) if crs is not None else None
    if suffix in (".shp", ".shx", ".dbf", ".prj"):
        raise DataError(
            "Eine Shapefile besteht aus mehreren Dateien (.shp, .shx, .dbf, .prj, oft .cpg). Bitte packen Sie "
            "alle zusammen in eine ZIP-Datei und laden Sie diese hoch."
        )
    if suffix not in BOUNDARY_SUFFIXES:
        raise DataError(
            f"Der Dateityp „{suffix or name}“ wird für Gebietsgrenzen nicht unterstützt. Erlaubt sind GeoJSON "
            "(.geojson), GeoPackage (.gpkg) und Shapefile als ZIP-Datei (.zip)."
        )
    if not data.strip():
        raise DataError(f"Die Datei „{name}“ ist leer.")
    if suffix == ".zip":
        gdf = _read_zip(data, name, override, layer)
    elif suffix == ".gpkg":
        if not data.startswith(b"SQLite format 3\x00"):
            raise DataError(f"„{name}“ ist kein GeoPackage (keine SQLite-Datenbank). Ist die Datei beschädigt?")
        gdf = _read_single(data, name, ".gpkg", "GeoPackage", layer)
    else:
        if _magic(data) is not None or b"\x00" in data[:4096]:
            raise DataError(f"„{name}“ ist keine GeoJSON-Datei (kein Text).")
        gdf = _read_geojson(data, name, override, layer)
    if override is not None:
        gdf = gdf.set_crs(override, allow_override=True)
    else:
        crs_mod.check_geographic_bounds(gdf, name=f"„{name}“")
    return gdf


def _read_geojson(data: bytes, name: str, override, layer: str | None) -> gpd.GeoDataFrame:
    """A GeoJSON in UTF-8 or Windows-1252, in the CRS its ``crs`` members name (see :func:`prepare_geojson`)."""
    source = prepare_geojson(data, name, override=override)
    gdf = _read_single(source.data, name, ".geojson", "GeoJSON", layer)
    if source.crs is not None:
        gdf = gdf.set_crs(source.crs, allow_override=True)
    gdf.attrs["encoding"] = source.encoding
    gdf.attrs["notes"] = [*source.notes, *gdf.attrs["notes"]]
    return gdf


def _read_single(data: bytes, name: str, suffix: str, label: str, layer: str | None) -> gpd.GeoDataFrame:
    with tempfile.TemporaryDirectory(prefix="praeventionsatlas-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        return _read_ogr(path, name, label, layer)


def _read_zip(data: bytes, name: str, override, layer: str | None) -> gpd.GeoDataFrame:
    with _open_zip(data, name) as archive:
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir()
            and not info.filename.startswith("__MACOSX/")
            and not PurePosixPath(info.filename).name.startswith("._")
        ]
        by_suffix: dict[str, list[zipfile.ZipInfo]] = {}
        for info in members:
            by_suffix.setdefault(PurePosixPath(info.filename).suffix.lower(), []).append(info)
        shapefiles = by_suffix.get(".shp", [])
        budget = [settings.MAX_UNPACKED_BYTES]
        if not shapefiles:
            return _read_zipped_layer(archive, members, by_suffix, name, override, layer, budget)
        stem = _choose_shapefile(shapefiles, name, layer)
        parts = _shapefile_parts(members, stem, name, override)
        with tempfile.TemporaryDirectory(prefix="praeventionsatlas-") as tmp:
            for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                if suffix in parts:
                    _extract_member(archive, parts[suffix], name, budget, Path(tmp) / f"upload{suffix}")
            path = Path(tmp) / "upload.shp"
            gdf = _read_ogr(path, name, "Shapefile", None)
            if ".cpg" not in parts and _garbled(gdf):
                gdf = _read_ogr(path, name, "Shapefile", None, encoding="UTF-8")
                gdf.attrs["encoding"] = "UTF-8"
                gdf.attrs["notes"].append(
                    "Die Shapefile nennt keine Zeichenkodierung (.cpg fehlt); die Texte wurden als UTF-8 gelesen."
                )
        gdf.attrs["layer"] = PurePosixPath(stem).name
        return gdf


def _read_zipped_layer(
    archive: zipfile.ZipFile,
    members: list[zipfile.ZipInfo],
    by_suffix: dict[str, list[zipfile.ZipInfo]],
    name: str,
    override,
    layer: str | None,
    budget: list[int],
) -> gpd.GeoDataFrame:
    """An archive without a Shapefile: read its one GeoPackage or GeoJSON, else refuse it."""
    inner = by_suffix.get(".gpkg", []) + by_suffix.get(".geojson", [])
    if len(inner) == 1:
        suffix = PurePosixPath(inner[0].filename).suffix.lower()
        label = "GeoPackage" if suffix == ".gpkg" else "GeoJSON"
        with tempfile.TemporaryDirectory(prefix="praeventionsatlas-") as tmp:
            path = Path(tmp) / f"upload{suffix}"
            _extract_member(archive, inner[0], name, budget, path)
            if label == "GeoJSON":
                return _read_geojson(path.read_bytes(), name, override, layer)
            return _read_ogr(path, name, label, layer)
    found = ", ".join(i.filename for i in members[:10]) or "nichts"
    raise DataError(
        f"Die ZIP-Datei „{name}“ enthält keine Shapefile (.shp). Gefunden: {found}. "
        "Bitte packen Sie .shp, .shx, .dbf und .prj derselben Ebene ein."
    )


def _choose_shapefile(shapefiles: list[zipfile.ZipInfo], name: str, layer: str | None) -> str:
    """The archive path (without suffix) of the Shapefile to read: the only one, or the one named ``layer``."""
    stems = {str(PurePosixPath(i.filename).with_suffix("")): i for i in shapefiles}
    if len(stems) == 1:
        return next(iter(stems))
    chosen = [s for s in stems if PurePosixPath(s).name == layer] if layer else []
    if len(chosen) != 1:
        listed = ", ".join(f"„{PurePosixPath(s).name}“" for s in stems)
        raise DataError(
            f"Die ZIP-Datei „{name}“ enthält mehrere Shapefiles ({listed}). Bitte laden Sie nur eine "
            "hoch oder wählen Sie die Ebene aus."
        )
    return chosen[0]


def _shapefile_parts(
    members: list[zipfile.ZipInfo], stem: str, name: str, override
) -> dict[str, zipfile.ZipInfo]:
    """Suffix → entry of the Shapefile's own parts; refuses one without .shx or .dbf, or without .prj and CRS."""
    parts: dict[str, zipfile.ZipInfo] = {}
    for info in members:
        path = PurePosixPath(info.filename)
        if str(path.with_suffix("")).casefold() == stem.casefold():
            parts[path.suffix.lower()] = info
    shown = PurePosixPath(stem).name
    for needed in (".shx", ".dbf"):
        if needed not in parts:
            raise DataError(
                f"Zur Shapefile „{shown}.shp“ fehlt die Datei „{shown}{needed}“ in der ZIP-Datei. Eine "
                "Shapefile besteht aus .shp, .shx, .dbf und .prj; bitte packen Sie alle zusammen."
            )
    if ".prj" not in parts and override is None:
        raise DataError(
            f"Zur Shapefile „{shown}.shp“ fehlt die .prj-Datei mit dem Koordinatensystem. Bitte packen Sie "
            f"die Datei „{shown}.prj“ mit in die ZIP-Datei oder geben Sie das Koordinatensystem an "
            f"(z. B. {settings.METRIC_CRS})."
        )
    return parts


def _garbled(gdf: gpd.GeoDataFrame) -> bool:
    """True when text columns show UTF-8 read as Latin-1 ("Ã¼")."""
    for column in gdf.columns:
        if column != gdf.geometry.name and pd.api.types.is_string_dtype(gdf[column].dtype):
            if gdf[column].astype("str").str.contains(_MOJIBAKE.pattern, regex=True).any():
                return True
    return False


_OGR_ERRORS = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.FeatureError,
    pyogrio.errors.CRSError,
    RuntimeError,
    ValueError,
    OSError,
)


def _read_ogr(
    path: Path, name: str, label: str, layer: str | None, *, encoding: str | None = None
) -> gpd.GeoDataFrame:
    """Read one vector layer with pyogrio, turning GDAL's failures into a German :class:`DataError`."""
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        # GDAL reports oddities of a file as RuntimeWarnings; they describe the upload, not our code.
        warnings.simplefilter("always")
        try:
            layers = pyogrio.list_layers(path)
            chosen = _choose_layer(layers, name, layer, notes)
            frame = pyogrio.read_dataframe(
                path, layer=chosen, encoding=encoding, force_2d=True, on_invalid="ignore", use_arrow=False
            )
        except DataError:
            raise
        except _OGR_ERRORS as err:
            raise DataError(
                f"„{name}“ lässt sich nicht als {label} lesen: die Datei ist beschädigt oder hat ein anderes "
                "Format."
            ) from err
    if caught:
        notes.append(f"Beim Lesen von „{name}“ meldete GDAL: " + "; ".join(str(w.message)[:200] for w in caught[:3]))
    if not isinstance(frame, gpd.GeoDataFrame):
        raise DataError(f"„{name}“ enthält keine Geometrien (nur eine Tabelle). Es werden Flächen gebraucht.")
    if frame.empty:
        raise DataError(f"„{name}“ enthält keine Objekte (die Ebene ist leer).")
    frame.attrs.update({"notes": notes, "layer": chosen, "encoding": encoding or "laut Datei"})
    return frame


def _choose_layer(layers: np.ndarray, name: str, layer: str | None, notes: list[str]) -> str | None:
    names = [str(n) for n, _ in layers]
    if layer is not None:
        if layer not in names:
            raise DataError(
                f"Die Ebene „{layer}“ gibt es in „{name}“ nicht. Vorhandene Ebenen: "
                + ", ".join(f"„{n}“" for n in names)
                + "."
            )
        return layer
    if len(names) <= 1:
        return names[0] if names else None
    polygonal = [str(n) for n, kind in layers if kind and "Polygon" in str(kind)]
    chosen = polygonal[0] if polygonal else names[0]
    notes.append(
        f"„{name}“ enthält mehrere Ebenen ({', '.join(names)}); gelesen wurde „{chosen}“. "
        "Wählen Sie bei Bedarf eine andere Ebene."
    )
    return chosen
