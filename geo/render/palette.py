"""One definition of what web and print maps share: status colours, sequential scheme, markers, scheme labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from geo.analysis.dynamics import DYNAMIC_CLASSES, overall_label
from geo.analysis.need import STATUS_CLASSES
from geo.catalog import DEFAULT_MARKER, MARKERS

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
#: The one sequential scheme of every reach map (share of people in reach), whatever the offer type:
#: ColorBrewer Purples (single hue, colour-blind safe, reads in black-and-white), light = many in reach,
#: dark = few. Offer symbols keep their catalogue colours on top; purple is none of them, and the status maps'
#: yellow-red stays reserved for need. Keyed by the number of classes, listed from the best reach to the worst.
PURPLES: Final[dict[int, list[str]]] = {
    2: ["#efedf5", "#756bb1"],
    3: ["#efedf5", "#bcbddc", "#756bb1"],
    4: ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#6a51a3"],
    5: ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"],
    6: ["#f2f0f7", "#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f"],
    7: ["#f2f0f7", "#dadaeb", "#bcbddc", "#9e9ac8", "#807dba", "#6a51a3", "#4a1486"],
}
#: Fixed class bounds of a reach map's share in reach (lower bound included) and their German labels.
REACH_BOUNDS: Final[tuple[float, ...]] = (0.25, 0.5, 0.75)
REACH_LABELS: Final[tuple[str, ...]] = ("unter 25 %", "25 bis unter 50 %", "50 bis unter 75 %", "75 % und mehr")


def reach_colors(n: int = len(REACH_LABELS)) -> list[str]:
    """Colours of ``n`` classes of a share in reach, ordered by rising share: the first (fewest reached) darkest.

    The web map and the print maps both call this for every offer type, so a class looks the same everywhere.
    """
    if n < 2:
        return [PURPLES[3][-1]] * n
    return PURPLES[min(n, max(PURPLES))][::-1]


def reach_scheme_note(people: str) -> str:
    """The reach scheme in words, for a legend or a method note: ``"dunkler = weniger Kinder in Reichweite"``."""
    return f"dunkler = weniger {people} in Reichweite"


#: Need × reach (bivariate) 3×3 scheme, indexed ``[need][reach]``: need 0–2 = "Status hoch" | "Status mittel" |
#: "Status niedrig"/"sehr niedrig", reach 0–2 = share in reach below the gap threshold | middle | good.
#: Lightness (CIELAB L*) falls along both axes – more need is warmer, less reach darker – so the corner
#: high need × low reach (the gap districts) is the darkest and the strongest alarm colour, a deep red, while
#: little need with little reach stays a muted grey-lilac. The hue of each step also carries the need, so
#: the classes stay apart in black-and-white and for colour-blind readers by lightness alone.
BIVARIATE_COLORS: Final[list[list[str]]] = [
    ["#b3b3cc", "#d9d9e6", "#f2f2f2"],  # Status hoch: reach low, middle, good
    ["#c98080", "#e0b0a0", "#f5deb3"],  # Status mittel
    ["#a50f15", "#e0603a", "#f0a040"],  # Status niedrig / sehr niedrig
]
#: Schulsozialindex 1–9 of the primary schools' markers: ColorBrewer YlGnBu with 9 classes (sequential,
#: colour-blind safe), light = low burden, dark = high. Neither the need fill (yellow-red) nor the reach scale
#: (purples), and apart from the FGZ symbol's vermilion, which stays on top of its school. Index → colour.
SOZIALINDEX_COLORS: Final[dict[int, str]] = dict(zip(range(1, 10), [
    "#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58",
], strict=True))
#: Marker fill of a school the Sozialindex list does not name ("ohne Index").
NO_INDEX_COLOR: Final[str] = "#bdbdbd"


def sozialindex_color(value: object) -> str:
    """The marker colour of a school's Sozialindex (1–9), :data:`NO_INDEX_COLOR` for none or anything else."""
    try:
        level = float(value)
    except (TypeError, ValueError):
        return NO_INDEX_COLOR
    return SOZIALINDEX_COLORS.get(int(level), NO_INDEX_COLOR) if level == level and level % 1 == 0 else NO_INDEX_COLOR


def sozialindex_label(level: int) -> str:
    """Legend text of a level: "1 (niedrig)", "5", "9 (hoch)"."""
    return {1: "1 (niedrig)", 9: "9 (hoch)"}.get(int(level), str(int(level)))


#: Fill of districts without a class (too few inhabitants, no value) on the web map.
NO_CLASS_COLOR: Final[str] = "#d9d9d9"
#: Fill of districts whose value data protection suppresses ("nicht ausgewiesen"), on screen and on paper
#: (where a grey hatch is drawn over it).
HIDDEN_COLOR: Final[str] = "#ffffff"

# The marker shapes of the offer type table (and their matplotlib codes) are the table's vocabulary: the offer
# type editor checks them too, so they are defined with the table in geo.catalog.


def marker_of(value: object) -> str:
    """The marker shape a config cell names (case and spaces ignored), else :data:`DEFAULT_MARKER`."""
    shape = str(value).strip().lower()
    return shape if shape in MARKERS else DEFAULT_MARKER


@dataclass(frozen=True)
class Scheme:
    """German names of a classification scheme."""

    label: str  # the choice in a select box ("Quantile (gleich viele Sozialräume je Klasse)")
    short: str  # in a legend subtitle or map note ("Quantile, 5 Klassen …")


#: Classification schemes for web and print maps, per mapclassify scheme ("mss" only for the status index).
SCHEMES: Final[dict[str, Scheme]] = {
    "mss": Scheme("MSS-Statusklassen", "MSS-Klassen"),
    "quantiles": Scheme("Quantile (gleich viele Sozialräume je Klasse)", "Quantile"),
    "natural_breaks": Scheme("Natürliche Brüche (Fisher-Jenks)", "Natürliche Brüche (Fisher-Jenks)"),
    "equal_interval": Scheme("Gleiche Intervalle", "Gleiche Intervalle"),
}


def scheme_labels(*, short: bool = False, status: bool = True) -> dict[str, str]:
    """Scheme key → German label (``short``: the legend/note name); ``status=False`` leaves out "mss"."""
    return {k: s.short if short else s.label for k, s in SCHEMES.items() if status or k != "mss"}


#: Change of a share in reach between two analyses (the difference map of a scenario comparison): ColorBrewer BrBG
#: with 5 classes (diverging, colour-blind safe), brown = fewer in reach, grey = unchanged, teal = more. Neither the
#: need fill (yellow-red) nor the reach scale (purples). Listed from the largest loss to the largest gain.
DIVERGING: Final[list[str]] = ["#a6611a", "#dfc27d", "#f5f5f5", "#80cdc1", "#018571"]
#: Class bounds of that change in percentage points (upper bounds of the first four classes; a change whose
#: size is below the middle bound counts as unchanged).
CHANGE_BOUNDS_PP: Final[tuple[float, float]] = (10.0, 0.5)
#: Legend of the difference map, in the order of :data:`DIVERGING`.
CHANGE_LABELS: Final[tuple[str, ...]] = (
    "weniger in Reichweite: über 10 Prozentpunkte", "weniger in Reichweite: bis 10 Prozentpunkte", "unverändert",
    "mehr in Reichweite: bis 10 Prozentpunkte", "mehr in Reichweite: über 10 Prozentpunkte",
)
#: Symbols of changed offers on the comparison maps: (marker shape, colour) for a new, a closed and a moved offer
#: (Okabe–Ito blue, vermilion, reddish purple: apart from the diverging fill and from each other).
OFFER_CHANGE_SYMBOLS: Final[dict[str, tuple[str, str]]] = {
    "new": ("plus", "#0072B2"), "closed": ("cross", "#D55E00"), "moved": ("diamond", "#CC79A7"),
}


#: Dynamik classes of the MSS (:mod:`geo.analysis.dynamics`): ColorBrewer BrBG with 3 classes, teal = the situation
#: improves, grey = stable, brown = it gets worse (brown means "worse" as on the difference map).
DYNAMIC_COLORS: Final[dict[str, str]] = dict(zip(DYNAMIC_CLASSES, ["#5ab4ac", "#f5f5f5", "#d8b365"], strict=True))


def _mix(color: str, other: str, share: float) -> str:
    """``color`` mixed with ``other`` (``share`` of it), as ``#rrggbb``."""
    a = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + share * (y - x)):02x}" for x, y in zip(a, b, strict=True))


#: The Gesamtindex (status × dynamik, :data:`geo.analysis.dynamics.OVERALL_CLASSES`) as a 4 × 3 grid: the status
#: colour (rows hoch … sehr niedrig) paled for a positive dynamik, as it is for a stable one, darkened for a
#: negative one. Rows of the legend = status classes, columns = dynamik classes.
OVERALL_GRID: Final[list[list[str]]] = [
    [_mix(STATUS_COLORS[s], "#ffffff", 0.55), STATUS_COLORS[s], _mix(STATUS_COLORS[s], "#3b0f0f", 0.35)]
    for s in STATUS_CLASSES
]
OVERALL_COLORS: Final[dict[str, str]] = {
    overall_label(s, d): OVERALL_GRID[i][j] for i, s in enumerate(STATUS_CLASSES) for j, d in enumerate(DYNAMIC_CLASSES)
}

#: Outline of the districts "mit besonderem Aufmerksamkeitsbedarf" (:func:`geo.analysis.dynamics.needs_attention`)
#: on the Dynamik and Gesamtindex maps: a solid dark blue (the gap outline is dashed black), apart from every fill.
ATTENTION_COLOR: Final[str] = "#08306b"


def change_class(change_pp: float) -> int:
    """Class of a change of the share in reach (percentage points) in :data:`DIVERGING`; -1 for no value."""
    if change_pp != change_pp:
        return -1
    big, small = CHANGE_BOUNDS_PP
    if abs(change_pp) < small:
        return 2
    if change_pp < 0:
        return 0 if change_pp < -big else 1
    return 4 if change_pp > big else 3
