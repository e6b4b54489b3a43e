"""The parts a print map's content is made of: fill styles, legend entries and sections, offer layers, the content.

:mod:`geo.render.print.content` and :mod:`geo.render.print.content_dynamics` build a :class:`MapContent` from them;
:mod:`geo.render.print.drawing` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import geopandas as gpd
import numpy as np

from geo.render.palette import HIDDEN_COLOR

NEUTRAL: Final[str] = "#f2f2f2"
BORDER: Final[str] = "#8a8a8a"
EMPHASIS: Final[str] = "#000000"


@dataclass(frozen=True)
class Style:
    """How a district or legend patch is filled."""

    face: str
    edge: str = BORDER
    hatch: str | None = None


NOT_CLASSIFIED_STYLE = Style("#ffffff", "#9a9a9a", "/////")
HIDDEN_STYLE = Style(HIDDEN_COLOR, "#9a9a9a", "xxxx")
NO_VALUE_STYLE = Style("#e3e3e3")


@dataclass(frozen=True)
class LegendItem:
    """One legend entry: a filled patch, a marker or a line."""

    label: str
    style: Style | None = None
    marker: str | None = None
    color: str = "#000000"
    line: str | None = None
    linewidth: float = 1.0
    alpha: float = 1.0


@dataclass(frozen=True)
class LegendSection:
    """A titled group of legend entries."""

    title: str
    items: list[LegendItem]


@dataclass(frozen=True)
class OfferLayer:
    """Offers of one type as drawn: points, marker, colour, and optionally their reach area."""

    offer_type: str
    points: gpd.GeoDataFrame
    marker: str
    color: str
    reach: object | None = None  # shapely geometry
    reach_filled: bool = True


@dataclass
class MapContent:
    """What one map shows; built by :func:`map_content`, drawn by :func:`draw_map` and :func:`draw_legend`."""

    kind: str
    title: str
    method: str
    styles: list[Style]
    sections: list[LegendSection]
    offers: list[OfferLayer] = field(default_factory=list)
    emphasis: np.ndarray | None = None
    emphasis_label: str = ""
    bold: np.ndarray | None = None
    label_suffix: list[str] | None = None
    bivariate: dict | None = None
    #: The key drawn above the legend sections instead of (or besides) entries: a 4 × 3 Gesamtindex grid or a note
    #: (:mod:`geo.render.print.overall_key`).
    grid: dict | None = None
    notes: list[str] = field(default_factory=list)
