"""Optional background tiles for print maps: fetch XYZ Web-Mercator tiles (cache first), stitch, warp to the map CRS.

Nothing here raises for a network problem: :func:`fetch_background` returns ``(None, reason)`` with a German
reason, and the caller draws the map without background. Tiles come from :data:`geo.settings.TILE_URL`; each one
is kept in :data:`geo.settings.TILE_CACHE_DIR` under a hash of the URL template and ``z/x/y``, and the cache is
read before the network is asked, so a second export of the same area works offline and gives the same bytes.

Web-Mercator tiles are not simply laid under a map in EPSG:25832: in NRW grid north and true north differ by
about one degree (meridian convergence), so the stitched mosaic is resampled for every output pixel
(:func:`warp`) and the tiles line up with the district borders.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import logging
import math
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from PIL import Image
from pyproj import Transformer

from geo import settings
from geo.render.provenance import software_version

log = logging.getLogger(__name__)

TILE_SIZE: Final[int] = 256
#: Half the extent of the Web-Mercator world in metres: EPSG:3857 spans ±ORIGIN on both axes.
ORIGIN: Final[float] = math.pi * 6378137.0
MAX_ZOOM: Final[int] = 19
#: A tile larger than this is not a map tile.
MAX_TILE_BYTES: Final[int] = 2_000_000
#: The OSM tile usage policy allows at most two parallel downloads.
WORKERS: Final[int] = 2
#: After a failed download the same tile server is not asked again for this long, so that every rerun of the
#: Export page (preview) does not wait for the timeout again. Cached tiles are still used.
RETRY_AFTER_S: Final[float] = 60.0

_FAILED: dict[str, tuple[float, str]] = {}
_FAILED_LOCK = threading.Lock()


@dataclass(frozen=True)
class Background:
    """A background image warped into the map's CRS.

    Attributes
    ----------
    image
        ``(rows, cols, 3)`` uint8 RGB; the first row is the northern edge of ``extent``.
    extent
        ``(x0, x1, y0, y1)`` in the map's CRS, as :meth:`matplotlib.axes.Axes.imshow` takes it.
    zoom, tiles
        Zoom level and number of tiles of the mosaic.
    attribution
        What the tile source requires to be printed.
    """

    image: np.ndarray
    extent: tuple[float, float, float, float]
    zoom: int
    tiles: int
    attribution: str


class _TileError(Exception):
    """One tile could not be had; the message is the German reason."""


# --- tile arithmetic ---------------------------------------------------------------------------------------------

def tile_xy(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    """Index ``(x, y)`` of the tile holding a WGS84 point (the slippy-map formula of the OSM wiki)."""
    n = 2**zoom
    x = (lon + 180.0) / 360.0 * n
    y = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n
    return int(min(max(math.floor(x), 0), n - 1)), int(min(max(math.floor(y), 0), n - 1))


def tile_bounds(x: int, y: int, zoom: int) -> tuple[float, float, float, float]:
    """``(minx, miny, maxx, maxy)`` of a tile (or, with the last index + 1, of a block of tiles) in EPSG:3857."""
    size = 2 * ORIGIN / 2**zoom
    return -ORIGIN + x * size, ORIGIN - (y + 1) * size, -ORIGIN + (x + 1) * size, ORIGIN - y * size


def tile_range(bounds_3857: tuple[float, float, float, float], zoom: int) -> tuple[range, range]:
    """Tile columns and rows that cover ``(minx, miny, maxx, maxy)`` in EPSG:3857."""
    minx, miny, maxx, maxy = bounds_3857
    n = 2**zoom
    size = 2 * ORIGIN / n

    def first(value: float) -> int:
        return int(min(max(math.floor(value / size), 0), n - 1))

    def last(value: float, start: int) -> int:  # a box ending exactly on a tile edge needs no tile beyond it
        return int(min(max(math.ceil(value / size) - 1, start), n - 1))

    x0, y0 = first(minx + ORIGIN), first(ORIGIN - maxy)
    return range(x0, last(maxx + ORIGIN, x0) + 1), range(y0, last(ORIGIN - miny, y0) + 1)


def choose_zoom(bounds_3857: tuple[float, float, float, float], shape: tuple[int, int], *, max_tiles: int) -> int:
    """The zoom whose tile pixels come closest to the output pixels, lowered until at most ``max_tiles`` are needed.

    ``shape`` is ``(rows, cols)`` of the output image.
    """
    minx, miny, maxx, maxy = bounds_3857
    rows, cols = shape
    res = min((maxx - minx) / max(cols, 1), (maxy - miny) / max(rows, 1))
    zoom = round(math.log2(2 * ORIGIN / (TILE_SIZE * res))) if res > 0 else MAX_ZOOM
    zoom = min(max(zoom, 0), MAX_ZOOM)
    while zoom > 0:
        xs, ys = tile_range(bounds_3857, zoom)
        if len(xs) * len(ys) <= max_tiles:
            break
        zoom -= 1
    return zoom


def cache_path(cache_dir: Path, url: str, zoom: int, x: int, y: int) -> Path:
    """Where a tile is kept: ``<cache>/<hash of the URL template>/z/x/y.png``."""
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return Path(cache_dir) / key / str(zoom) / str(x) / f"{y}.png"


def user_agent() -> str:
    """The User-Agent the OSM tile usage policy asks for: the application and its version."""
    return f"Praeventionsatlas/{software_version()} (Druckkarten; Python urllib)"


# --- fetching ----------------------------------------------------------------------------------------------------

def _decode(data: bytes, where: str) -> np.ndarray:
    """A tile's bytes as ``(256, 256, 3)`` uint8 RGB; transparent parts become white."""
    try:
        with Image.open(io.BytesIO(data), formats=("PNG", "JPEG")) as image:
            if image.size != (TILE_SIZE, TILE_SIZE):
                raise _TileError(f"Kachel {where} hat {image.size[0]}×{image.size[1]} statt 256×256 Pixel")
            rgba = np.asarray(image.convert("RGBA"), dtype=np.float32)
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise _TileError(f"Kachel {where} ist kein gültiges PNG-/JPEG-Bild") from err
    alpha = rgba[..., 3:] / 255.0
    return np.rint(rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)


def _reason(err: BaseException, timeout: float) -> str:
    """German reason for a failed request."""
    if isinstance(err, urllib.error.HTTPError):
        return f"Kachelserver antwortet mit HTTP {err.code}"
    inner = err.reason if isinstance(err, urllib.error.URLError) else err
    if isinstance(inner, TimeoutError):
        return f"Kachelserver antwortet nicht innerhalb von {format(timeout, 'g').replace('.', ',')} s"
    if isinstance(inner, socket.gaierror):
        return "Kachelserver nicht gefunden (keine Internetverbindung oder kein Namensdienst)"
    if isinstance(inner, ConnectionRefusedError):
        return "Verbindung zum Kachelserver abgelehnt"
    return f"Kachelserver nicht erreichbar ({inner})"


def _download(url: str, timeout: float, where: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": user_agent()})
    # A fresh opener reads the proxy settings (http_proxy, no_proxy) of this moment.
    try:
        with urllib.request.build_opener().open(request, timeout=timeout) as response:
            data = response.read(MAX_TILE_BYTES + 1)
    except (OSError, http.client.HTTPException, ValueError) as err:
        raise _TileError(_reason(err, timeout)) from err
    if len(data) > MAX_TILE_BYTES:
        raise _TileError(f"Kachel {where} ist größer als {MAX_TILE_BYTES // 1_000_000} MB")
    return data


def _store(path: Path, data: bytes) -> None:
    """Write a tile into the cache atomically; a cache that cannot be written only costs the next export time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        scratch.write_bytes(data)
        os.replace(scratch, path)
    except OSError as err:
        log.info("Kachel nicht im Cache gespeichert (%s): %s", path, err)


def _cached(path: Path, where: str) -> np.ndarray | None:
    try:
        return _decode(path.read_bytes(), where)
    except (OSError, _TileError):
        return None  # missing or damaged: fetch it again


def _recent_failure(url: str) -> str | None:
    with _FAILED_LOCK:
        entry = _FAILED.get(url)
    if entry and time.monotonic() - entry[0] < RETRY_AFTER_S:
        return entry[1]
    return None


def forget_failures() -> None:
    """Let the next export ask tile servers that failed recently again (see :data:`RETRY_AFTER_S`)."""
    with _FAILED_LOCK:
        _FAILED.clear()


def fetch_mosaic(
    zoom: int, xs: range, ys: range, *, url: str, cache_dir: Path, timeout: float, budget: float
) -> tuple[np.ndarray | None, str]:
    """Stitch tiles ``xs`` × ``ys`` of ``zoom`` into one RGB image, from the cache or else the network.

    All or nothing: a map with holes in its background would mislead, so the first tile that cannot be had
    stops the rest and ``(None, reason)`` comes back. Tiles fetched until then stay in the cache.
    """
    mosaic = np.empty((len(ys) * TILE_SIZE, len(xs) * TILE_SIZE, 3), dtype=np.uint8)
    deadline = time.monotonic() + budget
    stop = threading.Event()
    failure: list[str] = []
    known = _recent_failure(url)

    def one(j: int, y: int, i: int, x: int) -> None:
        if stop.is_set():
            return
        where = f"{zoom}/{x}/{y}"
        path = cache_path(cache_dir, url, zoom, x, y)
        tile = _cached(path, where)
        try:
            if tile is None:
                if known:
                    raise _TileError(known)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _TileError(f"Zeitbudget von {format(budget, 'g').replace('.', ',')} s für die Kacheln "
                                     "überschritten")
                data = _download(url.replace("{z}", str(zoom)).replace("{x}", str(x)).replace("{y}", str(y)),
                                 min(timeout, remaining), where)
                tile = _decode(data, where)
                _store(path, data)
        except _TileError as err:
            failure.append(str(err))
            stop.set()
            return
        mosaic[j * TILE_SIZE:(j + 1) * TILE_SIZE, i * TILE_SIZE:(i + 1) * TILE_SIZE] = tile

    jobs = [(j, y, i, x) for j, y in enumerate(ys) for i, x in enumerate(xs)]
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="kacheln") as pool:
        list(pool.map(lambda job: one(*job), jobs))
    if failure:
        if not known:
            with _FAILED_LOCK:
                _FAILED[url] = (time.monotonic(), failure[0])
        return None, failure[0]
    return mosaic, ""


# --- warping -----------------------------------------------------------------------------------------------------

def warp(
    mosaic: np.ndarray,
    mosaic_bounds: tuple[float, float, float, float],
    extent: tuple[float, float, float, float],
    shape: tuple[int, int],
    crs: object,
) -> np.ndarray:
    """Resample a Web-Mercator mosaic onto a north-up grid in ``crs`` (bilinear).

    Parameters
    ----------
    mosaic
        ``(h, w, 3)`` uint8, first row north.
    mosaic_bounds
        ``(minx, miny, maxx, maxy)`` of the mosaic in EPSG:3857.
    extent
        ``(x0, x1, y0, y1)`` of the output in ``crs``.
    shape
        ``(rows, cols)`` of the output.

    Every output pixel centre is transformed to EPSG:3857 and the mosaic sampled there, so the image follows
    the rotation and scale between the two systems instead of being laid in unrotated.
    """
    rows, cols = shape
    x0, x1, y0, y1 = extent
    xs = x0 + (np.arange(cols) + 0.5) * (x1 - x0) / cols
    ys = y1 - (np.arange(rows) + 0.5) * (y1 - y0) / rows
    gx, gy = np.meshgrid(xs, ys)
    mx, my = Transformer.from_crs(crs, "EPSG:3857", always_xy=True).transform(gx, gy)
    h, w = mosaic.shape[:2]
    bx0, by0, bx1, by1 = mosaic_bounds
    # continuous pixel coordinates of the mosaic, 0 = centre of its first pixel
    u = np.clip((mx - bx0) / ((bx1 - bx0) / w) - 0.5, 0, w - 1)
    v = np.clip((by1 - my) / ((by1 - by0) / h) - 0.5, 0, h - 1)
    i0 = np.floor(u).astype(np.intp)
    j0 = np.floor(v).astype(np.intp)
    i1 = np.minimum(i0 + 1, w - 1)
    j1 = np.minimum(j0 + 1, h - 1)
    fu = (u - i0)[..., None].astype(np.float32)
    fv = (v - j0)[..., None].astype(np.float32)
    m = mosaic.astype(np.float32)
    top = m[j0, i0] * (1 - fu) + m[j0, i1] * fu
    bottom = m[j1, i0] * (1 - fu) + m[j1, i1] * fu
    return np.clip(np.rint(top * (1 - fv) + bottom * fv), 0, 255).astype(np.uint8)


def fetch_background(
    extent: tuple[float, float, float, float],
    shape: tuple[int, int],
    *,
    crs: object = None,
    zoom: int | None = None,
    url: str | None = None,
    cache_dir: Path | None = None,
    timeout: float | None = None,
    budget: float | None = None,
    max_tiles: int | None = None,
) -> tuple[Background | None, str]:
    """Background tiles for a map extent, warped into the map's CRS; ``(None, reason)`` when they cannot be had.

    Parameters
    ----------
    extent
        ``(x0, x1, y0, y1)`` of the map in ``crs`` (default :data:`geo.settings.METRIC_CRS`).
    shape
        ``(rows, cols)`` of the image to make; the zoom is chosen so that tile pixels match these pixels.
    zoom
        Fixed zoom level instead.
    url, cache_dir, timeout, budget, max_tiles
        Default to :data:`geo.settings.TILE_URL`, ``TILE_CACHE_DIR``, ``TILE_TIMEOUT_S`` (per tile),
        ``TILE_BUDGET_S`` (all tiles) and ``TILE_MAX_COUNT``.

    Returns
    -------
    tuple
        ``(Background, "")``, or ``(None, German reason)`` after any network error, timeout, HTTP error or
        bad image. Network problems never raise.
    """
    crs = crs if crs is not None else settings.METRIC_CRS
    url = url or settings.TILE_URL
    cache_dir = Path(cache_dir if cache_dir is not None else settings.TILE_CACHE_DIR)
    timeout = settings.TILE_TIMEOUT_S if timeout is None else timeout
    budget = settings.TILE_BUDGET_S if budget is None else budget
    max_tiles = settings.TILE_MAX_COUNT if max_tiles is None else max_tiles
    x0, x1, y0, y1 = (float(v) for v in extent)
    rows, cols = (int(v) for v in shape)
    if not (np.isfinite([x0, x1, y0, y1]).all() and x1 > x0 and y1 > y0 and rows > 0 and cols > 0):
        return None, "Kartenausschnitt ungültig"
    to_merc = Transformer.from_crs(crs, "EPSG:3857", always_xy=True)
    bounds = to_merc.transform_bounds(x0, y0, x1, y1, densify_pts=21)
    if not np.isfinite(bounds).all():
        return None, "Kartenausschnitt lässt sich nicht nach Web-Mercator umrechnen"
    zoom = choose_zoom(bounds, (rows, cols), max_tiles=max_tiles) if zoom is None else int(zoom)
    xs, ys = tile_range(bounds, zoom)
    mosaic, reason = fetch_mosaic(zoom, xs, ys, url=url, cache_dir=cache_dir, timeout=timeout, budget=budget)
    if mosaic is None:
        log.warning("Hintergrundkarte nicht erreichbar: %s", reason)
        return None, reason
    west, south, _, _ = tile_bounds(xs[0], ys[-1], zoom)
    _, _, east, north = tile_bounds(xs[-1], ys[0], zoom)
    image = warp(mosaic, (west, south, east, north), (x0, x1, y0, y1), (rows, cols), crs)
    return Background(image, (x0, x1, y0, y1), zoom, len(xs) * len(ys), settings.TILE_ATTRIBUTION), ""
