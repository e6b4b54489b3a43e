"""One definition of what web and print maps share: status colours, sequential scheme, markers, scheme labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from geo.analysis.need import STATUS_CLASSES

#: ColorBrewer YlOrRd (sequential, colour-blind safe per colorbrewer2.org): light = less need, dark = more.
YLORRD: Final[dict[int, list[str]]] = {
    2: ["#ffeda0", "#f03b20"],
    3: ["#ffeda0", "#feb24c", "#f03b20"],
    4: ["#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"],
    5: ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
    6: ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"],
    7: ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"],
}
#: MSS status classes, light = good status, on screen and on paper alike.
STATUS_COLORS: Final[dict[str, str]] = dict(zip(STATUS_CLASSES, YLORRD[4], strict=True))
#: Fill of districts without a class (too few inhabitants, no value) on the web map.
NO_CLASS_COLOR: Final[str] = "#d9d9d9"
#: Fill of districts whose value data protection suppresses ("nicht ausgewiesen"), on screen and on paper
#: (where a grey hatch is drawn over it).
HIDDEN_COLOR: Final[str] = "#ffffff"

#: Marker shapes the offer type table may name, with their matplotlib marker code; anything else is a circle.
MARKERS: Final[dict[str, str]] = {
    "square": "s", "triangle": "^", "diamond": "D", "circle": "o", "plus": "P", "star": "*", "cross": "X",
    "pentagon": "p", "hexagon": "h",
}
DEFAULT_MARKER: Final[str] = "circle"


def marker_of(value: object) -> str:
    """The marker shape a config cell names (case and spaces ignored), else :data:`DEFAULT_MARKER`."""
    shape = str(value).strip().lower()
    return shape if shape in MARKERS else DEFAULT_MARKER


@dataclass(frozen=True)
class Scheme:
    """German names of a classification scheme."""

    label: str  # the choice in a select box ("Quantile (gleich viele Bezirke je Klasse)")
    short: str  # in a legend subtitle or map note ("Quantile, 5 Klassen …")


#: Classification schemes for web and print maps, per mapclassify scheme ("mss" only for the status index).
SCHEMES: Final[dict[str, Scheme]] = {
    "mss": Scheme("MSS-Statusklassen", "MSS-Klassen"),
    "quantiles": Scheme("Quantile (gleich viele Bezirke je Klasse)", "Quantile"),
    "natural_breaks": Scheme("Natürliche Brüche (Fisher-Jenks)", "Natürliche Brüche (Fisher-Jenks)"),
    "equal_interval": Scheme("Gleiche Intervalle", "Gleiche Intervalle"),
}


def scheme_labels(*, short: bool = False, status: bool = True) -> dict[str, str]:
    """Scheme key → German label (``short``: the legend/note name); ``status=False`` leaves out "mss"."""
    return {k: s.short if short else s.label for k, s in SCHEMES.items() if status or k != "mss"}
