"""The label placement before issue 14, kept verbatim as the reference the indexed placement must equal exactly.

Used by tests/test_labels.py (equality on the demo and on seeded random layouts) and by bench/bench_print_scale.py
(the peer timed in the same run). Only the class name and this docstring differ from the old
``geo.render.print.drawing._LabelPlacer``; the bench draws with it as the old code did.
"""

from __future__ import annotations

import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.text import Text

from geo import settings
from geo.render.print.kit import wrap_chars
from geo.render.print.labels import MAX_LEADER_DISTRICTS, label_size, wrapped_name

#: Label sizes tried per placement rule, as factors of the base size.
_RULE_SIZES: dict[str, tuple[float, ...]] = {"inside": (1.0,), "mostly": (1.0, 0.86, 0.76), "leader": (0.86,)}
#: Least share of the label box inside its district, per rule (leader labels sit outside).
_RULE_INSIDE: dict[str, float] = {"inside": 0.9, "mostly": 0.6}


class ReferencePlacer:
    """The greedy label placement as it was before issue 14 (linear scans, one shapely call per candidate)."""

    def __init__(self, fig, ax, renderer, content, result, obstacles_xy: np.ndarray,
                 marker_size: float, fontscale: float):
        d = result.districts
        self.fig, self.ax, self.renderer = fig, ax, renderer
        self.names = d[settings.DISTRICT_NAME].astype(str).tolist()
        n = self.n = len(d)
        self.size = label_size(n, fontscale)
        self.bold = content.bold if content.bold is not None else np.zeros(n, bool)
        self.suffix = content.label_suffix or [""] * n
        self.to_disp = ax.transData.transform
        self.to_data = ax.transData.inverted().transform
        px_per_pt = fig.dpi / 72
        self.pad = 1.2 * px_per_pt
        self.axes_box = ax.get_window_extent(renderer)

        half = marker_size * px_per_pt / 2
        obs = self.to_disp(obstacles_xy) if len(obstacles_xy) else np.empty((0, 2))
        self.taken = np.column_stack([obs[:, 0] - half, obs[:, 1] - half, obs[:, 0] + half, obs[:, 1] + half])

        polys = [max(g.geoms, key=lambda p: p.area) if g.geom_type == "MultiPolygon" else g for g in d.geometry]
        circles = shapely.maximum_inscribed_circle(np.array(polys, dtype=object), tolerance=5.0)
        self.polys = polys
        self.centres = shapely.get_coordinates(shapely.get_point(circles, 0))
        self.radii = shapely.length(circles)
        self.prepared = [shapely.prepared.prep(p) for p in polys]
        self.order = sorted(range(n), key=lambda i: (not self.bold[i], self.radii[i]))
        self.angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
        self.ring_angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
        self.metres_per_px = 1.0 / abs(ax.transData.get_matrix()[0, 0])

    def measure(self, text: str, fs: float, weight: str) -> tuple[float, float]:
        """Width and height in pixels of a label."""
        t = Text(0, 0, text, fontsize=fs, fontweight=weight, ha="center", va="center", linespacing=1.0)
        t.set_figure(self.fig)
        bb = t.get_window_extent(self.renderer)
        return bb.width, bb.height

    def free(self, box: np.ndarray) -> bool:
        """Whether ``box`` lies inside the axes and keeps ``pad`` from every box taken."""
        ab, taken, pad = self.axes_box, self.taken, self.pad
        if box[0] < ab.x0 or box[2] > ab.x1 or box[1] < ab.y0 or box[3] > ab.y1:
            return False
        return not np.any((box[0] - pad < taken[:, 2]) & (box[2] + pad > taken[:, 0])
                          & (box[1] - pad < taken[:, 3]) & (box[3] + pad > taken[:, 1]))

    def inside_share(self, i: int, box: np.ndarray) -> float:
        """Share of ``box`` inside district ``i``."""
        (bx0, by0), (bx1, by1) = self.to_data([[box[0], box[1]], [box[2], box[3]]])
        b = shapely.box(bx0, by0, bx1, by1)
        if self.prepared[i].contains(b):
            return 1.0
        return self.polys[i].intersection(b).area / b.area

    def texts(self, i: int) -> list[str]:
        """The name of district ``i`` on one line and, if it can be split, on two (each with its suffix)."""
        suffix = self.suffix[i]
        extra = "\n" + wrap_chars(suffix, 18) if suffix else ""
        variants = [self.names[i] + extra]
        wrapped = wrapped_name(self.names[i])
        if wrapped:
            variants.append(wrapped + extra)
        return variants

    def candidates(self, i: int, rule: str, w: float, h: float) -> np.ndarray:
        """Label centres to try, in pixels: around the inscribed circle's centre, or on rings outside it."""
        (cx, cy), r = self.centres[i], self.radii[i]
        if rule == "leader":
            step = max(w, h) * 0.6 * self.metres_per_px
            points = [(cx + (r + k * step) * np.cos(a), cy + (r + k * step) * np.sin(a))
                      for k in range(1, 6) for a in self.ring_angles]
        else:
            points = [(cx, cy)] + [(cx + f * r * np.cos(a), cy + f * r * np.sin(a))
                                   for f in (0.3, 0.6, 0.9) for a in self.angles]
        return self.to_disp(np.array(points))

    def attempt(self, i: int, rule: str) -> tuple | None:
        """The first free spot for district ``i`` under ``rule``: (text, size, weight, x, y, box, leader)."""
        weight = "bold" if self.bold[i] else "normal"
        least = _RULE_INSIDE.get(rule)
        for fs in (self.size * f for f in _RULE_SIZES[rule]):
            for text in self.texts(i):
                w, h = self.measure(text, fs, weight)
                for px, py in self.candidates(i, rule, w, h):
                    box = np.array([px - w / 2, py - h / 2, px + w / 2, py + h / 2])
                    if not self.free(box):
                        continue
                    if least is not None and self.inside_share(i, box) < least:
                        continue
                    return (text, fs, weight, px, py, box, rule == "leader")
        return None

    def place(self) -> dict[int, tuple]:
        """Place the labels: inside or mostly inside first, then (few districts only) with leader lines."""
        placed: dict[int, tuple] = {}
        # Most constrained first: small districts take the spot inside themselves, big ones have room to move.
        for i in self.order:
            found = self.attempt(i, "inside") or self.attempt(i, "mostly")
            if found:
                placed[i] = found
                self.taken = np.vstack([self.taken, found[5][None, :]])
        # Leader lines help a few small central districts; with many districts they would criss-cross the map.
        if self.n > MAX_LEADER_DISTRICTS:
            return placed
        for i in self.order:
            if i not in placed and (found := self.attempt(i, "leader")):
                placed[i] = found
                self.taken = np.vstack([self.taken, found[5][None, :]])
        return placed

    def draw(self, placed: dict[int, tuple]) -> None:
        """Write the placed names (white halo under dark text) and their leader lines."""
        ax, to_data = self.ax, self.to_data
        halo = [patheffects.Stroke(linewidth=2.2, foreground="#ffffff")]
        for i, (text, fs, weight, px, py, box, leader) in placed.items():
            x, y = to_data([[px, py]])[0]
            if leader:
                # from the district's centre to the nearest point of the label box
                cx, cy = self.to_disp([self.centres[i]])[0]
                ex, ey = np.clip(cx, box[0], box[2]), np.clip(cy, box[1], box[3])
                (lx0, ly0), (lx1, ly1) = to_data([[cx, cy], [ex, ey]])
                ax.plot([lx0, lx1], [ly0, ly1], color="#333333", linewidth=0.5, zorder=9)
                ax.plot([lx0], [ly0], marker="o", markersize=1.6, color="#333333", zorder=9)
            # The halo is a separate path-only copy, so the name itself stays real (searchable) PDF text.
            ax.text(x, y, text, fontsize=fs, fontweight=weight, ha="center", va="center", linespacing=1.0,
                    color="#ffffff", path_effects=halo, zorder=9)
            ax.text(x, y, text, fontsize=fs, fontweight=weight, ha="center", va="center", linespacing=1.0,
                    color="#111111", zorder=10)


def reference_place_labels(fig, ax, renderer, content, result, obstacles_xy, marker_size, fontscale) -> dict:
    """The old ``drawing._place_labels``: place with :class:`ReferencePlacer`, draw, report."""
    placer = ReferencePlacer(fig, ax, renderer, content, result, obstacles_xy, marker_size, fontscale)
    placed = placer.place()
    placer.draw(placed)
    omitted = [placer.names[i] for i in range(placer.n) if i not in placed]
    return {"labelled": len(placed), "omitted": omitted}
