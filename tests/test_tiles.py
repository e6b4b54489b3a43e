"""Background tiles: a local tile server on 127.0.0.1 with one solid colour per tile; cache, warp, fallback, exports."""

from __future__ import annotations

import functools
import io
import json
import math
import re
import socket
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pypdf
import pytest
from matplotlib.text import Text
from PIL import Image
from pyproj import Transformer

from geo import cli, settings
from geo.export import ExportOptions, export
from geo.render.print import drawing, kit, tiles
from geo.render.print.sheet import render_map
from tests.export_cases import X0, Y0, small_case, small_result

DAY = date(2025, 3, 1)


def tile_colour(x: int, y: int) -> tuple[int, int, int]:
    """One colour per tile, different from each neighbour's: red from the column, green from the row."""
    return 40 + (x * 37) % 180, 40 + (y * 53) % 180, 120 + 60 * ((x + y) % 2)


@functools.cache
def _png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(buffer, format="PNG")
    return buffer.getvalue()


class _Tiles(BaseHTTPRequestHandler):
    """``/ok/z/x/y.png`` a solid tile, ``/bad/…`` text instead of an image, ``/missing/…`` HTTP 404."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.server.log.append((self.path, self.headers.get("User-Agent", "")))
        match = re.fullmatch(r"/(ok|bad|missing)/(\d+)/(\d+)/(\d+)\.png", self.path)
        if not match or match.group(1) == "missing":
            self.send_error(404)
            return
        x, y = int(match.group(3)), int(match.group(4))
        body = _png(tile_colour(x, y)) if match.group(1) == "ok" else b"kein Bild"
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output clean
        pass


class TileServer:
    """A tile server in a thread on a free port of 127.0.0.1."""

    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Tiles)
        self.httpd.daemon_threads = True
        self.httpd.log = []
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, mode: str = "ok") -> str:
        return f"http://127.0.0.1:{self.port}/{mode}/{{z}}/{{x}}/{{y}}.png"

    @property
    def requested(self) -> list[tuple[int, int, int]]:
        return [tuple(int(v) for v in re.findall(r"\d+", path)[-3:]) for path, _ in self.httpd.log]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch, tmp_path):
    srv = TileServer()
    monkeypatch.setattr(settings, "TILE_URL", srv.url())
    monkeypatch.setattr(settings, "TILE_CACHE_DIR", tmp_path / "kachel-cache")
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def only_localhost(monkeypatch):
    """Every connection these tests open goes to 127.0.0.1."""
    real = socket.create_connection

    def guarded(address, *args, **kwargs):
        assert address[0] == "127.0.0.1", f"Verbindung nach {address[0]}"
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tile_of(lon: np.ndarray, lat: np.ndarray, zoom: int) -> tuple[np.ndarray, np.ndarray]:
    """Reference: the slippy-map formula, vectorised, as fractional tile coordinates."""
    n = 2**zoom
    return (lon + 180) / 360 * n, (1 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2 * n


# --- tile arithmetic ---------------------------------------------------------------------------------------------

def test_tile_index_of_a_known_point():
    # by hand: x = (7 + 180) / 360 · 4096 = 2127.64; y = (1 − asinh(tan 51.5°) / π) / 2 · 4096 = 1362.16
    assert tiles.tile_xy(7.0, 51.5, 12) == (2127, 1362)
    # the same through EPSG:3857 with pyproj
    mx, my = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(7.0, 51.5)
    size = 2 * tiles.ORIGIN / 4096
    assert (math.floor((mx + tiles.ORIGIN) / size), math.floor((tiles.ORIGIN - my) / size)) == (2127, 1362)


def test_zoom_follows_the_output_pixels_and_the_tile_limit():
    bounds = tiles.tile_bounds(2127, 1362, 12)  # exactly one z12 tile
    assert tiles.choose_zoom(bounds, (256, 256), max_tiles=64) == 12
    assert tiles.choose_zoom(bounds, (1024, 1024), max_tiles=64) == 14  # 4×4 tiles of z14
    assert tiles.choose_zoom(bounds, (1024, 1024), max_tiles=4) == 13  # 16 tiles too many: one level less


# --- fetching and cache ------------------------------------------------------------------------------------------

def test_the_right_tiles_are_requested_cached_and_then_read_offline(server):
    box = (6.95, 7.05, 51.45, 51.55)  # lon 6.95–7.05 → x 2127.08–2128.21; lat 51.55–51.45 → y 1361.25–1363.07
    background, reason = tiles.fetch_background(box, (60, 60), crs="EPSG:4326", zoom=12)
    assert reason == "" and background is not None
    expected = {(12, x, y) for x in (2127, 2128) for y in (1361, 1362, 1363)}
    assert sorted(server.requested) == sorted(expected)  # each tile once, no other
    assert all(agent.startswith("Praeventionsatlas/") for _, agent in server.httpd.log)
    for z, x, y in expected:
        assert tiles.cache_path(settings.TILE_CACHE_DIR, settings.TILE_URL, z, x, y).is_file()
    assert background.zoom == 12 and background.tiles == 6
    assert background.attribution == "© OpenStreetMap-Mitwirkende (ODbL)"

    server.stop()
    again, reason = tiles.fetch_background(box, (60, 60), crs="EPSG:4326", zoom=12)
    assert reason == "" and again is not None
    assert np.array_equal(again.image, background.image)


def test_warped_pixels_take_the_colour_of_the_tile_that_holds_them(server):
    extent = (X0, X0 + 4000, Y0, Y0 + 3000)  # EPSG:25832 near lon 7.57°, lat 51.44°
    rows, cols = 300, 400  # 10 m per pixel
    zoom = 15
    background, reason = tiles.fetch_background(extent, (rows, cols), zoom=zoom)
    assert reason == ""
    xs = X0 + (np.arange(cols) + 0.5) * 10
    ys = Y0 + 3000 - (np.arange(rows) + 0.5) * 10
    gx, gy = np.meshgrid(xs, ys)
    lon, lat = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True).transform(gx, gy)
    tx, ty = _tile_of(lon, lat, zoom)
    # away from tile borders (bilinear sampling blends the last pixel on either side)
    inner = (np.abs(tx - np.rint(tx)) * 256 > 1.5) & (np.abs(ty - np.rint(ty)) * 256 > 1.5)
    expected = np.array([tile_colour(x, y) for x, y in zip(np.floor(tx[inner]).astype(int),
                                                            np.floor(ty[inner]).astype(int), strict=True)])
    assert inner.mean() > 0.95
    assert np.array_equal(background.image[inner], expected)
    # Meridian convergence (~1.1° here): a tile's west border, a meridian, is not a column of the UTM grid.
    border_top = np.argmax(np.any(background.image[0] != background.image[0, 0], axis=1))
    border_bottom = np.argmax(np.any(background.image[-1] != background.image[-1, 0], axis=1))
    assert abs(int(border_top) - int(border_bottom)) >= 4  # 3000 m · tan 1.1° ≈ 58 m ≈ 6 px


def _count_connections(monkeypatch) -> list[tuple]:
    """Record every TCP connection attempt (the tile client's only way out)."""
    attempts: list[tuple] = []
    real = socket.create_connection

    def counting(address, *args, **kwargs):
        attempts.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", counting)
    return attempts


def test_a_closed_port_gives_no_background_quickly_and_the_export_still_works(monkeypatch, tmp_path):
    monkeypatch.setattr(settings, "TILE_URL", f"http://127.0.0.1:{closed_port()}/{{z}}/{{x}}/{{y}}.png")
    monkeypatch.setattr(settings, "TILE_CACHE_DIR", tmp_path / "kachel-cache")
    attempts = _count_connections(monkeypatch)
    background, reason = tiles.fetch_background((X0, X0 + 4000, Y0, Y0 + 3000), (300, 400))
    assert background is None and reason == "Verbindung zum Kachelserver abgelehnt"
    first = len(attempts)
    assert 1 <= first <= tiles.WORKERS  # quickly: the first refusal ends the fetch, no tile after it is tried

    dataset = small_case()
    result = small_result(dataset)
    data = export("status", "pdf", dataset, result, ExportOptions(export_date=DAY, tiles=True))
    assert len(attempts) - first <= tiles.WORKERS
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(reader.pages[0].extract_text().split())  # the note may wrap
    assert "Hintergrundkarte nicht erreichbar" in text and "Vektorkarte ohne Hintergrund" in text
    assert "OpenStreetMap" not in text  # no attribution for tiles that are not there
    record = json.loads(reader.metadata["/Keywords"])
    assert record["background_tiles"] == {"drawn": False, "reason": "Verbindung zum Kachelserver abgelehnt"}
    assert record["product"]["tiles"] is True


def test_a_server_that_never_answers_times_out(monkeypatch, tmp_path):
    with socket.socket() as silent:  # accepts connections into the backlog, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/{{z}}/{{x}}/{{y}}.png"
        attempts = _count_connections(monkeypatch)
        background, reason = tiles.fetch_background((6.95, 7.05, 51.45, 51.55), (60, 60), crs="EPSG:4326",
                                                    zoom=12, url=url, cache_dir=tmp_path, timeout=0.3)
    assert 1 <= len(attempts) <= tiles.WORKERS  # the first time-out ends the fetch: no wait per tile
    assert background is None and reason == "Kachelserver antwortet nicht innerhalb von 0,3 s"


@pytest.mark.parametrize(("mode", "reason"), [("bad", "kein gültiges PNG-/JPEG-Bild"), ("missing", "HTTP 404")])
def test_bad_tiles_give_a_reason_and_are_not_cached(server, mode, reason):
    background, why = tiles.fetch_background((6.95, 7.05, 51.45, 51.55), (60, 60), crs="EPSG:4326", zoom=12,
                                             url=server.url(mode))
    assert background is None and reason in why
    assert not list(settings.TILE_CACHE_DIR.rglob("*.png"))


# --- print maps --------------------------------------------------------------------------------------------------

def _pixel(image: np.ndarray, fig, xy: tuple[float, float], dpi: int) -> np.ndarray:
    """The PNG pixel (RGB) at a map coordinate of the map axes of ``fig`` saved at ``dpi``."""
    ax = fig.axes[0]
    px, py = ax.transData.transform(xy) * dpi / fig.dpi
    return image[image.shape[0] - 1 - int(py), int(px), :3].astype(int)


def test_subdued_background_keeps_grey_and_lightens_colour():
    image = np.array([[[255, 0, 0], [0, 0, 0], [128, 128, 128]]], dtype=np.uint8)
    out = drawing.subdued(image).astype(int)
    assert out[0, 1].tolist() == [64, 64, 64]  # black a quarter towards white
    assert out[0, 2].tolist() == [160, 160, 160]  # grey stays grey
    red = out[0, 0]
    assert red[0] > red[1] == red[2] > 64  # still reddish, half desaturated


def test_png_export_shows_tile_colours_under_semi_transparent_districts(server):
    dataset = small_case()
    result = small_result(dataset)
    dpi = 50
    figs, images = {}, {}
    for tiles_on in (False, True):
        fig = render_map("status", dataset, result, export_date=DAY, tiles=tiles_on)
        data = kit.figure_bytes(fig, "png", dpi=dpi)
        figs[tiles_on], images[tiles_on] = fig, np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    zoom = {z for z, _, _ in server.requested}.pop()

    above_city = (X0 + 2000, Y0 + 1900)  # the city is 4 km × 1 km; the map is taller than that
    lon, lat = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True).transform(*above_city)
    assert list(_pixel(images[False], figs[False], above_city, dpi)) == [255, 255, 255]
    tile = np.array([[tile_colour(*tiles.tile_xy(lon, lat, zoom))]], dtype=np.uint8)
    assert list(_pixel(images[True], figs[True], above_city, dpi)) == list(drawing.subdued(tile)[0, 0])
    in_district = (X0 + 150, Y0 + 150)  # inside D1, away from its label and border
    lon, lat = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True).transform(*in_district)
    fill = _pixel(images[False], figs[False], in_district, dpi)
    tile = drawing.subdued(np.array([[tile_colour(*tiles.tile_xy(lon, lat, zoom))]], dtype=np.uint8))[0, 0]
    blended = 0.75 * fill + 0.25 * tile
    assert np.abs(_pixel(images[True], figs[True], in_district, dpi) - blended).max() <= 2

    text = "\n".join(t.get_text() for t in figs[True].findobj(Text))
    assert "Hintergrundkarte: © OpenStreetMap-Mitwirkende (ODbL)" in text
    assert f"Hintergrundkarte: Kacheln Zoomstufe {zoom}, nach EPSG:25832 umprojiziert" in text


def test_export_with_tiles_is_the_same_file_from_the_cache(server):
    dataset = small_case()
    result = small_result(dataset)
    options = ExportOptions(export_date=DAY, offer_type="fgz", tiles=True, dpi=40)
    first = export("reach", "png", dataset, result, options)
    fetched = len(server.requested)
    server.stop()
    second = export("reach", "png", dataset, result, options)
    assert fetched > 0 and second == first
    pdf = export("reach", "pdf", dataset, result, options)
    text = " ".join(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "Hintergrundkarte: Kacheln Zoomstufe" in text and "© OpenStreetMap-Mitwirkende (ODbL)" in text


def test_cli_tiles_flag_falls_back_without_network(tmp_path, capsys):
    out = tmp_path / "karte.pdf"
    # conftest points the tile URL at a closed local port
    assert cli.main(["export", "--kind", "status", "--tiles", "--out", str(out), "--date", "2025-03-01"]) == 0
    text = " ".join(pypdf.PdfReader(out).pages[0].extract_text().split())
    assert "Hintergrundkarte nicht erreichbar" in text
    assert json.loads(pypdf.PdfReader(out).metadata["/Keywords"])["product"]["tiles"] is True


def test_tiles_are_fetched_outside_the_drawing_lock(monkeypatch):
    """rc() holds a process-wide lock; waiting for a tile server there would stall every other export."""
    free: list[bool] = []

    def fetch(*args, **kwargs):
        def probe():
            got = kit._RC_LOCK.acquire(timeout=0)
            if got:
                kit._RC_LOCK.release()
            free.append(got)

        thread = threading.Thread(target=probe)
        thread.start()
        thread.join()
        return None, "Test"

    monkeypatch.setattr(drawing, "fetch_background", fetch)
    dataset = small_case()
    fig = render_map("status", dataset, small_result(dataset), orientation="portrait", tiles=True)
    assert free == [True]
    assert "Hintergrundkarte nicht erreichbar" in "\n".join(t.get_text() for t in fig.findobj(Text))
