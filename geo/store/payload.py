"""What the workspace stores per version: (Geo)DataFrame ⇄ GeoParquet/Parquet bytes, checksum, version record."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import geopandas as gpd
import pandas as pd

from geo import settings
from geo._errors import DataError

#: Layer code name → German label; also the order of every listing.
LAYER_LABELS: Final[dict[str, str]] = {
    "districts": "Sozialräume",
    "offers": "Angebote",
    "residents": "Wohnorte",
    "indicators": "Indikatoren",
    "definitions": "Indikator-Definitionen",
    "offer_types": "Angebotsarten",
    "phases": "Lebensphasen",
    "sozialindex": "Schulsozialindex",
    "catchments": "Einzugsgebiete",
    "clinic_births": "Geburten je Klinik",
    "scenarios": "Szenarien",
}
LAYERS: Final[tuple[str, ...]] = tuple(LAYER_LABELS)
#: Layers stored as GeoDataFrames; the others are plain tables.
GEO_LAYERS: Final[frozenset[str]] = frozenset({"districts", "offers", "residents", "catchments"})
#: Payload format recorded per version: GeoParquet for the geo layers, Parquet otherwise.
FORMATS: Final[dict[bool, str]] = {True: "geoparquet", False: "parquet"}


#: Time zone of the times shown to planners.
DISPLAY_TZ_NAME: Final[str] = "Europe/Berlin"


def _display_tz() -> ZoneInfo:
    try:
        return ZoneInfo(DISPLAY_TZ_NAME)
    except ZoneInfoNotFoundError:  # no tz database on the machine: show UTC rather than fail
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class VersionInfo:
    """One stored version of a layer.

    Attributes
    ----------
    layer
        Layer code name, one of :data:`LAYERS`.
    version
        1, 2, 3 … per layer, in the order the versions were stored.
    created_at
        When the version was stored (timezone-aware, UTC).
    filename
        Name of the uploaded file.
    rows
        Number of rows (features).
    sha256
        SHA-256 of the stored payload; checked on every load.
    size
        Size of the stored payload in bytes.
    comment
        Free text given when storing.
    """

    layer: str
    version: int
    created_at: datetime
    filename: str
    rows: int
    sha256: str
    size: int
    comment: str = ""

    @property
    def created_local(self) -> str:
        """Storage time as planners read it, e.g. ``"21.11.2026 10:14"`` (Europe/Berlin)."""
        return self.created_at.astimezone(_display_tz()).strftime("%d.%m.%Y %H:%M")

    @property
    def label(self) -> str:
        """Human-readable label, e.g. ``"Angebote v3 (angebote_2025.csv, 21.11.2026 10:14)"``."""
        return f"{LAYER_LABELS[self.layer]} v{self.version} ({self.filename}, {self.created_local})"

    @classmethod
    def _from_row(cls, row: tuple) -> VersionInfo:
        layer, version, created_at, filename, n_rows, sha256, n_bytes, comment = row
        return cls(
            layer=layer,
            version=int(version),
            created_at=datetime.fromisoformat(created_at),
            filename=filename,
            rows=int(n_rows),
            sha256=sha256,
            size=int(n_bytes),
            comment=comment,
        )


def check_layer(layer: str) -> None:
    """Refuse a layer code name that is not one of :data:`LAYERS` (a programming error, not the user's)."""
    if layer not in LAYER_LABELS:
        raise ValueError(f"Unknown layer {layer!r}; expected one of {', '.join(LAYERS)}.")


def _normalize(frame: pd.DataFrame) -> pd.DataFrame:
    """Store text columns of the legacy ``object`` dtype as pandas' ``str`` dtype (the pandas 3 default).

    Parquet would do this conversion anyway on reading; doing it here makes the stored frame, its
    checksum and the frame read back agree.
    """
    names = list(frame.columns)
    bad = [str(c) for c in names if not isinstance(c, str)]
    if bad:
        raise DataError(f"Spaltennamen müssen Text sein: {', '.join(bad)}.")
    doubled = sorted({c for c in names if names.count(c) > 1})
    if doubled:
        raise DataError(f"Spaltennamen kommen doppelt vor: {', '.join(doubled)}.")
    out = frame
    for col in names:
        series = frame[col]
        if series.dtype == object and all(isinstance(v, str) for v in series.dropna()):
            if out is frame:
                out = frame.copy()
            out[col] = series.astype("str")
    return out


def serialize(layer: str, frame: pd.DataFrame) -> bytes:
    """Serialize a layer to the bytes the workspace stores (GeoParquet or Parquet).

    Geometry is written as WKB (exact coordinates, Z kept), the CRS as PROJJSON and the pandas
    dtypes and index in the Parquet pandas metadata, so :func:`deserialize` returns an identical frame.
    The output is deterministic for the same frame and library versions.

    Parameters
    ----------
    layer
        One of :data:`LAYERS`; ``districts``, ``offers`` and ``residents`` need a GeoDataFrame with
        an active geometry column, ``indicators`` and ``definitions`` (the indicator definitions with
        ``key`` as a column, :func:`geo.catalog.definitions_table`) a plain DataFrame.
    frame
        The layer; it is not modified.

    Returns
    -------
    bytes
        The payload.
    """
    check_layer(layer)
    geo = layer in GEO_LAYERS
    if geo:
        if not isinstance(frame, gpd.GeoDataFrame) or frame._geometry_column_name not in frame.columns:
            raise TypeError(f"Layer {layer!r} must be a GeoDataFrame with an active geometry column.")
    elif not isinstance(frame, pd.DataFrame) or isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(f"Layer {layer!r} must be a plain pandas DataFrame.")
    frame = _normalize(frame)
    buffer = io.BytesIO()
    try:
        if geo:
            frame.to_parquet(buffer, index=None, compression="zstd", geometry_encoding="WKB")
        else:
            frame.to_parquet(buffer, index=None, compression="zstd", engine="pyarrow")
    except (TypeError, ValueError) as err:  # pyarrow's ArrowTypeError/ArrowInvalid subclass these
        mixed = [c for c in frame.columns if frame[c].dtype == object]
        hint = f" Betroffen sind vermutlich: {', '.join(mixed)}." if mixed else ""
        raise DataError(
            f"Die Ebene „{LAYER_LABELS[layer]}“ lässt sich nicht speichern: eine Spalte enthält gemischte "
            f"Werte (z. B. Text und Zahlen).{hint} ({err})"
        ) from err
    return buffer.getvalue()


def deserialize(layer: str, payload: bytes) -> pd.DataFrame:
    """Read a payload written by :func:`serialize` back into an identical (Geo)DataFrame."""
    check_layer(layer)
    if layer in GEO_LAYERS:
        return gpd.read_parquet(io.BytesIO(payload))
    return pd.read_parquet(io.BytesIO(payload), engine="pyarrow")


def checksum(payload: bytes) -> str:
    """SHA-256 of a payload as hex text: stored with every version and checked on every load."""
    return hashlib.sha256(payload).hexdigest()


def verified(payload: bytes, *, size: int, sha256: str, label: str) -> bytes:
    """``payload`` if its size and checksum are the stored ones, else a :class:`DataError` naming ``label``."""
    if len(payload) != size or checksum(payload) != sha256:
        raise DataError(
            f"{label} ist beschädigt (Prüfsumme stimmt nicht). Bitte eine andere Version "
            "wiederherstellen oder die Datei erneut hochladen."
        )
    return payload


def split(payload: bytes, part_bytes: int) -> Iterator[bytes]:
    """The payload in parts of at most ``part_bytes`` (one empty part for an empty payload): SQLite BLOB rows."""
    view = memoryview(payload)
    for start in range(0, max(len(payload), 1), part_bytes):
        yield bytes(view[start:start + part_bytes])


#: Columns of the layers a new workspace has no data for yet.
DISTRICT_COLUMNS: Final[tuple[str, ...]] = (
    settings.DISTRICT_ID, settings.DISTRICT_NAME, settings.AREA_ID, settings.AREA_NAME,
)
OFFER_COLUMNS: Final[tuple[str, ...]] = (
    settings.OFFER_ID, settings.OFFER_TYPE, settings.OFFER_NAME, settings.OFFER_ADDRESS, settings.OFFER_CAPACITY,
)


def empty_geo(columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    """A point or polygon layer without rows, in the metric CRS."""
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=settings.METRIC_CRS), crs=settings.METRIC_CRS)


def empty_indicators() -> pd.DataFrame:
    """An indicator table without rows (no district, no year)."""
    return pd.DataFrame({
        settings.DISTRICT_ID: pd.Series(dtype="str"), settings.YEAR: pd.Series(dtype="int64"),
        settings.INHABITANTS: pd.Series(dtype="int64"), settings.CHILDREN: pd.Series(dtype="int64"),
    })
