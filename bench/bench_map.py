"""Web map at scale: payload, build time, first polygon in Chromium and server memory, old (f43908d) against new.

Peer in the same run: the map code of commit f43908d (before issue 14's web map work), checked out with
``git worktree add --detach /tmp/oldmap f43908d`` and run there in subprocesses, as the new code is here.

1. Payload and build: the need × reach map (status index, FGZ gaps) of the demo tiled 1×, 10× and 105×
   (≈ 6,000 districts): ``need_map(...).get_root().render()`` (what ``st_folium`` renders), its size in MB, the
   seconds to build and render it (best of ``--repeat``), and the peak RSS of the fresh child process
   (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, the analysis included).
2. First polygon: the standalone HTML of the same map (``leaflet.standalone_html``, Leaflet and the atlas script
   inlined, as the offline download) from a local HTTP server in headless Chromium; seconds from ``goto`` to the
   first frame painted with a ``path.leaflet-interactive`` in it (:data:`FIRST_PAINT_JS`; best of ``--repeat``).
3. Server memory (``--visits``): ``streamlit run app.py --server.port 8633`` on a workspace holding the 105× data
   set; each visit opens the Karte in a new browser page (a new session), waits for the first polygon painted in
   the map frame and closes the page; the server's VmRSS after every visit, and the seconds from navigation to
   that first polygon.

    .venv/bin/python bench/bench_map.py [--scales 1,10,105] [--repeat 2] [--visits 20] [--skip-server]
    .venv/bin/python bench/bench_map.py --change-layers   # issue 13: the change layers against the status map
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OLD = Path("/tmp/oldmap")
OLD_COMMIT = "f43908d"
PORT = 8633
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

#: Run in a fresh interpreter with the working directory at the code to measure (old worktree or this repo).
CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, ".")
import geo
from bench.scale import tiled
from geo.analysis import analyse
from geo.demo import load_demo
from geo.render.web import leaflet
copies, repeat, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
dataset = tiled(load_demo(), copies)
result = analyse(dataset)
best = float("inf")
for _ in range(repeat):
    start = time.perf_counter()
    html = leaflet.need_map(result, dataset, gap_type="fgz").get_root().render()
    best = min(best, time.perf_counter() - start)
m = leaflet.need_map(result, dataset, gap_type="fgz")
with open(out, "w", encoding="utf-8") as f:
    f.write(leaflet.standalone_html(m))
print(json.dumps({"districts": len(dataset.districts), "seconds": best, "bytes": len(html.encode("utf-8")),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "geo": geo.__file__}))
"""

#: Store the 105× data set as a workspace of its own (run in the new tree; the old one reads the same file).
WORKSPACE = r"""
import sys
sys.path.insert(0, ".")
from bench.scale import tiled
from geo.demo import load_demo
from geo.store import create_workspace
root, copies = sys.argv[1], int(sys.argv[2])
ws = create_workspace("Bench Karte", root=root, demo_copy=True, make_default=True)
ds = tiled(load_demo(), copies)
ws.save_many({"districts": ds.districts, "offers": ds.offers, "residents": ds.residents,
              "indicators": ds.indicators}, filename="bench_map.py")
print(ws.path.name)
"""


def ensure_old_tree() -> None:
    """The worktree of f43908d at :data:`OLD` (made once)."""
    if not (OLD / "geo" / "render" / "web" / "leaflet.py").is_file():
        subprocess.run(["git", "worktree", "add", "--detach", str(OLD), OLD_COMMIT], cwd=REPO, check=True,
                       capture_output=True)


def build(tree: Path, copies: int, repeat: int, out: Path) -> dict:
    """Build figures of the map at ``copies`` in ``tree`` (fresh child process); writes its standalone HTML."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(copies), str(repeat), str(out)], cwd=tree,
                          capture_output=True, text=True, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(figures["geo"]).resolve().is_relative_to(tree.resolve()), figures["geo"]  # the right code ran
    return figures


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


#: In every frame: the time (epoch ms) of the first frame painted with a district polygon in it (the animation
#: frame after the polygon is found; the document is looked at every 20 ms: streamlit-folium rewrites its frame's
#: document, so a MutationObserver set up early misses it). Measured in the page: Playwright's own polling waits
#: for the main thread, which is still drawing the symbols of a large map in portions after the districts.
FIRST_PAINT_JS = """(() => {
  window.__paFirst = null;
  const timer = setInterval(() => {
    if (document.querySelector('path.leaflet-interactive')) {
      clearInterval(timer);
      requestAnimationFrame(() => { window.__paFirst = performance.timeOrigin + performance.now(); });
    }
  }, 20);
})();"""


def _painted(page, start_ms: float, timeout_s: float = 300) -> float:
    """Seconds from ``start_ms`` (epoch ms) to the first polygon painted in any frame of ``page``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for frame in page.frames:
            try:
                first = frame.evaluate("window.__paFirst || null")
            except Exception:  # a frame being replaced
                first = None
            if first:
                return (first - start_ms) / 1000
        page.wait_for_timeout(100)
    raise TimeoutError("no polygon painted")


def first_polygon(browser, url: str, repeat: int) -> float:
    """Best of ``repeat``: seconds from navigation to the first painted district polygon."""
    best = float("inf")
    for _ in range(repeat):
        context = browser.new_context(viewport={"width": 1200, "height": 800})
        context.add_init_script(FIRST_PAINT_JS)
        page = context.new_page()
        start = time.time() * 1000
        page.goto(url, wait_until="commit")
        best = min(best, _painted(page, start))
        context.close()
    return best


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def server_visits(browser, tree: Path, data_root: str, workspace: str, visits: int) -> list[tuple[float, float]]:
    """(seconds to the first polygon, server RSS in MB after the visit) per Karte visit of a fresh session."""
    env = {**os.environ, "PRAEVENTIONSATLAS_DATA": data_root, "PRAEVENTIONSATLAS_WORKSPACE": workspace}
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", PORT)) == 0:
            raise RuntimeError(f"port {PORT} is taken")
    log = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(PORT),
                             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                            cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{PORT}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        out = [(0.0, rss_mb(proc.pid))]
        for _ in range(visits):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.add_init_script(FIRST_PAINT_JS)
            page = context.new_page()
            start = time.time() * 1000
            page.goto(f"{url}/Karte", wait_until="commit")
            seconds = _painted(page, start)
            page.frame_locator("iframe[title]").first.locator("path.leaflet-interactive").first.wait_for(
                timeout=300_000)  # and drawn as Playwright sees it
            context.close()
            time.sleep(1.0)  # let the closed session end on the server
            out.append((seconds, rss_mb(proc.pid)))
        return out
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def change_layers() -> None:
    """Issue 13: build + render time of each change layer against the status map of the same data, best of 3."""
    sys.path.insert(0, str(REPO))
    from bench.scale import best_of, tiled
    from geo.analysis import analyse
    from geo.demo import load_demo
    from geo.render.web import dynamics_map, leaflet

    demo = load_demo()
    layers = (dynamics_map.DYNAMIC, dynamics_map.OVERALL, dynamics_map.CHANGE)
    print(f"{'scale':>6} {'status s':>9} " + " ".join(f"{k + ' s':>18} {'ratio':>6}" for k in layers))
    for copies in (1, 10):
        ds = tiled(demo, copies)
        result = analyse(ds)
        status, _ = best_of(3, lambda ds=ds, result=result: leaflet.need_map(result, ds).get_root().render())
        cells = []
        for key in layers:
            seconds, _ = best_of(3, lambda key=key, ds=ds, result=result: leaflet.need_map(
                result, ds, variable=key).get_root().render())
            cells.append(f"{seconds:>18.2f} {seconds / status:>6.2f}")
        print(f"{copies:>5}x {status:>9.2f} " + " ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10,105")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--visits", type=int, default=20)
    parser.add_argument("--old-visits", type=int, default=None, help="visits of the old server (default: --visits)")
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--change-layers", action="store_true", help="issue 13's change layers instead")
    args = parser.parse_args()
    if args.change_layers:
        change_layers()
        return
    from playwright.sync_api import sync_playwright

    ensure_old_tree()
    print(f"load average at start: {Path('/proc/loadavg').read_text().strip()}")
    scales = [int(s) for s in args.scales.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench_map_") as tmp, sync_playwright() as pw:
        folder = Path(tmp)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=tmp))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print(f"{'scale':>6} {'districts':>9} | {'payload MB':>10} {'old':>7} {'ratio':>6} | {'build s':>8} {'old':>7} "
              f"{'ratio':>6} | {'polygon s':>9} {'old':>7} {'ratio':>6} | {'peak MB':>7} {'old':>7}")
        for copies in scales:
            fig = {}
            for name, tree in (("new", REPO), ("old", OLD)):
                html = folder / f"{name}_{copies}.html"
                fig[name] = build(tree, copies, args.repeat, html)
                url = f"http://127.0.0.1:{server.server_address[1]}/{html.name}"
                fig[name]["polygon"] = first_polygon(browser, url, args.repeat)
            new, old = fig["new"], fig["old"]
            print(f"{copies:>5}x {new['districts']:>9,} | {new['bytes'] / 1e6:>10.2f} {old['bytes'] / 1e6:>7.2f} "
                  f"{old['bytes'] / new['bytes']:>6.1f} | {new['seconds']:>8.2f} {old['seconds']:>7.2f} "
                  f"{old['seconds'] / new['seconds']:>6.1f} | {new['polygon']:>9.2f} {old['polygon']:>7.2f} "
                  f"{old['polygon'] / new['polygon']:>6.1f} | {new['peak_mb']:>7.0f} {old['peak_mb']:>7.0f}",
                  flush=True)
        print(f"load average after the maps: {Path('/proc/loadavg').read_text().strip()}")
        if not args.skip_server:
            root = folder / "data"
            done = subprocess.run([sys.executable, "-c", WORKSPACE, str(root), str(max(scales))], cwd=REPO,
                                  capture_output=True, text=True, check=True)
            workspace = done.stdout.strip().splitlines()[-1]
            for name, tree in (("new", REPO), ("old", OLD)):
                n = args.visits if name == "new" or args.old_visits is None else args.old_visits
                visits = server_visits(browser, tree, str(root), workspace, n)
                rss = [r for _, r in visits]
                seconds = [s for s, _ in visits[1:]]
                print(f"{name}: server RSS MB at start {rss[0]:.0f}, after visit 1 {rss[1]:.0f}, "
                      f"after visit {len(rss) - 1} {rss[-1]:.0f}; growth visit 2 → {len(rss) - 1}: "
                      f"{rss[-1] - rss[2 if len(rss) > 2 else 1]:+.0f} MB; first polygon: visit 1 {seconds[0]:.2f} s, "
                      f"later visits median {sorted(seconds[1:])[len(seconds[1:]) // 2] if seconds[1:] else 0:.2f} s",
                      flush=True)
                print(f"  {name} RSS per visit: " + " ".join(f"{r:.0f}" for r in rss), flush=True)
                print(f"  {name} seconds per visit: " + " ".join(f"{s:.1f}" for s in seconds), flush=True)
        browser.close()
        server.shutdown()
    print(f"load average at the end: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
