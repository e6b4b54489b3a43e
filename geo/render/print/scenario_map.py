"""The print difference map of a scenario: the change of the share in reach per district, new and closed offers.

:func:`offer_changes` says which offers a scenario adds, closes or moves (by offer type and id, from the two offer
layers); :func:`difference_content` turns the Bestand's and the scenario's analyses into a
:class:`~geo.render.print.content.MapContent` that :func:`~geo.render.print.drawing.draw_map` draws: districts
filled by the change in Prozentpunkten (:data:`geo.render.palette.DIVERGING`), the scenario's gaps outlined,
closed and new gaps named, offers that stay, new, closed and moved marked apart. Computes no indicator.
"""

from __future__ import annotations

from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import crs, settings
from geo.analysis import Result, column
from geo.analysis.protect import district_codes
from geo.dataset import Dataset
from geo.formatting import format_number
from geo.render import reach_words
from geo.render.palette import (
    CHANGE_BOUNDS_PP,
    CHANGE_LABELS,
    DIVERGING,
    MARKERS,
    OFFER_CHANGE_SYMBOLS,
    change_class,
    marker_of,
)
from geo.render.print.content import (
    EMPHASIS,
    HIDDEN_STYLE,
    NO_VALUE_STYLE,
    LegendItem,
    LegendSection,
    MapContent,
    OfferLayer,
    Style,
)


def _symbol(change: str) -> tuple[str, str]:
    shape, colour = OFFER_CHANGE_SYMBOLS[change]
    return MARKERS[marker_of(shape)], colour


#: Kinds of :func:`offer_changes` → legend text, the marker ("" = the type's own) and the fill: the symbols of the
#: web comparison maps (:data:`geo.render.palette.OFFER_CHANGE_SYMBOLS`); a moved offer's former place is a
#: circle in the colour of its new place.
CHANGES: Final[dict[str, tuple[str, str, str]]] = {
    "kept": ("im Bestand, bleibt", "", ""),
    "new": ("neu im Szenario", *_symbol("new")),
    "moved_to": ("verlegt: neuer Ort", *_symbol("moved")),
    "moved_from": ("verlegt: bisheriger Ort", "o", OFFER_CHANGE_SYMBOLS["moved"][1]),
    "closed": ("geschlossen im Szenario", *_symbol("closed")),
}
#: An offer whose point moved less than this (metres) counts as unmoved.
MOVED_M: Final[float] = 1.0
#: Name suffix of a district whose gap the scenario closes or opens.
GAP_CLOSED: Final[str] = "(Lücke geschlossen)"
GAP_OPENED: Final[str] = "(neue Lücke)"


def _keyed(offers: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    metric = crs.to_metric(offers, name="Angebote")
    key = metric[settings.OFFER_TYPE].astype("str") + "\x00" + metric[settings.OFFER_ID].astype("str")
    return metric.assign(_key=key.to_numpy()).drop_duplicates("_key").set_index("_key")


def offer_changes(base: gpd.GeoDataFrame, variant: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The offers of ``base`` (the Bestand) and ``variant`` (a scenario's), each with what the scenario does to it.

    Returns one row per offer and kind: ``change`` is ``kept``, ``new`` (only in ``variant``), ``closed`` (only in
    ``base``), ``moved_from`` (its point in ``base``) and ``moved_to`` (its point in ``variant``, more than
    :data:`MOVED_M` away); with ``offer_type``, ``offer_id``, ``name`` and the point, in the metric CRS. Offers are
    matched by type and id.
    """
    a, b = _keyed(base), _keyed(variant)
    both = a.index.intersection(b.index, sort=False)
    moved = np.zeros(len(both), dtype=bool)
    if len(both):
        moved = shapely.distance(a.loc[both].geometry.to_numpy(), b.loc[both].geometry.to_numpy()) > MOVED_M
    parts = [
        (a.loc[both[~moved]], "kept"), (b.loc[b.index.difference(a.index, sort=False)], "new"),
        (a.loc[a.index.difference(b.index, sort=False)], "closed"),
        (a.loc[both[moved]], "moved_from"), (b.loc[both[moved]], "moved_to"),
    ]
    columns = [settings.OFFER_TYPE, settings.OFFER_ID, settings.OFFER_NAME]
    frames = []
    for frame, kind in parts:
        names = frame[settings.OFFER_NAME] if settings.OFFER_NAME in frame else pd.Series("", index=frame.index)
        frames.append(pd.DataFrame({
            settings.OFFER_TYPE: frame[settings.OFFER_TYPE].astype("str").to_numpy(),
            settings.OFFER_ID: frame[settings.OFFER_ID].astype("str").to_numpy(),
            settings.OFFER_NAME: names.fillna("").astype("str").to_numpy(),
            "change": kind, "geometry": frame.geometry.to_numpy(),
        }, columns=[*columns, "change", "geometry"]))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=settings.METRIC_CRS)


def _shares(base: Result, variant: Result, offer_type: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Share in reach before and after per district of ``base`` (NaN: no value) and where either is suppressed."""
    ids = base.districts[settings.DISTRICT_ID].astype("str")
    order = pd.Index(variant.districts[settings.DISTRICT_ID].astype("str")).get_indexer(ids)
    name = column("share_in_reach", offer_type)
    n = len(ids)

    def share_of(result: Result, rows: np.ndarray | slice) -> tuple[np.ndarray, np.ndarray]:
        if name not in result.districts:  # the type has no offer left there: nobody is in reach
            target = result.districts.get(column("target", offer_type))
            zero = np.where(np.nan_to_num(target.to_numpy(dtype=float)) > 0, 0.0, np.nan) if target is not None \
                else np.zeros(len(result.districts))
            return zero[rows], np.zeros(n, dtype=bool)
        codes = district_codes(result)[name].to_numpy(dtype=object)[rows] != ""
        return result.districts[name].to_numpy(dtype=float)[rows], codes

    before, hidden_before = share_of(base, slice(None))
    after, hidden_after = share_of(variant, order)
    return before, after, hidden_before | hidden_after


def change_styles(before: np.ndarray, after: np.ndarray, hidden: np.ndarray) -> tuple[list[Style], np.ndarray]:
    """Fill per district of the change ``after − before`` and its class (-1: suppressed or without value)."""
    classes = np.array([change_class(100 * (a - b)) if np.isfinite(a) and np.isfinite(b) and not h else -1
                        for b, a, h in zip(before, after, hidden, strict=True)], dtype=int)
    styles = [Style(DIVERGING[c]) if c >= 0 else HIDDEN_STYLE if h else NO_VALUE_STYLE
              for c, h in zip(classes, hidden, strict=True)]
    return styles, classes


def _offer_layers(dataset: Dataset, changes: gpd.GeoDataFrame, offer_type: str) -> list[OfferLayer]:
    mine = changes[changes[settings.OFFER_TYPE] == offer_type]
    if offer_type in dataset.offer_types.index:
        row = dataset.offer_types.loc[offer_type]
        own_marker, own_color = MARKERS[marker_of(row["marker"])], str(row["color"])
    else:
        own_marker, own_color = "o", "#555555"
    layers = []
    for kind, (_, marker, color) in CHANGES.items():
        points = mine[mine["change"] == kind]
        if len(points):
            layers.append(OfferLayer(kind, points, marker or own_marker, color or own_color))
    return layers


def difference_content(base_dataset: Dataset, base: Result, variant: Result, changes: gpd.GeoDataFrame,
                       offer_type: str) -> MapContent:
    """The difference map of ``offer_type``: Bestand ``base`` → scenario ``variant`` (same districts).

    ``changes`` is :func:`offer_changes` of the two offer layers. Draw it with ``base`` (the districts' shapes and
    names); each :class:`~geo.render.print.content.OfferLayer` is one kind of change (its ``offer_type`` field
    holds the kind, see :data:`CHANGES`).
    """
    t, labels = offer_type, base_dataset.type_labels(offer_type)
    words = reach_words.target(base if t in base.offer_types else variant, t)
    before, after, hidden = _shares(base, variant, t)
    styles, classes = change_styles(before, after, hidden)
    gap_name = column("gap", t)
    gap_before = base.districts[gap_name].to_numpy(dtype=bool) if gap_name in base.districts else \
        np.zeros(len(before), dtype=bool)
    order = pd.Index(variant.districts[settings.DISTRICT_ID].astype("str")).get_indexer(
        base.districts[settings.DISTRICT_ID].astype("str"))
    gap_after = variant.districts[gap_name].to_numpy(dtype=bool)[order] if gap_name in variant.districts else \
        np.zeros(len(before), dtype=bool)
    items = [LegendItem(f"{label} ({int((classes == k).sum())})", Style(DIVERGING[k]))
             for k, label in enumerate(CHANGE_LABELS)]
    if (hidden & (classes < 0)).any():
        items.append(LegendItem(f"nicht ausgewiesen (Datenschutz; {int((hidden & (classes < 0)).sum())})",
                                HIDDEN_STYLE))
    if (~hidden & (classes < 0)).any():
        items.append(LegendItem(f"kein Wert ({int((~hidden & (classes < 0)).sum())})", NO_VALUE_STYLE))
    layers = _offer_layers(base_dataset, changes, t)
    offer_items = [LegendItem(f"{labels.short}: {CHANGES[layer.offer_type][0]} ({len(layer.points)})",
                              marker=layer.marker, color=layer.color) for layer in layers]
    closed, opened = gap_before & ~gap_after, ~gap_before & gap_after
    legend = [LegendSection(f"Veränderung des Anteils {words.genitive} in Reichweite (Szenario gegenüber Bestand)",
                            items),
              LegendSection("Angebote", offer_items or [LegendItem("keine Standorte", Style("none", "none"))])]
    threshold = format_number(100 * base.max_share_in_reach, 0)
    legend.append(LegendSection("Versorgungslücken", [
        LegendItem(f"Versorgungslücke im Szenario ({int(gap_after.sum())})", Style("none", EMPHASIS),
                   linewidth=2.2),
        LegendItem(f"Name {GAP_CLOSED}: im Bestand eine Lücke ({int(closed.sum())}); {GAP_OPENED}: erst im "
                   f"Szenario ({int(opened.sum())})", Style("none", "none")),
    ]))
    suffix = [GAP_CLOSED if c else GAP_OPENED if o else "" for c, o in zip(closed, opened, strict=True)]
    method = (f"Fläche: Anteil {words.genitive} in Reichweite im Szenario minus im Bestand, in Prozentpunkten "
              f"(unter {format_number(CHANGE_BOUNDS_PP[1], 1)} gilt als unverändert); Reichweite wie im Bestand "
              f"({reach_words.short_note(base if t in base.offer_types else variant, t, labels.short)}); "
              f"Lücke: Status niedrig/sehr niedrig und unter {threshold} % in Reichweite")
    return MapContent("difference", f"Differenzkarte: {labels.plural}", method, styles, legend, offers=layers,
                      emphasis=gap_after, emphasis_label="Versorgungslücke im Szenario", bold=closed | opened,
                      label_suffix=suffix)


def changed(base: Result, variant: Result, changes: gpd.GeoDataFrame, offer_type: str) -> bool:
    """Whether the scenario changes anything for ``offer_type``: its offers, a share in reach or a gap."""
    if (changes.loc[changes[settings.OFFER_TYPE] == offer_type, "change"] != "kept").any():
        return True
    before, after, _ = _shares(base, variant, offer_type)
    both = np.isfinite(before) & np.isfinite(after)
    if (np.abs(after[both] - before[both]) > 1e-9).any() or (np.isfinite(before) != np.isfinite(after)).any():
        return True
    gap = column("gap", offer_type)
    if (gap in base.districts) != (gap in variant.districts):
        return True
    return False
