"""Typed, documented constants: CRS, column names, thresholds, paths. Tests override paths via arguments."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

#: Metric CRS every analysis runs in: ETRS89 / UTM zone 32N, the NRW standard.
METRIC_CRS: Final[str] = os.environ.get("PRAEVENTIONSATLAS_CRS", "EPSG:25832")
#: CRS of the web map (Leaflet wants WGS84 longitude/latitude).
MAP_CRS: Final[str] = "EPSG:4326"

#: Districts with fewer inhabitants get no status class ("nicht klassifiziert"), as in Berlin's MSS.
MIN_INHABITANTS_FOR_CLASS: Final[int] = 300
#: Counts below this are shown as "< 3" in every export (data protection).
MIN_COUNT_SHOWN: Final[int] = 3
#: A district in need is a gap for an offer type when less than this share of its children is within reach.
GAP_MAX_SHARE_IN_REACH: Final[float] = 0.5
#: Cell size of the fallback grid that spreads children evenly when no residents layer is given.
FALLBACK_GRID_M: Final[float] = 100.0

# Column names of the canonical layers (the readers map user columns onto these).
DISTRICT_ID: Final[str] = "district_id"
DISTRICT_NAME: Final[str] = "district_name"
AREA_ID: Final[str] = "area_id"  # Stadtbezirk
AREA_NAME: Final[str] = "area_name"
YEAR: Final[str] = "year"
INHABITANTS: Final[str] = "inhabitants"
CHILDREN: Final[str] = "children"
OFFER_ID: Final[str] = "offer_id"
OFFER_TYPE: Final[str] = "offer_type"
OFFER_NAME: Final[str] = "name"
OFFER_ADDRESS: Final[str] = "address"
OFFER_CAPACITY: Final[str] = "capacity"

REPO_DIR: Final[Path] = Path(__file__).resolve().parent.parent
DATA_DIR: Final[Path] = REPO_DIR / "data"
DEMO_DIR: Final[Path] = DATA_DIR / "demo"
OFFER_TYPES_FILE: Final[Path] = DATA_DIR / "angebotsarten.csv"
INDICATORS_FILE: Final[Path] = DATA_DIR / "indikatoren.csv"

#: Where uploaded data is stored (outside the repository); override with PRAEVENTIONSATLAS_DATA.
WORKSPACE_DIR: Final[Path] = Path(
    os.environ.get("PRAEVENTIONSATLAS_DATA", Path.home() / ".local" / "share" / "praeventionsatlas")
)
#: Optional background of the print maps: XYZ raster tiles in Web Mercator ({z}/{x}/{y}), fetched only when an
#: export asks for them; override with PRAEVENTIONSATLAS_TILE_URL (then also set the attribution).
TILE_URL: Final[str] = os.environ.get("PRAEVENTIONSATLAS_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
#: Attribution the tile source requires, printed in the map's source line.
TILE_ATTRIBUTION: Final[str] = os.environ.get(
    "PRAEVENTIONSATLAS_TILE_ATTRIBUTION", "© OpenStreetMap-Mitwirkende (ODbL)"
)
#: Disk cache of fetched tiles (a second export of the same area needs no network); PRAEVENTIONSATLAS_TILE_CACHE.
TILE_CACHE_DIR: Final[Path] = Path(os.environ.get("PRAEVENTIONSATLAS_TILE_CACHE", WORKSPACE_DIR / "kachel-cache"))
#: Seconds one tile request may take, and all tile requests of one map together.
TILE_TIMEOUT_S: Final[float] = 3.0
TILE_BUDGET_S: Final[float] = 20.0
#: Most tiles one map may load (the zoom is lowered until the area fits); keeps within the OSM usage policy.
TILE_MAX_COUNT: Final[int] = 64
#: Upload size limit in bytes (default 50 MB); override with PRAEVENTIONSATLAS_MAX_UPLOAD_MB.
MAX_UPLOAD_BYTES: Final[int] = int(float(os.environ.get("PRAEVENTIONSATLAS_MAX_UPLOAD_MB", "50")) * 1024 * 1024)

SYNTHETIC_STAMP: Final[str] = "synthetische Beispieldaten"
