"""HTML pieces of the web map: escaping of user text, safe colours and the offer symbols as inline SVG."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from typing import Final

import numpy as np

from geo.render.palette import marker_of

_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
#: Colour of offer types the table does not know or whose colour is not ``#rgb``/``#rrggbb``.
FALLBACK_COLOR: Final[str] = "#555555"
#: Room left around a symbol for its white halo, in pixels.
_HALO: Final[float] = 3.0


def esc(value: object) -> str:
    """HTML-escape any user-supplied value (names, addresses, labels from config tables); ``None``/NaN → ``""``."""
    return html.escape("" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value))


def safe_color(value: object) -> str:
    """A colour from a config table as ``#rgb``/``#rrggbb``; anything else (it lands in SVG/CSS) is replaced."""
    text = str(value).strip()
    return text if _COLOR.match(text) else FALLBACK_COLOR


def _polygon(points: list[tuple[float, float]]) -> str:
    return '<polygon points="' + " ".join(f"{round(x, 2)},{round(y, 2)}" for x, y in points) + '"/>'


def _star_points(c: float, radii: list[float], turn: float = 0.0) -> list[tuple[float, float]]:
    """Vertices around (c, c), the first straight above the centre (after ``turn`` radians), radii in turn."""
    n = len(radii)
    return [(c + r * math.sin(turn + 2 * math.pi * i / n), c - r * math.cos(turn + 2 * math.pi * i / n))
            for i, r in enumerate(radii)]


def _square(s: float, m: float, c: float) -> str:
    return f'<rect x="{m}" y="{m}" width="{s - 2 * m}" height="{s - 2 * m}"/>'


def _triangle(s: float, m: float, c: float) -> str:
    return f'<polygon points="{c},{m - 0.5} {s - m + 0.5},{s - m} {m - 0.5},{s - m}"/>'


def _diamond(s: float, m: float, c: float) -> str:
    return f'<polygon points="{c},{m - 1} {s - m + 1},{c} {c},{s - m + 1} {m - 1},{c}"/>'


def _circle(s: float, m: float, c: float) -> str:
    return f'<circle cx="{c}" cy="{c}" r="{c - m}"/>'


def _plus_points(s: float, m: float) -> list[tuple[float, float]]:
    a, b = s * 0.36, s * 0.64
    return [(a, m), (b, m), (b, a), (s - m, a), (s - m, b), (b, b), (b, s - m), (a, s - m), (a, b), (m, b),
            (m, a), (a, a)]


def _plus(s: float, m: float, c: float) -> str:
    return _polygon(_plus_points(s, m))


def _cross(s: float, m: float, c: float) -> str:
    """The plus turned by 45° (matplotlib's filled ``X``)."""
    turn = math.cos(math.pi / 4)
    return _polygon([(c + (x - c - (y - c)) * turn, c + (x - c + y - c) * turn) for x, y in _plus_points(s, m)])


def _star(s: float, m: float, c: float) -> str:
    r = c - m + 1
    return _polygon(_star_points(c, [r, 0.45 * r] * 5))


def _pentagon(s: float, m: float, c: float) -> str:
    return _polygon(_star_points(c, [c - m + 0.5] * 5))


def _hexagon(s: float, m: float, c: float) -> str:
    return _polygon(_star_points(c, [c - m + 0.3] * 6))  # a vertex on top, like matplotlib's "h"


#: How each shape of :data:`geo.render.palette.MARKERS` is drawn in a box of size ``s``, halo ``m``, centre ``c``.
_SHAPES: Final[dict[str, Callable[[float, float, float], str]]] = {
    "square": _square, "triangle": _triangle, "diamond": _diamond, "circle": _circle, "plus": _plus,
    "star": _star, "cross": _cross, "pentagon": _pentagon, "hexagon": _hexagon,
}


def marker_svg(shape: str, color: str, size: int = 18) -> str:
    """Inline SVG of an offer symbol: a filled shape with a dark outline on a white halo (readable on any fill).

    Parameters
    ----------
    shape
        A shape of :data:`geo.render.palette.MARKERS` (the print maps draw the same); any other is a circle.
    color
        Fill colour; anything but ``#rgb``/``#rrggbb`` becomes :data:`FALLBACK_COLOR`.
    size
        Width and height in pixels.
    """
    color = safe_color(color)
    body = _SHAPES[marker_of(shape)](size, _HALO, size / 2)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}" '
        f'aria-hidden="true"><g fill="#fff" stroke="#fff" stroke-width="4" stroke-linejoin="round">{body}</g>'
        f'<g fill="{color}" stroke="#1a1a1a" stroke-width="1.2" stroke-linejoin="round">{body}</g></svg>'
    )
