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
        One row per district and year: ``district_id``, ``year``, ``inhabitants``, ``children`` (may be
        absent or all NaN: reach is then measured for the inhabitants, see :mod:`geo.analysis.population`) and
        one column per indicator key of ``indicator_definitions``.
    offers
        Points: ``offer_id``, ``offer_type`` (a key of ``offer_types``), ``name``, ``address``, ``capacity``.
    residents
        Points where people live with ``inhabitants`` and/or ``children`` (the demo's residential blocks, or an
        uploaded layer of addresses, blocks or Zensus grid cells, see :mod:`geo.ingest.residents`), or ``None``.
        Where it lacks the count reach is measured for, that count is spread evenly over a grid inside each
        district.
    offer_types, indicator_definitions
        The configuration tables (see :mod:`geo.catalog`): the workspace's own, else the built-in ones.
    phases
        Life phases of the Präventionskette (:func:`geo.catalog.read_phases`), indexed by ``phase``, in order.
    sozialindex
        NRW Schulsozialindex per school: ``school_id`` (Schulnummer, text, an offer's ``offer_id``),
        ``sozialindex`` (int 1–9), or ``None``.
    catchments
        Catchment polygons: ``catchment_id``, ``offer_type`` (whose areas: e.g. ``familienbuero`` for
        Zuständigkeitsgebiete, ``grundschule`` for Schuleinzugsbereiche), ``offer_id`` (the facility, "" for an
        area of the whole type), ``name``; or ``None``.
    clinic_births
        Births per district and clinic: ``district_id``, ``clinic_id`` (``offer_id`` of a clinic), ``births``
        (and ``year`` where given); or ``None``.
    scenarios
        The stored edits of every what-if scenario (:data:`geo.analysis.scenarios.SCENARIO_COLUMNS`), or ``None``.
    scenario
        Name of the scenario whose edits ``offers`` already include ("" for the real data, the status quo): every
        view and export marks it as a scenario (:func:`geo.analysis.scenarios.scenario_dataset`).
    source
        Human-readable label of where the data come from.
    synthetic
        True for the demo set: every map and table then carries the "synthetische Beispieldaten" stamp.
    versions
        Layer name → version label of the stored data in use.
    stored_versions
        Layer code name → number of the stored version in use, read in the same snapshot as the layers;
        layers not listed have no stored version (the built-in demo, or not uploaded yet). What a change
        computed from this data set was based on.
    city
        Name of the municipality (or Kreis) the data describe, e.g. "Musterstadt" or "Bochum".
    workspace
        Reference of the workspace the data come from: ``"demo"`` or the workspace's folder name in the data
        folder (see :mod:`geo.store.workspaces`).
    """

    districts: gpd.GeoDataFrame
    indicators: pd.DataFrame
    offers: gpd.GeoDataFrame
    residents: gpd.GeoDataFrame | None
    offer_types: pd.DataFrame
    indicator_definitions: pd.DataFrame
    phases: pd.DataFrame = field(default_factory=catalog.read_phases)
    sozialindex: pd.DataFrame | None = None
    catchments: gpd.GeoDataFrame | None = None
    clinic_births: pd.DataFrame | None = None
    scenarios: pd.DataFrame | None = None
    scenario: str = ""
    source: str = ""
    synthetic: bool = False
    versions: dict[str, str] = field(default_factory=dict)
    stored_versions: dict[str, int] = field(default_factory=dict)
    city: str = ""
    workspace: str = ""

    @property
    def years(self) -> list[int]:
        """Years with indicator values, ascending."""
        return sorted(int(y) for y in self.indicators[settings.YEAR].unique())

    @property
    def analysed_types(self) -> list[str]:
        """Offer types whose reach is analysed and that have at least one offer, in config order."""
        present = set(self.offers[settings.OFFER_TYPE])
        return [t for t, row in self.offer_types.iterrows() if row["analysed"] and t in present]

    @property
    def missing_layers(self) -> list[str]:
        """Layers the analysis needs that hold no data yet: ``districts``, ``indicators`` (in this order)."""
        layers = {"districts": self.districts, "indicators": self.indicators}
        return [name for name, frame in layers.items() if frame is None or not len(frame)]

    @property
    def types_without_offers(self) -> list[str]:
        """Analysed offer types (config order) of which no offer is stored yet: left out of the analysis."""
        present = set(self.offers[settings.OFFER_TYPE]) if self.offers is not None else set()
        return [t for t, row in self.offer_types.iterrows() if row["analysed"] and t not in present]

    def type_labels(self, offer_type: str) -> catalog.TypeLabels:
        """Label, short name and plural of an offer type (its key where the table lacks it)."""
        return catalog.type_labels(self.offer_types, offer_type)

    def with_layers(self, **layers) -> Dataset:
        """Return a copy with some layers replaced (e.g. an uploaded offers layer)."""
        return replace(self, **layers)
