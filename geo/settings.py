"""Typed, documented constants: CRS, column names, thresholds, paths, limits.

Names, CRS and the repository's own files are ``Final``. Thresholds, paths and limits are not: tests (and a
deployment) change them at run time, so code reads them as ``settings.NAME`` when it runs, never as a default
bound at definition time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

#: Metric CRS every analysis runs in: ETRS89 / UTM zone 32N, the NRW standard.
METRIC_CRS: Final[str] = os.environ.get("PRAEVENTIONSATLAS_CRS", "EPSG:25832")
#: CRS of the web map (Leaflet wants WGS84 longitude/latitude).
MAP_CRS: Final[str] = "EPSG:4326"
#: The web map keeps outline detail down to the districts' extent divided by this many pixels (the closest zoom
#: worth a detail); a city keeps ``map_data.SIMPLIFY_M``, a Kreis or a state is simplified more coarsely.
WEB_MAP_DETAIL_PX: Final[int] = 16_000

#: Districts with fewer inhabitants get no status class ("nicht klassifiziert"), as in Berlin's MSS.
MIN_INHABITANTS_FOR_CLASS: int = 300
#: The Dynamik index compares a year with the year this many years before (as the MSS: two years), where stored;
#: else with the latest stored year before it.
DYNAMIC_PERIOD_YEARS: int = 2
#: Districts "mit besonderem Aufmerksamkeitsbedarf" (MSS): (status class, dynamik class) pairs, ``None`` = any
#: dynamik. Default: status niedrig or sehr niedrig whatever the dynamik, and status mittel with negative dynamik.
ATTENTION_RULE: tuple[tuple[str, str | None], ...] = (
    ("Status niedrig", None), ("Status sehr niedrig", None), ("Status mittel", "negativ"),
)
#: Counts below this are shown as "< 3" in every export (data protection).
MIN_COUNT_SHOWN: int = 3
#: A district in need is a gap for an offer type when less than this share of its children is within reach.
GAP_MAX_SHARE_IN_REACH: float = 0.5
#: Two data versions show the same Sozialraum when its polygons differ by less than this share of its area
#: (symmetric difference; digitising and reprojection noise); more is a re-cut that a comparison refuses.
BOUNDARY_CHANGE_TOLERANCE: float = 0.01
#: An offer farther than this from every district is an error (a typo or another city's file); nearer but outside,
#: a warning (a clinic in the neighbouring town may be meant).
MAX_DISTANCE_OUTSIDE_M: float = 5_000.0
#: Share of an offer file's points that must lie in one system's range for it to be taken as the file's CRS; the
#: other points are named as rows that do not fit.
MIN_SHARE_FOR_CRS_GUESS: float = 0.5
#: Primary schools with at least this Schulsozialindex and no FGZ are listed ("Grundschulen mit Sozialindex ≥ 6
#: ohne FGZ"); the page may choose another threshold.
SOZIALINDEX_HIGH: int = 6
#: An offer this close to a host facility (an FGZ to a Grundschule, a Lotsendienst to a Geburtsklinik) is taken
#: as run by that facility.
HOST_MATCH_M: float = 150.0
#: Range of an offer type's reach radius in metres: the offer type table (page Angebotsarten) and the sidebar.
RADIUS_MIN_M: Final[float] = 100.0
RADIUS_MAX_M: Final[float] = 20_000.0
#: Site suggestions: a person of the target group counts this many times by the status class of the district
#: they live in (classes not listed count once). Stated with every suggestion.
SITE_NEED_WEIGHTS: dict[str, float] = {"Status sehr niedrig": 3.0, "Status niedrig": 2.0}
#: Seconds the solver of a site suggestion may run; it then returns its best sites and the optimality gap.
SITE_TIME_LIMIT_S: float = 30.0
#: Spacing of the candidate grid laid into districts in need (site suggestions without a candidate list).
SITE_GRID_M: float = 500.0
#: Cell size of the fallback grid that spreads children evenly when no residents layer is given (the finest; see
#: FALLBACK_MAX_POINTS).
FALLBACK_GRID_M: Final[float] = 100.0
#: The fallback grid's cell grows (200, 250, 500, 1000 … m) until Σ (bounding-box area of a district) / cell² is at
#: most this many points: a city stays at 100 m, NRW's 396 municipalities get 200 m, Germany's 10,997 get 1 km.
FALLBACK_MAX_POINTS: Final[int] = 2_000_000

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
#: Births per district (indicator table) or per point (residents layer): the target group of a Lotsendienst.
BIRTHS: Final[str] = "births"
#: Prefix of the age band count columns: ``age_6_10`` = children from 6 to under 10 years (see :func:`age_column`).
AGE_PREFIX: Final[str] = "age_"
#: School layers: the NRW Schulnummer (an offer's ``offer_id`` where the school file was imported) and the
#: NRW Schulsozialindex (1 = low, 9 = highest burden).
SCHOOL_ID: Final[str] = "school_id"
SOZIALINDEX: Final[str] = "sozialindex"
#: Catchment polygons (Zuständigkeitsgebiete, Schuleinzugsbereiche): id and the offer they belong to.
CATCHMENT_ID: Final[str] = "catchment_id"
#: Residents layer: the Zensus grid cell id (``CRS3035RES100mN…E…``) where the file has one, and what kind of
#: places the points stand for (see :data:`geo.analysis.run.RESIDENT_KINDS`).
RESIDENT_ID: Final[str] = "resident_id"
RESIDENT_KIND: Final[str] = "resident_kind"



def age_column(low: int, high: int) -> str:
    """Count column of the children aged ``low`` to under ``high`` years, e.g. ``age_column(6, 10) == "age_6_10"``."""
    return f"{AGE_PREFIX}{int(low)}_{int(high)}"


REPO_DIR: Final[Path] = Path(__file__).resolve().parent.parent
DATA_DIR: Final[Path] = REPO_DIR / "data"
DEMO_DIR: Final[Path] = DATA_DIR / "demo"
OFFER_TYPES_FILE: Final[Path] = DATA_DIR / "angebotsarten.csv"
INDICATORS_FILE: Final[Path] = DATA_DIR / "indikatoren.csv"
PHASES_FILE: Final[Path] = DATA_DIR / "lebensphasen.csv"

#: The data folder: one sub-folder per workspace (a city, a Kreis' towns, a test copy), outside the repository;
#: override with PRAEVENTIONSATLAS_DATA. The built-in demo is not stored here (it is read from :data:`DEMO_DIR`).
DATA_ROOT: Path = Path(
    os.environ.get("PRAEVENTIONSATLAS_DATA", Path.home() / ".local" / "share" / "praeventionsatlas")
)
#: Workspace the app and the command line open when none is chosen: a workspace's folder name in
#: :data:`DATA_ROOT` or ``demo``; unset, the data folder's stored default is used (see :mod:`geo.store.workspaces`).
DEFAULT_WORKSPACE: str | None = os.environ.get("PRAEVENTIONSATLAS_WORKSPACE") or None
#: Optional background of the web and print maps: XYZ raster tiles in Web Mercator ({z}/{x}/{y}), fetched only when an
#: export asks for them; override with PRAEVENTIONSATLAS_TILE_URL (then also set the attribution).
TILE_URL: str = os.environ.get("PRAEVENTIONSATLAS_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
#: Attribution the tile source requires, printed in the map's source line and shown on the web map.
TILE_ATTRIBUTION: str = os.environ.get(
    "PRAEVENTIONSATLAS_TILE_ATTRIBUTION", "© OpenStreetMap-Mitwirkende (ODbL)"
)
#: Page the web map's attribution links to (the tile source's copyright and licence).
TILE_COPYRIGHT_URL: Final[str] = os.environ.get(
    "PRAEVENTIONSATLAS_TILE_COPYRIGHT_URL", "https://www.openstreetmap.org/copyright"
)
#: Disk cache of fetched tiles (a second export of the same area needs no network); PRAEVENTIONSATLAS_TILE_CACHE.
TILE_CACHE_DIR: Path = Path(os.environ.get("PRAEVENTIONSATLAS_TILE_CACHE", DATA_ROOT / "kachel-cache"))
#: Seconds one tile request may take, and all tile requests of one map together.
TILE_TIMEOUT_S: float = 3.0
TILE_BUDGET_S: float = 20.0
#: Most tiles one map may load (the zoom is lowered until the area fits); keeps within the OSM usage policy.
TILE_MAX_COUNT: int = 64
#: Upload size limit in bytes (default 50 MB); override with PRAEVENTIONSATLAS_MAX_UPLOAD_MB. Read at call time.
MAX_UPLOAD_BYTES: int = int(float(os.environ.get("PRAEVENTIONSATLAS_MAX_UPLOAD_MB", "50")) * 1024 * 1024)

#: Upload size limit of a residents file in bytes (default 200 MB; a Zensus 100 m extract of a Kreis with its age
#: columns takes 50–100 MB); override with PRAEVENTIONSATLAS_MAX_RESIDENTS_UPLOAD_MB. Read at call time.
MAX_RESIDENT_UPLOAD_BYTES: int = int(
    float(os.environ.get("PRAEVENTIONSATLAS_MAX_RESIDENTS_UPLOAD_MB", "200")) * 1024 * 1024
)

SYNTHETIC_STAMP: Final[str] = "synthetische Beispieldaten"

# Limits that keep every upload check within seconds and a bounded amount of memory (issue 7). Not ``Final``:
# geo.io and geo.ingest read them at call time, so a deployment or a test may lower them (monkeypatch). Real tables
# of this kind are far smaller: the NRW school file has ~6,000 rows × 40 columns, a city's indicators a few
# hundred districts × 20 years × 15 columns.
#: Most columns an uploaded table may have (CSV header; XLSX sheet as its ``<dimension>`` says).
MAX_TABLE_COLUMNS: int = 500
#: Most rows an uploaded table may have (header included).
MAX_TABLE_ROWS: int = 100_000
#: Most cells (rows × columns) an uploaded table may have.
MAX_TABLE_CELLS: int = 2_000_000
#: Most rows (header included) and cells of an offers CSV: a Land's list of facilities reaches ~500,000 rows at the
#: 50 MB upload limit, checked in seconds (issue 14). Offers workbooks keep MAX_TABLE_ROWS and MAX_TABLE_CELLS.
MAX_OFFER_ROWS: int = 600_000
MAX_OFFER_CELLS: int = 12_000_000
#: Most bytes an uploaded archive (zipped Shapefile, XLSX workbook) may unpack to. A city's district
#: boundaries take a few MB; all ~11,000 German municipalities at full detail (VG250) take ~100 MB.
MAX_UNPACKED_BYTES: int = 100 * 1024 * 1024
#: Most entries an uploaded ZIP archive (zipped Shapefile, XLSX workbook) may have, checked before unpacking.
MAX_ZIP_FILES: int = 200
#: Beyond :data:`COMPRESSION_RATIO_FROM_BYTES` unpacked, an archive may be at most this many times larger
#: unpacked than packed: Shapefiles and workbooks shrink 2–20×, a zip bomb (a padded .dbf) ~1,000×.
MAX_COMPRESSION_RATIO: int = 100
COMPRESSION_RATIO_FROM_BYTES: int = 16 * 1024 * 1024
#: Most rows a residents table (address or block points, Zensus grid cells) may have: a Zensus 100 m extract of a
#: Kreis has 10^5–10^6 populated cells (Germany ~3.1 million). The other tables keep :data:`MAX_TABLE_ROWS`.
MAX_RESIDENT_ROWS: int = 2_000_000
