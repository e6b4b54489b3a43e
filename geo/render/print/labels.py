"""District names on a print map: greedy placement clear of each other and of offer symbols, spatially indexed.

The placement is the greedy one the maps have always had (see :func:`place_labels`); what makes it usable at
thousands of districts is only how the tests are done, never what they decide:

- the boxes already taken sit in a grid of buckets (:class:`BoxGrid`), so a candidate is tested against its
  neighbours instead of every label placed so far;
- the up to 25 candidates of one label form are tested at once (numpy for the free test, one vectorised shapely
  call for the share inside the district);
- a label form whose box is larger than its district allows (the share inside can never reach the rule's least
  share, because the district's area is smaller) is not tried at all; before its text is measured, an estimate of
  its width from per-glyph widths (:class:`GlyphWidths`) decides, with a safety margin.

``tests/label_reference.py`` keeps the old implementation; the tests assert that both give exactly the same labels
at the same positions on the demo and on seeded random layouts.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text

from geo import settings
from geo.render.print.kit import wrap_chars

#: Up to this many districts, names that fit nowhere inside get a leader line; above, they stay off.
MAX_LEADER_DISTRICTS: Final[int] = 80
#: Label sizes tried per placement rule, as factors of the base size.
RULE_SIZES: Final[dict[str, tuple[float, ...]]] = {"inside": (1.0,), "mostly": (1.0, 0.86, 0.76), "leader": (0.86,)}
#: Least share of the label box inside its district, per rule (leader labels sit outside).
RULE_INSIDE: Final[dict[str, float]] = {"inside": 0.9, "mostly": 0.6}
#: The width estimate from single glyphs (each less one pixel of hinting round-up) times this is below the
#: measured width of every text tried (worst seen: 0.95 for "P." in bold, strong kerning); tests assert it.
WIDTH_SAFETY: Final[float] = 0.7
#: Relative slack for rounding when the exact area test rules a label form out.
AREA_SLACK: Final[float] = 1e-6


def label_size(n: int, fontscale: float) -> float:
    """Base font size (pt) of district names on a map of ``n`` districts."""
    base = 6.3 if n >= 40 else 7.2 if n >= 15 else 8.5
    return base * fontscale


def wrapped_name(name: str) -> str | None:
    """Two-line variant of a district name, split at the space or hyphen nearest the middle."""
    cuts = [i for i, c in enumerate(name) if c in " -"]
    if not cuts:
        return None
    i = min(cuts, key=lambda j: abs(j - len(name) / 2))
    return (name[: i + 1] if name[i] == "-" else name[:i]) + "\n" + name[i + 1:]


class GlyphWidths:
    """A lower estimate of a text's width in pixels from the widths of its glyphs, each measured once.

    Measuring a whole label costs a text layout (about 0.3 ms); at thousands of districts most labels are far too
    big for their district, which this estimate shows for the price of a dictionary look-up per character.
    """

    def __init__(self, renderer):
        self.renderer = renderer
        self._widths: dict[tuple[float, str], dict[str, float]] = {}

    def width(self, text: str, size: float, weight: str) -> float:
        """Estimated width of the widest line of ``text``: at most :data:`WIDTH_SAFETY` × too wide."""
        table = self._widths.setdefault((size, weight), {})
        widest = 0.0
        for line in text.split("\n"):
            total = 0.0
            for char in line:
                w = table.get(char)
                if w is None:
                    props = FontProperties(size=size, weight=weight)
                    w = table[char] = self.renderer.get_text_width_height_descent(char, props, ismath=False)[0]
                total += max(w - 1.0, 0.0)
            widest = max(widest, total)
        return WIDTH_SAFETY * widest


class BoxGrid:
    """Axis-aligned boxes (pixels) in square buckets, for "does anything taken come within ``pad`` of this box?"."""

    def __init__(self, cell: float, pad: float):
        self.cell, self.pad = cell, pad
        self.boxes = np.empty((64, 4))
        self.count = 0
        self.buckets: dict[tuple[int, int], list[int]] = {}

    def _cells(self, x0: float, y0: float, x1: float, y1: float):
        c = self.cell
        for ix in range(math.floor(x0 / c), math.floor(x1 / c) + 1):
            for iy in range(math.floor(y0 / c), math.floor(y1 / c) + 1):
                yield ix, iy

    def add(self, box: np.ndarray) -> None:
        """Take ``box`` (x0, y0, x1, y1)."""
        if self.count == len(self.boxes):
            self.boxes = np.concatenate([self.boxes, np.empty_like(self.boxes)])
        k = self.count
        self.boxes[k] = box
        self.count += 1
        for key in self._cells(*box):
            self.buckets.setdefault(key, []).append(k)

    def free(self, boxes: np.ndarray) -> np.ndarray:
        """Per row of ``boxes``: whether it keeps ``pad`` from every box taken (the old linear test, exactly)."""
        pad = self.pad
        x0, y0 = boxes[:, 0].min() - pad, boxes[:, 1].min() - pad
        x1, y1 = boxes[:, 2].max() + pad, boxes[:, 3].max() + pad
        near = sorted({k for key in self._cells(x0, y0, x1, y1) for k in self.buckets.get(key, ())})
        if not near:
            return np.ones(len(boxes), dtype=bool)
        t = self.boxes[near]
        hit = ((boxes[:, 0, None] - pad < t[None, :, 2]) & (boxes[:, 2, None] + pad > t[None, :, 0])
               & (boxes[:, 1, None] - pad < t[None, :, 3]) & (boxes[:, 3, None] + pad > t[None, :, 1]))
        return ~hit.any(axis=1)


class LabelPlacer:
    """State of one greedy label placement: the districts' label spots and the boxes already taken (pixels)."""

    def __init__(self, fig, ax, renderer, content, result, obstacles_xy: np.ndarray, marker_size: float,
                 fontscale: float):
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
        matrix = ax.transData.get_matrix()
        self.metres_per_px = 1.0 / abs(matrix[0, 0])
        # a box of w × h pixels covers w × h × this in square metres
        self.px_area = self.metres_per_px / abs(matrix[1, 1])

        # buckets about two label lines high: a candidate box meets a handful of them
        self.taken = BoxGrid(cell=max(4.0, 2.5 * self.size * px_per_pt), pad=self.pad)
        half = marker_size * px_per_pt / 2
        obs = self.to_disp(obstacles_xy) if len(obstacles_xy) else np.empty((0, 2))
        for box in np.column_stack([obs[:, 0] - half, obs[:, 1] - half, obs[:, 0] + half, obs[:, 1] + half]):
            self.taken.add(box)

        polys = [max(g.geoms, key=lambda p: p.area) if g.geom_type == "MultiPolygon" else g for g in d.geometry]
        self.polys = np.array(polys, dtype=object)
        circles = shapely.maximum_inscribed_circle(self.polys, tolerance=5.0)
        self.centres = shapely.get_coordinates(shapely.get_point(circles, 0))
        self.radii = shapely.length(circles)
        self.areas = shapely.area(self.polys)
        self.order = sorted(range(n), key=lambda i: (not self.bold[i], self.radii[i]))
        self.angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
        self.ring_angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
        self.glyphs = GlyphWidths(renderer)
        self._measured: dict[tuple[str, float, str], tuple[float, float]] = {}
        self._line_height: dict[tuple[float, str], float] = {}
        self._prepared: set[int] = set()

    def measure(self, text: str, fs: float, weight: str) -> tuple[float, float]:
        """Width and height in pixels of a label."""
        key = (text, fs, weight)
        if key not in self._measured:
            t = Text(0, 0, text, fontsize=fs, fontweight=weight, ha="center", va="center", linespacing=1.0)
            t.set_figure(self.fig)
            bb = t.get_window_extent(self.renderer)
            self._measured[key] = (bb.width, bb.height)
        return self._measured[key]

    def line_height(self, fs: float, weight: str) -> float:
        """Height in pixels of one line of a label (with line spacing 1 every line is as high)."""
        key = (fs, weight)
        if key not in self._line_height:
            self._line_height[key] = self.measure("x", fs, weight)[1]
        return self._line_height[key]

    def too_big(self, i: int, text: str, fs: float, weight: str, least: float, exact: bool) -> bool:
        """Whether no box of this label form can be ``least`` inside district ``i``: its area is too small.

        The share inside is the intersection's area over the box's, and the intersection is no larger than the
        district; so a district smaller than ``least`` × box never takes the label. ``exact`` uses the measured
        box; otherwise the glyph estimate (never wider than the real label, see :data:`WIDTH_SAFETY`).
        """
        if exact:
            w, h = self.measure(text, fs, weight)
        else:
            w = self.glyphs.width(text, fs, weight)
            h = self.line_height(fs, weight) * (text.count("\n") + 1)
        return self.areas[i] < least * w * h * self.px_area * (1 - AREA_SLACK)

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

    def first_inside(self, i: int, boxes: np.ndarray, least: float) -> int | None:
        """Index of the first box (pixels) with at least ``least`` of it inside district ``i``, or ``None``.

        A box wholly inside counts 1 (the containment test is cheap on the prepared district); the overlay that
        measures a partial share is computed only for the boxes before the first one wholly inside.
        """
        if i not in self._prepared:
            shapely.prepare(self.polys[i])
            self._prepared.add(i)
        corners = self.to_data(np.concatenate([boxes[:, :2], boxes[:, 2:]]))
        lower, upper = corners[: len(boxes)], corners[len(boxes):]
        b = shapely.box(lower[:, 0], lower[:, 1], upper[:, 0], upper[:, 1])
        poly = self.polys[i]
        inside = shapely.contains(poly, b)
        end = int(np.argmax(inside)) if inside.any() else len(boxes)
        if end:
            before = b[:end]
            shares = shapely.area(shapely.intersection(poly, before)) / shapely.area(before)
            hits = np.flatnonzero(shares >= least)
            if len(hits):
                return int(hits[0])
        return end if end < len(boxes) else None

    def attempt(self, i: int, rule: str) -> tuple | None:
        """The first free spot for district ``i`` under ``rule``: (text, size, weight, x, y, box, leader)."""
        weight = "bold" if self.bold[i] else "normal"
        least = RULE_INSIDE.get(rule)
        ab = self.axes_box
        for fs in (self.size * f for f in RULE_SIZES[rule]):
            for text in self.texts(i):
                if least is not None and (self.too_big(i, text, fs, weight, least, exact=False)
                                          or self.too_big(i, text, fs, weight, least, exact=True)):
                    continue
                w, h = self.measure(text, fs, weight)
                centres = self.candidates(i, rule, w, h)
                boxes = np.column_stack([centres[:, 0] - w / 2, centres[:, 1] - h / 2,
                                         centres[:, 0] + w / 2, centres[:, 1] + h / 2])
                ok = ((boxes[:, 0] >= ab.x0) & (boxes[:, 2] <= ab.x1)
                      & (boxes[:, 1] >= ab.y0) & (boxes[:, 3] <= ab.y1))
                if ok.any():
                    ok[ok] = self.taken.free(boxes[ok])
                hits = np.flatnonzero(ok)
                if least is not None and len(hits):
                    first = self.first_inside(i, boxes[hits], least)
                    hits = hits[first:first + 1] if first is not None else hits[:0]
                if len(hits):
                    k = hits[0]
                    return (text, fs, weight, centres[k, 0], centres[k, 1], boxes[k], rule == "leader")
        return None

    def place(self) -> dict[int, tuple]:
        """Place the labels: inside or mostly inside first, then (few districts only) with leader lines."""
        placed: dict[int, tuple] = {}
        # Most constrained first: small districts take the spot inside themselves, big ones have room to move.
        for i in self.order:
            found = self.attempt(i, "inside") or self.attempt(i, "mostly")
            if found:
                placed[i] = found
                self.taken.add(found[5])
        # Leader lines help a few small central districts; with many districts they would criss-cross the map.
        if self.n > MAX_LEADER_DISTRICTS:
            return placed
        for i in self.order:
            if i not in placed and (found := self.attempt(i, "leader")):
                placed[i] = found
                self.taken.add(found[5])
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


def place_labels(fig, ax, renderer, content, result, obstacles_xy: np.ndarray, marker_size: float,
                 fontscale: float) -> dict:
    """Greedy label placement: names inside their district, never over another name or an offer symbol.

    Districts are taken in order (emphasised first, then the smallest inscribed circle). Pass 1 wants the label
    box at least 90 % inside the district, pass 2 accepts 60 % and a smaller or two-line form, pass 3 (up to
    :data:`MAX_LEADER_DISTRICTS` districts) puts the name nearby outside the district with a thin leader line. A
    name that fits nowhere stays off and is reported: ``{"labelled": n, "omitted": [names]}``.
    """
    placer = LabelPlacer(fig, ax, renderer, content, result, obstacles_xy, marker_size, fontscale)
    placed = placer.place()
    placer.draw(placed)
    omitted = [placer.names[i] for i in range(placer.n) if i not in placed]
    return {"labelled": len(placed), "omitted": omitted}
