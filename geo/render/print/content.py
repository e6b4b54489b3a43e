"""What a print map shows: fill per district, legend sections and offer layers, built per kind from a map spec.

:func:`map_content` turns an analysis :class:`~geo.analysis.Result` into a :class:`MapContent` without computing any
indicator; :mod:`geo.render.print.drawing` draws it and :mod:`geo.render.print.sheet` lays it out on paper.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Final

import matplotlib as mpl
import numpy as np
import pandas as pd
import shapely

from geo import crs, settings
from geo.analysis import Result, column
from geo.analysis.classify import classify_values
from geo.analysis.need import CLASS_BOUNDS, IN_NEED_CLASSES, NOT_CLASSIFIED, STATUS_CLASSES
from geo.analysis.protect import district_codes
from geo.dataset import Dataset
from geo.formatting import format_distance, format_number
from geo.render import reach_words
from geo.render.palette import (
    BIVARIATE_COLORS,
    MARKERS,
    REACH_BOUNDS,
    REACH_LABELS,
    STATUS_COLORS,
    marker_of,
    reach_colors,
    reach_scheme_note,
    scheme_labels,
)
from geo.render.print.content_base import (  # re-exported: the parts of every map's content
    EMPHASIS,
    HIDDEN_STYLE,
    NEUTRAL,
    NO_VALUE_STYLE,
    NOT_CLASSIFIED_STYLE,
    LegendItem,
    LegendSection,
    MapContent,
    OfferLayer,
    Style,
)
from geo.render.print.content_dynamics import DYNAMIC_BUILDERS, DYNAMIC_KINDS
from geo.render.print.kit import wrap_chars
from geo.render.provenance import min_inhabitants

KINDS: Final[dict[str, str]] = {
    "status": "Soziale Lage (Statusklassen)",
    **DYNAMIC_KINDS,
    "indicator": "Einzelner Indikator",
    "offers": "Angebote mit Reichweite",
    "reach": "Reichweite einer Angebotsart",
    "bivariate": "Bedarf × Reichweite (bivariat)",
    "gaps": "Versorgungslücken",
}
#: Kinds that need one offer type (the others take one type or all).
KINDS_NEEDING_TYPE: Final[frozenset[str]] = frozenset({"reach", "bivariate"})
SCHEMES: Final[dict[str, str]] = scheme_labels(short=True, status=False)

#: Share of children in reach from which the need × reach map calls a district well reached.
REACH_GOOD: Final[float] = 0.8
NEED_TINT: Final[str] = "#f6e3bd"
#: Need districts on the offers map: grey, so that the reach areas' colours stay readable on top.
NEED_GREY: Final[str] = "#cfcfcf"
GAP_COLORS: Final[list[str]] = ["#fb6a4a", "#cb181d", "#67000d"]
#: Hatch of a district with gaps for 1, 2, 3 … offer types, so that the gaps map reads in black-and-white too.
GAP_HATCHES: Final[list[str | None]] = [None, "////", "xxxx"]
#: Hatch colour (the patch edge) of gap districts: white reads on every red.
GAP_EDGE: Final[str] = "#ffffff"
def indicator_choices(dataset: Dataset, result: Result) -> dict[str, str]:
    """Map variables for kind ``"indicator"``: column of ``result.districts`` → German label."""
    out = {"status_index": "Statusindex (soziale Lage)"}
    for key in result.weights:
        out[key] = _indicator_label(dataset, key)
    for t in result.offer_types:
        short = dataset.type_labels(t).short
        p = reach_words.target(result, t)
        out[column("share_in_reach", t)] = f"{short}: Anteil {p.genitive} in Reichweite"
        out[column("median_distance_m", t)] = f"{short}: Medianweg {p.genitive}"
        out[column("without_reach", t)] = f"{short}: {p.plural} ohne Angebot in Reichweite"
    return out



def bivariate_classes(result: Result, offer_type: str) -> pd.DataFrame:
    """Classes for the need × reach map, one row per district of ``result.districts``.

    Fixed, explainable bounds instead of terciles: ``need`` 0–2 is the MSS status (``Status hoch`` |
    ``Status mittel`` | ``Status niedrig``/``sehr niedrig``, i.e. the districts in need); ``reach`` 0–2 is the
    share of children within the radius (below the gap threshold | up to :data:`REACH_GOOD` | from
    :data:`REACH_GOOD`). So the darkest corner, high need × few reached, holds exactly the gap districts.
    ``state``: ``"ok"``, ``"not_classified"``, ``"hidden"`` (data protection) or ``"no_value"``. ``attrs``
    holds the class bounds ``need_bins`` (status index) and ``reach_bins`` (shares).
    """
    d = result.districts
    codes = district_codes(result)
    share = d[column("share_in_reach", offer_type)].to_numpy(dtype=float)
    classified = d["classified"].to_numpy(dtype=bool) & np.isfinite(d["status_index"].to_numpy(dtype=float))
    hidden = (codes[column("share_in_reach", offer_type)] != "").to_numpy()
    has_share = np.isfinite(share) & ~hidden
    status = d["status_class"].to_numpy()
    need = np.where(np.isin(status, IN_NEED_CLASSES), 2, np.where(status == STATUS_CLASSES[1], 1, 0))
    need = np.where(classified, need, -1)
    reach_bins = [result.max_share_in_reach, REACH_GOOD]
    reach = np.where(has_share, np.searchsorted(reach_bins, np.nan_to_num(share), side="right"), -1)
    state = np.where(~classified, "not_classified", np.where(hidden, "hidden", np.where(~has_share, "no_value", "ok")))
    out = pd.DataFrame({"need": need, "reach": reach, "state": state}, index=d.index)
    out.attrs["need_bins"] = [CLASS_BOUNDS[0], CLASS_BOUNDS[1]]
    out.attrs["reach_bins"] = reach_bins
    return out


def _indicator_label(dataset: Dataset, key: str) -> str:
    defs = dataset.indicator_definitions
    return str(defs.at[key, "label"]) if key in defs.index else key


def _need_note(dataset: Dataset, result: Result) -> str:
    return ", ".join(f"{_indicator_label(dataset, k)} ×{format_number(w, 1)}" for k, w in result.weights.items())


def _status_legend(result: Result, counts: pd.Series) -> list[LegendItem]:
    low, high, very = (format_number(b, 1) for b in CLASS_BOUNDS)
    ranges = [f"Index unter {low}", f"{low} bis unter {high}", f"{high} bis unter {very}", f"{very} und mehr"]
    items = [
        LegendItem(f"{cls} ({rng}; {int(counts.get(cls, 0))})", STATUS_COLORS_STYLE[cls])
        for cls, rng in zip(STATUS_CLASSES, ranges, strict=True)
    ]
    n_nc = int(counts.get(NOT_CLASSIFIED, 0))
    if n_nc:
        items.append(_not_classified_item(result, n_nc))
    return items


STATUS_COLORS_STYLE: Final[dict[str, Style]] = {k: Style(v) for k, v in STATUS_COLORS.items()}


def _not_classified_item(result: Result, n: int) -> LegendItem:
    return LegendItem(f"nicht klassifiziert (unter {min_inhabitants(result)} Einwohnern; {n})", NOT_CLASSIFIED_STYLE)


def _offer_layers(
    dataset: Dataset, result: Result, types: list[str], *, reach: bool, filled: bool, outline
) -> list[OfferLayer]:
    offers = crs.to_metric(dataset.offers, name="Angebote")
    layers = []
    for t in types:
        points = offers[offers[settings.OFFER_TYPE] == t]
        if t in dataset.offer_types.index:
            row = dataset.offer_types.loc[t]
            marker, color = MARKERS[marker_of(row["marker"])], str(row["color"])
        else:
            marker, color = "o", "#555555"
        area = None
        if reach and t in result.radii and len(points):
            circles = shapely.buffer(points.geometry.to_numpy(), result.radii[t], quad_segs=24)
            area = shapely.intersection(shapely.union_all(circles), outline)
        layers.append(OfferLayer(t, points, marker, color, area, filled))
    return layers


def _offer_items(dataset: Dataset, result: Result, layers: list[OfferLayer]) -> list[LegendItem]:
    items = []
    for layer in layers:
        n = len(layer.points)
        items.append(LegendItem(f"{dataset.type_labels(layer.offer_type).plural} ({n})", marker=layer.marker,
                                color=layer.color))
        if layer.reach is not None:
            radius = format_distance(result.radii[layer.offer_type])
            items.append(LegendItem(
                f"Reichweite {radius} Luftlinie ({dataset.type_labels(layer.offer_type).short})",
                Style(layer.color if layer.reach_filled else "none", layer.color),
                line="--", alpha=0.22 if layer.reach_filled else 1.0,
            ))
    return items


def _classified_fill(
    values: np.ndarray, usable: np.ndarray, *, scheme: str, k: int, cmap: str, decimals: int, unit: str, scale: float
) -> tuple[list[Style | None], list[LegendItem], str]:
    """Colour classes for ``values`` where ``usable``; returns styles (None elsewhere), legend items, note."""
    styles: list[Style | None] = [None] * len(values)
    if not usable.any():
        return styles, [], "keine Werte"
    v = values[usable]
    bins = classify_values(v, scheme, k)[1]
    classes = np.searchsorted(bins, values, side="left").clip(0, len(bins) - 1)
    if cmap == "reach":  # a share in reach: the one reach scheme (rising share, lighter)
        colours = reach_colors(max(len(bins), 2))
    else:
        colours = [mpl.colors.to_hex(c) for c in mpl.colormaps[cmap](np.linspace(0.15, 0.85, max(len(bins), 2)))]
    if len(bins) == 1:
        colours = [colours[-1]]
    items = []
    lower = v.min()
    for i, upper in enumerate(bins):
        count = int((classes[usable] == i).sum())
        lo = format_number(lower * scale, decimals)
        hi = format_number(upper * scale, decimals, unit=unit)
        if i == 0:
            label = hi if lo == format_number(upper * scale, decimals) else f"{lo} – {hi}"
        else:  # upper bounds are inclusive: the next class starts above them
            label = f"über {lo} – {hi}"
        items.append(LegendItem(f"{label} ({count})", Style(colours[i])))
        lower = upper
    for j in np.flatnonzero(usable):
        styles[j] = Style(colours[classes[j]])
    n_classes = len(bins)
    note = (f"{SCHEMES[scheme]}, {n_classes} Klassen aus den Werten von {int(usable.sum())} Sozialräumen "
            "(obere Grenze eingeschlossen)")
    return styles, items, note


def _share_fill(share: np.ndarray, usable: np.ndarray) -> tuple[list[Style | None], list[LegendItem]]:
    """Fixed quarter classes of a share (lower bound included) in the one reach scheme of every offer type."""
    colours = reach_colors(len(REACH_LABELS))  # by rising share: darker = fewer people reached
    classes = np.digitize(np.nan_to_num(share), REACH_BOUNDS)
    styles: list[Style | None] = [Style(colours[c]) if u else None for c, u in zip(classes, usable, strict=True)]
    items = [LegendItem(f"{lab} ({int((classes[usable] == i).sum())})", Style(colours[i]))
             for i, lab in enumerate(REACH_LABELS)]
    return styles, items


def _variable(dataset: Dataset, result: Result, name: str) -> dict:
    """Label, unit, scale, decimals, colour map and whether it is a need variable, for an indicator map."""
    p = result.population
    for t in result.offer_types:
        short = dataset.type_labels(t).short
        p = reach_words.target(result, t)
        if name == column("share_in_reach", t):
            return dict(label=f"Anteil {p.genitive} {reach_words.within(result, t, short)}", unit="%", scale=100,
                        decimals=0, cmap="reach", need=False)
        if name == column("median_distance_m", t):
            return dict(label=f"Medianweg {p.genitive} zum nächsten {short}", unit="m", scale=1, decimals=0,
                        cmap="YlOrBr", need=False)
        if name == column("without_reach", t):
            return dict(label=f"{p.plural} ohne {short} in Reichweite", unit="", scale=1, decimals=0,
                        cmap="YlOrBr", need=False)
    if name == "status_index":
        return dict(label="Statusindex (positiv = mehr Bedarf)", unit="", scale=1, decimals=2, cmap="YlOrBr",
                    need=True)
    if name in result.weights or name in dataset.indicator_definitions.index:
        defs = dataset.indicator_definitions
        unit = str(defs.at[name, "unit"]).strip() if name in defs.index else ""
        direction = float(defs.at[name, "direction"]) if name in defs.index else 1.0
        return dict(label=_indicator_label(dataset, name), unit=unit, scale=1, decimals=1,
                    cmap="YlOrBr" if direction > 0 else "Blues", need=True)
    raise ValueError(f"Unbekannter Indikator {name!r}; möglich: {', '.join(indicator_choices(dataset, result))}")


def _require_type(dataset: Dataset, result: Result, kind: str, offer_type: str | None) -> None:
    if offer_type is None and kind in KINDS_NEEDING_TYPE:
        raise ValueError(f"Die Karte „{KINDS[kind]}“ braucht eine Angebotsart.")
    if offer_type is not None and offer_type not in result.offer_types:
        raise ValueError(
            f"Angebotsart {offer_type!r} wurde nicht analysiert; möglich: {', '.join(result.offer_types)}"
        )


@dataclass(frozen=True)
class MapOptions:
    """The options of a print map besides its kind, shared by :class:`MapSpec` and the export options.

    Attributes
    ----------
    offer_type
        Offer type for ``reach`` and ``bivariate`` (required), ``offers`` and ``gaps`` (``None`` = all).
    indicator
        Column for ``indicator`` maps (see :func:`indicator_choices`; default ``status_index``).
    scheme, k
        Classification of ``indicator`` maps (:data:`SCHEMES`) and number of classes.
    paper, orientation
        ``"A4"``/``"A3"``, ``"portrait"``/``"landscape"`` (checked when the sheet is laid out).
    labels
        Write district names.
    tiles
        Background tiles under semi-transparent district fills.
    """

    offer_type: str | None = None
    indicator: str | None = None
    scheme: str = "quantiles"
    k: int = 5
    paper: str = "A4"
    orientation: str = "landscape"
    labels: bool = True
    tiles: bool = False

    def map_options(self) -> dict[str, object]:
        """The map options alone, by name (for a :class:`MapSpec` made from a subclass's instance)."""
        return {f.name: getattr(self, f.name) for f in fields(MapOptions)}


@dataclass(frozen=True)
class MapSpec(MapOptions):
    """One print map as asked for: what it shows (kind and its options) and the sheet it is laid out on.

    The single parameter object of :func:`map_content` and :func:`~geo.render.print.sheet.render_map`;
    :meth:`product` is its entry in the settings record of an export. Unknown kinds and schemes are refused when
    the spec is made, an offer type unknown to the analysis when the content is built.

    Parameters
    ----------
    kind
        One of :data:`KINDS` (keyword-only).
    **options
        The fields of :class:`MapOptions`.
    """

    kind: str = field(kw_only=True)

    def __post_init__(self) -> None:
        """Refuse an unknown kind or scheme with a German message."""
        if self.kind not in KINDS:
            raise ValueError(f"Unbekannte Kartenart {self.kind!r}; möglich: {', '.join(KINDS)}")
        if self.scheme not in SCHEMES:
            raise ValueError(f"Unbekannte Klassifizierung {self.scheme!r}; möglich: {', '.join(SCHEMES)}")

    @classmethod
    def of(cls, spec: MapSpec | str, **options) -> MapSpec:
        """``spec`` itself, or a spec of kind ``spec`` with ``options`` (the keyword form of the callers)."""
        if isinstance(spec, MapSpec):
            if options:
                raise TypeError(f"MapSpec und Einzeloptionen zugleich: {', '.join(options)}")
            return spec
        return cls(kind=spec, **options)

    def product(self) -> dict[str, object]:
        """The spec as the ``product`` entry of the settings record: the kind, then the options in order."""
        return {"kind": self.kind, **self.map_options()}


class _Base:
    """What every kind of map needs from the analysis result, computed once per map."""

    def __init__(self, dataset: Dataset, result: Result, spec: MapSpec):
        self.dataset, self.result, self.spec = dataset, result, spec
        d = self.districts = result.districts
        self.n = len(d)
        self.codes = district_codes(result)
        self.classes = d["status_class"].astype(str)
        self.classified = d["classified"].to_numpy(dtype=bool)
        self.in_need = self.classes.isin(IN_NEED_CLASSES).to_numpy()
        self.types = [spec.offer_type] if spec.offer_type else list(result.offer_types)

    @cached_property
    def outline(self):
        """The city: union of all districts (offers' reach areas are cut to it)."""
        return shapely.union_all(self.districts.geometry.to_numpy())

    @property
    def nc_item(self) -> LegendItem:
        """Legend entry of the districts not classified."""
        return _not_classified_item(self.result, int((~self.classified).sum()))

    @property
    def radius_note(self) -> str:
        """Radii (reach models) of the map's offer types, e.g. "FGZ 800 m"."""
        labels = self.dataset.type_labels
        return ", ".join(reach_words.short_note(self.result, t, labels(t).short) for t in self.types)

    def layers(self, types: list[str], *, reach: bool = False, filled: bool = False) -> list[OfferLayer]:
        """Offer layers of ``types`` (see :func:`_offer_layers`)."""
        return _offer_layers(self.dataset, self.result, types, reach=reach, filled=filled, outline=self.outline)

    def offer_items(self, layers: list[OfferLayer]) -> list[LegendItem]:
        """Legend entries of ``layers``."""
        return _offer_items(self.dataset, self.result, layers)


def _status_map(b: _Base) -> MapContent:
    styles = [STATUS_COLORS_STYLE.get(c, NOT_CLASSIFIED_STYLE) for c in b.classes]
    legend = [LegendSection("Statusklasse (Statusindex)", _status_legend(b.result, b.classes.value_counts()))]
    method = (
        "Statusindex nach dem Verfahren des Monitorings Soziale Stadtentwicklung: z-standardisierte "
        f"Indikatoren ({_need_note(b.dataset, b.result)}), gewichtet summiert und erneut standardisiert; "
        f"Sozialräume unter {min_inhabitants(b.result)} Einwohnern nicht klassifiziert"
    )
    return MapContent("status", "Soziale Lage: Statusklassen der Sozialräume", method, styles, legend,
                      bold=b.in_need)


def _indicator_map(b: _Base) -> MapContent:
    d, n, spec = b.districts, b.n, b.spec
    name = spec.indicator or "status_index"
    var = _variable(b.dataset, b.result, name)
    values = d[name].to_numpy(dtype=float) if name in d else np.full(n, np.nan)
    hidden = (b.codes[name] != "").to_numpy() if name in b.codes else np.zeros(n, bool)
    usable = np.isfinite(values) & ~hidden & (b.classified if var["need"] else True)
    fills, items, note = _classified_fill(values, usable, scheme=spec.scheme, k=spec.k, cmap=var["cmap"],
                                          decimals=var["decimals"], unit=var["unit"], scale=var["scale"])
    styles, extra = _fallback_styles(fills, b.classified if var["need"] else None, hidden, values, b.result)
    title = var["label"] + (f" ({reach_scheme_note(b.result.population.plural)})" if var["cmap"] == "reach" else "")
    legend = [LegendSection(wrap_chars(title, 40), items + extra)]
    layers = []
    if name.startswith(_REACH_PREFIXES):
        layers = b.layers([name.split("__", 1)[1]])
        legend.append(LegendSection("Angebote", b.offer_items(layers)))
    return MapContent("indicator", f"{var['label']} nach Sozialraum", f"Klassifizierung: {note}", styles, legend,
                      offers=layers)


def _offers_map(b: _Base) -> MapContent:
    dataset, result, offer_type = b.dataset, b.result, b.spec.offer_type
    classified, in_need = b.classified, b.in_need
    styles = [NOT_CLASSIFIED_STYLE if not c else Style(NEED_GREY) if nd else Style(NEUTRAL)
              for c, nd in zip(classified, in_need, strict=True)]
    context = [] if offer_type else [
        t for t in dataset.offer_types.index
        if t not in result.offer_types and (dataset.offers[settings.OFFER_TYPE] == t).any()
    ]
    layers = b.layers(b.types, reach=True, filled=offer_type is not None) + b.layers(context)
    districts_items = [
        LegendItem(f"hoher Bedarf (Status niedrig oder sehr niedrig; {int(in_need.sum())})", Style(NEED_GREY)),
        LegendItem(f"übrige Sozialräume ({int((classified & ~in_need).sum())})", Style(NEUTRAL)),
    ]
    if (~classified).any():
        districts_items.append(b.nc_item)
    legend = [LegendSection("Angebote und Reichweite", b.offer_items(layers)),
              LegendSection("Sozialräume", districts_items)]
    title = (f"{dataset.type_labels(offer_type).plural} und ihre Reichweite" if offer_type
             else "Präventive Angebote und ihre Reichweite")
    method = (f"Reichweite als Luftlinie um jedes Angebot ({b.radius_note}), innerhalb der Stadtgrenze; "
              "Bedarf nach Statusklasse")
    return MapContent("offers", title, method, styles, legend, offers=layers, bold=in_need)


def _reach_map(b: _Base) -> MapContent:
    d, result, t = b.districts, b.result, b.spec.offer_type
    tp = reach_words.target(result, t)
    share = d[column("share_in_reach", t)].to_numpy(dtype=float)
    hidden = (b.codes[column("share_in_reach", t)] != "").to_numpy()
    usable = np.isfinite(share) & ~hidden
    fills, items = _share_fill(share, usable)
    styles, extra = _fallback_styles(fills, None, hidden, share, result)
    gap = d[column("gap", t)].to_numpy(dtype=bool)
    layers = b.layers([t])
    threshold = format_number(100 * result.max_share_in_reach, 0)
    legend = [
        LegendSection(f"Anteil {tp.genitive} {reach_words.within(result, t, b.dataset.type_labels(t).short)} "
                      f"({reach_scheme_note(tp.plural)})", items + extra),
        LegendSection("Angebote", b.offer_items(layers)),
    ]
    if gap.any():
        legend.append(LegendSection("Versorgungslücke", [LegendItem(
            f"hoher Bedarf und unter {threshold} % {tp.genitive} in Reichweite ({int(gap.sum())})",
            Style("none", EMPHASIS), linewidth=2.2)]))
    method = (f"Anteil {tp.genitive} (nach Wohnort) {reach_words.within(result, t, b.dataset.type_labels(t).short)}"
              f"; feste Klassen in 25-%-Schritten, {reach_scheme_note(tp.plural)} "
              f"(gleiche Farben für jede Angebotsart); Lücke: Status niedrig/sehr niedrig und "
              f"unter {threshold} % in Reichweite")
    return MapContent("reach", f"Reichweite: {b.dataset.type_labels(t).plural}", method, styles, legend,
                      offers=layers, emphasis=gap, emphasis_label="Versorgungslücke", bold=gap)


_STATE_STYLES: Final[dict[str, Style]] = {"not_classified": NOT_CLASSIFIED_STYLE, "hidden": HIDDEN_STYLE}


def _bivariate_styles(bi: pd.DataFrame) -> list[Style]:
    """Fill per district: its 3×3 colour, or the style of why it has no class."""
    return [Style(BIVARIATE_COLORS[need_c][reach_c], "#ffffff") if state == "ok"
            else _STATE_STYLES.get(state, NO_VALUE_STYLE)
            for need_c, reach_c, state in zip(bi["need"], bi["reach"], bi["state"], strict=True)]


def _bivariate_unclassed(b: _Base, state: pd.Series) -> list[LegendItem]:
    """Legend entries of the districts without a 3×3 class."""
    extra = []
    if (state == "not_classified").any():
        extra.append(b.nc_item)
    if (state == "hidden").any():
        extra.append(LegendItem(f"nicht ausgewiesen (Datenschutz; {int((state == 'hidden').sum())})",
                                HIDDEN_STYLE))
    if (state == "no_value").any():
        extra.append(LegendItem(f"keine {b.result.population.plural} bekannt ({int((state == 'no_value').sum())})",
                                NO_VALUE_STYLE))
    return extra


def _bivariate_map(b: _Base) -> MapContent:
    dataset, result, t = b.dataset, b.result, b.spec.offer_type
    bi = bivariate_classes(result, t)
    layers = b.layers([t])
    legend = [LegendSection("Angebote", b.offer_items(layers))]
    extra = _bivariate_unclassed(b, bi["state"])
    if extra:
        legend.append(LegendSection("Ohne Klasse", extra))
    nb, rb = bi.attrs["need_bins"], bi.attrs["reach_bins"]
    low, good = (format_number(100 * x, 0, unit="%") for x in rb)
    radius = format_distance(result.radii[t])
    method = (f"Bedarf = MSS-Statusklasse („Status hoch“ | „Status mittel“ | „Status niedrig“ oder „sehr niedrig“, "
              f"nach rechts mehr Bedarf) × Anteil {reach_words.target(result, t).genitive} "
              f"{reach_words.within(result, t, dataset.type_labels(t).short)} "
              f"(unter {low} | {low} bis unter {good} | ab {good}, nach oben "
              "besser erreicht); je dunkler, desto dringender; dunkelrot = Versorgungslücke")
    worst = (bi["need"] == 2) & (bi["reach"] == 0) & (bi["state"] == "ok")
    return MapContent("bivariate", f"Bedarf und Reichweite: {dataset.type_labels(t).plural}", method,
                      _bivariate_styles(bi), legend, offers=layers, bold=worst.to_numpy(),
                      bivariate={"need_bins": nb, "reach_bins": rb, "radius": radius,
                                 "people": reach_words.target(result, t).plural,
                                 "genitive": reach_words.target(result, t).genitive,
                                 "short": dataset.type_labels(t).short, "counts": _bivariate_counts(bi)})


def _gap_classes(b: _Base, n_gaps: np.ndarray) -> tuple[list[str], list[LegendItem]]:
    """Colours of the gap districts (one, or one per number of offer types with a gap) and their legend."""
    types = b.types
    if b.spec.offer_type:
        return [GAP_COLORS[1]], [LegendItem(f"Versorgungslücke ({int(n_gaps.astype(bool).sum())})",
                                            Style(GAP_COLORS[1]))]
    gap_colours = GAP_COLORS[: len(types)] if len(types) <= 3 else list(
        mpl.colors.to_hex(c) for c in mpl.colormaps["Reds"](np.linspace(0.3, 0.95, len(types))))
    return gap_colours, [LegendItem(f"Lücke bei {i} Angebotsart{'en' if i > 1 else ''} ({int((n_gaps == i).sum())})",
                                    _gap_fill(gap_colours, i)) for i in range(1, len(types) + 1)]


def _gap_fill(colours: list[str], n_gaps: int) -> Style:
    """Fill of a district with gaps for ``n_gaps`` offer types: redder and more densely hatched with more."""
    k = min(n_gaps, len(colours)) - 1
    return Style(colours[k], GAP_EDGE, GAP_HATCHES[min(k, len(GAP_HATCHES) - 1)])


def _gap_style(colours: list[str], classified: bool, in_need: bool, n_gaps: int) -> Style:
    if n_gaps:
        return _gap_fill(colours, n_gaps)
    if in_need:
        return Style(NEED_TINT)
    return Style(NEUTRAL) if classified else NOT_CLASSIFIED_STYLE


def _gaps_map(b: _Base) -> MapContent:
    d, dataset, result, offer_type, types = b.districts, b.dataset, b.result, b.spec.offer_type, b.types
    classified, in_need = b.classified, b.in_need
    gap_matrix = (np.column_stack([d[column("gap", t)].to_numpy(dtype=bool) for t in types]) if types
                  else np.zeros((b.n, 0), dtype=bool))  # no offer type analysed yet: no gap
    n_gaps = gap_matrix.sum(axis=1)
    threshold = format_number(100 * result.max_share_in_reach, 0)
    layers = b.layers(types)
    gap_colours, gap_items = _gap_classes(b, n_gaps)
    styles = [_gap_style(gap_colours, c, nd, g) for c, nd, g in zip(classified, in_need, n_gaps, strict=True)]
    district_items = gap_items + [
        LegendItem(f"hoher Bedarf, keine Lücke ({int((in_need & (n_gaps == 0)).sum())})", Style(NEED_TINT)),
        LegendItem(f"übrige Sozialräume ({int((classified & ~in_need).sum())})", Style(NEUTRAL)),
    ]
    if (~classified).any():
        district_items.append(b.nc_item)
    legend = [LegendSection("Sozialräume", district_items), LegendSection("Angebote", b.offer_items(layers))]
    suffix = None
    if not offer_type:
        suffix = [
            "(alle Arten)" if row.all() and len(types) > 1
            else "(" + ", ".join(dataset.type_labels(t).short for t, g in zip(types, row, strict=True) if g) + ")"
            if row.any()
            else "" for row in gap_matrix
        ]
    title = f"Versorgungslücken: {dataset.type_labels(offer_type).plural}" if offer_type else "Versorgungslücken"
    method = (f"Lücke: Status niedrig/sehr niedrig und unter {threshold} % {reach_words.group_genitive(b.result)} mit "
              f"einem Angebot in Reichweite ({b.radius_note})")
    return MapContent("gaps", title, method, styles, legend, offers=layers, bold=n_gaps > 0, label_suffix=suffix)


#: Indicator-map variables that are reach values (their map gets the population note).
_REACH_PREFIXES: Final[tuple[str, ...]] = ("share_in_reach__", "median_distance_m__", "without_reach__")

#: One content builder per kind of map.
BUILDERS: Final[dict[str, Callable[[_Base], MapContent]]] = {
    "status": _status_map,
    **DYNAMIC_BUILDERS,
    "indicator": _indicator_map,
    "offers": _offers_map,
    "reach": _reach_map,
    "bivariate": _bivariate_map,
    "gaps": _gaps_map,
}


def map_content(spec: MapSpec | str, dataset: Dataset, result: Result, **options) -> MapContent:
    """What a map shows (see :data:`KINDS`), from an analysis result; computes no indicator.

    Parameters
    ----------
    spec
        The map (:class:`MapSpec`), or its kind with the other fields as keywords
        (``map_content("reach", dataset, result, offer_type="fgz")``).
    dataset, result
        The data and its analysis.
    **options
        Fields of :class:`MapSpec` when ``spec`` is a kind: ``offer_type``, ``indicator``, ``scheme``, ``k``.

    Returns
    -------
    MapContent
        Fill per district, legend sections, offers, reach areas and notes.
    """
    spec = MapSpec.of(spec, **options)
    _require_type(dataset, result, spec.kind, spec.offer_type)
    content = BUILDERS[spec.kind](_Base(dataset, result, spec))
    reach_shown = spec.kind in ("reach", "bivariate", "gaps") or str(spec.indicator or "").startswith(_REACH_PREFIXES)
    if reach_shown and result.population.note:
        content.method += f"; {result.population.note}"  # the method note under every map
    return content



def _bivariate_counts(bi: pd.DataFrame) -> list[list[int]]:
    ok = bi[bi["state"] == "ok"]
    return [[int(((ok["need"] == n) & (ok["reach"] == r)).sum()) for r in range(3)] for n in range(3)]


def _fallback_styles(
    fills: list[Style | None], classified: np.ndarray | None, hidden: np.ndarray, values: np.ndarray, result: Result
) -> tuple[list[Style], list[LegendItem]]:
    """Fill districts without a class: not classified, suppressed (data protection) or without value."""
    styles, n_nc, n_hidden, n_none = [], 0, 0, 0
    for i, s in enumerate(fills):
        if s is not None:
            styles.append(s)
        elif classified is not None and not classified[i]:
            styles.append(NOT_CLASSIFIED_STYLE)
            n_nc += 1
        elif hidden[i]:
            styles.append(HIDDEN_STYLE)
            n_hidden += 1
        else:
            styles.append(NO_VALUE_STYLE)
            n_none += 1
    extra = []
    if n_nc:
        extra.append(_not_classified_item(result, n_nc))
    if n_hidden:
        extra.append(LegendItem(f"nicht ausgewiesen (Datenschutz; {n_hidden})", HIDDEN_STYLE))
    if n_none:
        extra.append(LegendItem(f"kein Wert ({n_none})", NO_VALUE_STYLE))
    return styles, extra

