"""The data set an analysis runs on: districts, indicators, offers, residents and the config tables."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import geopandas as gpd
import pandas as pd

from geo import catalog, settings


@dataclass(frozen=True)
class Dataset:
    """Everything one analysis needs, all geometry in the metric CRS.

    Attributes
    ----------
    districts
        Sozialräume: ``district_id`` (str), ``district_name``, ``area_id``, ``area_name``, polygons.
    indicators
        One row per district and year: ``district_id``, ``year``, ``inhabitants``, ``children`` and one
        column per indicator key of ``indicator_definitions``.
    offers
        Points: ``offer_id``, ``offer_type`` (a key of ``offer_types``), ``name``, ``address``, ``capacity``.
    residents
        Points where people live with ``inhabitants`` and/or ``children`` (the demo's residential blocks, or an
        uploaded layer of addresses, blocks or Zensus grid cells, see :mod:`geo.ingest.residents`), or ``None``
        (then children are spread evenly over a grid inside each district).
    offer_types, indicator_definitions
        The configuration tables (see :mod:`geo.catalog`).
    source
        Human-readable label of where the data come from.
    synthetic
        True for the demo set: every map and table then carries the "synthetische Beispieldaten" stamp.
    versions
        Layer name → version label of the stored data in use.
    stored_versions
        Layer code name → number of the stored version in use, read in the same snapshot as the layers;
        layers not listed are the base (demo) layers. What a change computed from this data set was based on.
    """

    districts: gpd.GeoDataFrame
    indicators: pd.DataFrame
    offers: gpd.GeoDataFrame
    residents: gpd.GeoDataFrame | None
    offer_types: pd.DataFrame
    indicator_definitions: pd.DataFrame
    source: str = ""
    synthetic: bool = False
    versions: dict[str, str] = field(default_factory=dict)
    stored_versions: dict[str, int] = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        """Years with indicator values, ascending."""
        return sorted(int(y) for y in self.indicators[settings.YEAR].unique())

    @property
    def analysed_types(self) -> list[str]:
        """Offer types whose reach is analysed and that have at least one offer, in config order."""
        present = set(self.offers[settings.OFFER_TYPE])
        return [t for t, row in self.offer_types.iterrows() if row["analysed"] and t in present]

    def type_labels(self, offer_type: str) -> catalog.TypeLabels:
        """Label, short name and plural of an offer type (its key where the table lacks it)."""
        return catalog.type_labels(self.offer_types, offer_type)

    def with_layers(self, **layers) -> Dataset:
        """Return a copy with some layers replaced (e.g. an uploaded offers layer)."""
        return replace(self, **layers)
