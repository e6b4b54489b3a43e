"""The whole analysis in one call: need, reach per offer type and gaps for one year of a data set."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import catalog, crs, settings
from geo._errors import DataError
from geo.analysis import access
from geo.analysis.dynamics import Dynamics, default_base_year, dynamics
from geo.analysis.gaps import column, rank_gaps
from geo.analysis.need import IN_NEED_CLASSES, need_or_note
from geo.analysis.population import CHILDREN, Population, choose
from geo.analysis.reach_models import Layers, ReachModel, measure
from geo.analysis.targets import layer_has, point_counts, target_counts
from geo.catalog import Target
from geo.dataset import Dataset
from geo.formatting import grid_name
from geo.progress import Progress, silent

__all__ = [
    "Params", "Prepared", "ReachModel", "Result", "analyse", "column", "prepare", "residents_from_grid",
    "residents_label",
]

RESIDENTS_FROM_LAYER = "Wohnblöcke (Einwohner- und Kinderzahlen je Block)"
#: What the points of a residents layer stand for (its column ``settings.RESIDENT_KIND``; the demo's blocks have
#: none) → how the analysis names where the residents come from.
RESIDENT_KINDS: dict[str, str] = {
    "blocks": RESIDENTS_FROM_LAYER,
    "zensus_100m": "Zensus-2022-Gitter (Einwohner je 100-m-Gitterzelle, am Mittelpunkt der Zelle)",
    "zensus_1km": "Zensus-2022-Gitter (Einwohner je 1-km-Gitterzelle, am Mittelpunkt der Zelle)",
    "points": "Wohnorte-Ebene (Einwohner- bzw. Kinderzahlen je Adresse oder Block)",
    "areas": "Wohnorte-Ebene (Einwohner- bzw. Kinderzahlen je Fläche, an einem Punkt im Inneren der Fläche)",
}


def residents_from_grid(population: Population, *, layer_exists: bool = False, cell_m: float | None = None) -> str:
    """``residents_source`` when the population is spread evenly over the fallback grid.

    ``layer_exists``: a residents layer exists but lacks the population's counts (say so). ``cell_m``: the cell
    size the grid was made with (:func:`geo.analysis.access.grid_residents`; default
    :data:`settings.FALLBACK_GRID_M`, read at call time).
    """
    spread = f"{population.plural} gleichmäßig auf ein {grid_name(cell_m)} im Sozialraum verteilt"
    if layer_exists:
        return f"Wohnorte-Ebene ohne {population.counts}: {spread}"
    return f"keine Wohnorte-Ebene: {spread}"


#: ``residents_source`` for children without any residents layer.
RESIDENTS_FROM_GRID = residents_from_grid(CHILDREN)


@dataclass(frozen=True)
class Params:
    """Settings of one analysis; ``None`` means the default from the config tables.

    Attributes
    ----------
    year
        Indicator year (default: the latest).
    weights
        Indicator key → weight in the status index (default: config ``weight`` where ``in_index``).
    radii
        Offer type → reach radius in metres (default: config ``radius_m``).
    max_share_in_reach
        A district in need is a gap when less than this share of its population is within reach.
    population
        ``None`` (default): each offer type is measured for its target group (the type's ``target``, see
        :mod:`geo.analysis.targets`). A count column (``children``, ``inhabitants`` or an indicator key with unit
        "Anzahl", see :mod:`geo.analysis.population`): every type is measured for it (the sidebar's choice);
        the reach models apply either way.
    """

    year: int | None = None
    weights: dict[str, float] | None = None
    radii: dict[str, float] | None = None
    # default_factory: the settings as they are when the object is made, not when this module was imported
    max_share_in_reach: float = field(default_factory=lambda: settings.GAP_MAX_SHARE_IN_REACH)
    min_inhabitants: int = field(default_factory=lambda: settings.MIN_INHABITANTS_FOR_CLASS)
    population: str | None = None
    #: Dynamik (:mod:`geo.analysis.dynamics`): the year the changes start from (default
    #: :func:`~geo.analysis.dynamics.default_base_year`) and indicator key → weight in the Dynamik index (default:
    #: config ``dynamic_weight`` where ``in_dynamic``).
    dynamic_base_year: int | None = None
    dynamic_weights: dict[str, float] | None = None


@dataclass(frozen=True)
class Result:
    """What the maps, tables and exports show.

    ``districts`` holds, per district, the indicators of ``year``, the status index and class, and per
    analysed offer type the columns named by :func:`column`: ``target`` (people of the type's target group,
    :attr:`targets`), ``share_in_reach``, ``median_distance_m``, ``offers_inside``, ``without_reach`` (people of
    the target group out of reach, rounded) and ``gap``.
    ``key_figures``: ``districts``, ``districts_in_need``, ``population``, ``population_in_need`` and per type
    ``target`` (the target group in all districts), ``target_in_need``, ``in_need_reached`` and ``gap_districts``.
    ``population`` is the district population (children 0–17, else inhabitants, or the sidebar's choice) and how
    the district views name them; texts about one type's reach use ``targets[t]``. ``weights`` are the
    indicators the index was computed from (empty when none could be used); ``need_note`` says, in German, what
    was left out of the index or why no district is classified ("" when nothing was).
    """

    districts: gpd.GeoDataFrame
    gaps: pd.DataFrame
    year: int
    weights: dict[str, float]
    radii: dict[str, float]
    offer_types: list[str]
    residents_source: str
    max_share_in_reach: float
    min_inhabitants: int = field(default_factory=lambda: settings.MIN_INHABITANTS_FOR_CLASS)
    key_figures: dict[str, float] = field(default_factory=dict)
    population: Population = CHILDREN
    #: True when the population was spread evenly over the fallback grid (no usable residents layer)
    residents_on_grid: bool = False
    #: Cell size of that grid in metres (it grows at state scale, :func:`geo.analysis.access.grid_cell_m`);
    #: ``None`` when the residents layer was used
    grid_m: float | None = None
    need_note: str = ""
    #: Offer type → whom its reach is measured for: its target group (``source`` says where the counts come from
    #: and where they live, ``note`` an estimate), or ``population`` for every type when the sidebar chose one
    targets: dict[str, Population] = field(default_factory=dict)
    #: Offer type → the reach model in force (:class:`geo.analysis.reach_models.ReachModel`)
    reach_models: dict[str, ReachModel] = field(default_factory=dict)
    #: How the Dynamik columns of ``districts`` were computed (:mod:`geo.analysis.dynamics`: ``dyn_<key>``,
    #: ``dynamic_index``, ``dynamic_class``, ``dynamic_reason``, ``overall_class`` (Gesamtindex),
    #: ``overall_code``, ``attention``)
    dynamics: Dynamics | None = None


def _normalise_ids(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame[settings.DISTRICT_ID] = frame[settings.DISTRICT_ID].astype(str).str.strip()
    return frame


def _target(offer_types: pd.DataFrame, offer_type: str) -> Target:
    """The configured target group of ``offer_type`` (all children 0–17 where unreadable)."""
    target = catalog.parse_target(offer_types.at[offer_type, "target"]) if "target" in offer_types else None
    return target if target is not None else catalog.parse_target(catalog.CHAIN_DEFAULTS["target"])


def _resident_points(
    layer: gpd.GeoDataFrame | None, districts: gpd.GeoDataFrame, population: Population, counts: pd.Series,
) -> tuple[gpd.GeoDataFrame, float | None]:
    """The points people live at (metric CRS) and the fallback grid's cell size (``None``: not the grid).

    The residents layer where it has the population's counts or inhabitants, else a grid with ``counts`` (per
    district id) spread evenly.
    """
    if layer is not None and len(layer) and (layer_has(layer, population.column)
                                             or layer_has(layer, settings.INHABITANTS)):
        return crs.to_metric(layer, name="Wohnorte"), None
    grid = access.grid_residents(districts, counts, count_column=population.column)
    return grid, float(grid.attrs["cell_m"])


def residents_label(residents: pd.DataFrame) -> str:
    """Where a residents layer's points come from, in German (:data:`RESIDENT_KINDS`; blocks when unsaid)."""
    kinds = residents[settings.RESIDENT_KIND].dropna().unique() if settings.RESIDENT_KIND in residents else []
    return RESIDENT_KINDS.get(str(kinds[0]) if len(kinds) else "blocks", RESIDENTS_FROM_LAYER)


@dataclass(frozen=True)
class Prepared:
    """What every offer type of one analysis is measured on (also what site suggestions start from).

    Attributes
    ----------
    merged
        Districts (metric CRS) with the indicators of ``year``, status index and class.
    in_need
        Per row of ``merged``: the district is in need (status *niedrig* or *sehr niedrig*).
    population, counts
        The district population (children 0–17, else inhabitants, or the sidebar's choice) and its counts per row.
    layers
        The layers the reach models measure on (:class:`geo.analysis.reach_models.Layers`).
    """

    merged: pd.DataFrame
    in_need: np.ndarray
    year: int
    population: Population
    counts: np.ndarray
    weights: dict[str, float]
    need_note: str
    dynamics: Dynamics
    layers: Layers
    residents_source: str
    on_grid: bool
    #: The fallback grid's cell size in metres when ``on_grid``
    grid_m: float | None
    base_weight: np.ndarray
    has_layer: bool
    _measured: dict = field(default_factory=dict, repr=False)

    def where(self, people: Population, people_counts: np.ndarray, bases: tuple[str, ...]) -> tuple[np.ndarray, str]:
        """People of ``people`` at each resident point and where they live, in German."""
        residents = self.layers.residents
        label = residents_from_grid(people, layer_exists=self.has_layer, cell_m=self.grid_m) if self.on_grid \
            else residents_label(residents)
        return point_counts(people, residents, self.layers.located, people_counts, on_grid=self.on_grid,
                            label=label, bases=bases)

    def group(self, offer_type: str, population: str | None = None) -> tuple[Population, np.ndarray, np.ndarray]:
        """Whom ``offer_type`` is measured for → (words with source, counts per district row, people per point).

        ``population``: :attr:`Params.population` (``None``: the type's target group).
        """
        if population is None:
            group, group_counts = target_counts(_target(self.layers.offer_types, offer_type), self.merged)
        else:
            group, group_counts = self.population, self.counts
        if group.column not in self._measured:
            if group.column == self.population.column:
                weight, lives = self.base_weight, self.residents_source
            else:
                weight, lives = self.where(group, group_counts, (settings.CHILDREN, settings.INHABITANTS))
            source = group.source or f"Indikatorentabelle, Spalte „{group.column}“"
            self._measured[group.column] = (replace(group, source=f"{source}; Wohnorte: {lives}"), group_counts,
                                            weight)
        return self._measured[group.column]


def prepare(dataset: Dataset, params: Params | None = None) -> Prepared:
    """Need per district and the layers reach is measured on, for :func:`analyse` and the site suggestions.

    Raises
    ------
    DataError
        If the year has no indicator values or layers cannot be brought into the metric CRS.
    """
    if params is None:
        params = Params()
    year = params.year if params.year is not None else max(dataset.years)
    table = _normalise_ids(dataset.indicators)
    table = table[table[settings.YEAR] == year]
    if table.empty:
        raise DataError(f"Für das Jahr {year} liegen keine Indikatorwerte vor.")
    districts = _normalise_ids(crs.to_metric(dataset.districts, name="Sozialräume"))
    ids = districts[settings.DISTRICT_ID].to_numpy(dtype=object)
    if set(table[settings.DISTRICT_ID].to_numpy(dtype=object)).isdisjoint(ids):  # a set: Arrow's isin is slow
        raise DataError(
            "Keine Sozialraum-Nr. der Indikatorentabelle passt zu den Sozialraumgrenzen "
            f"(z. B. „{table[settings.DISTRICT_ID].iloc[0]}“ gegenüber „{districts[settings.DISTRICT_ID].iloc[0]}“). "
            "Bitte laden Sie die Indikatoren erneut über die Seite „Daten“ hoch; dort werden Nummern wie "
            "„0101“ und 101 abgeglichen."
        )
    merged = districts.merge(table.drop(columns=[settings.YEAR]), on=settings.DISTRICT_ID, how="left")
    population = choose(table, dataset.indicator_definitions, requested=params.population)
    for count in {settings.INHABITANTS, settings.CHILDREN, population.column} & set(merged.columns):
        if merged[count].notna().any():  # an all-NaN column (no children counts) stays NaN: "not known"
            merged[count] = merged[count].fillna(0)

    definitions = dataset.indicator_definitions
    weights = params.weights
    if weights is None:
        weights = {k: float(r["weight"]) for k, r in definitions.iterrows() if r["in_index"]}
    ready_made = set(definitions.index[definitions["kind"] == "dynamik"]) if "kind" in definitions else set()
    weights = {k: w for k, w in weights.items() if k not in ready_made}  # a change is never part of the status
    need, weights, need_note = need_or_note(merged, definitions=definitions, weights=weights,
                                            min_inhabitants=params.min_inhabitants)
    merged = pd.concat([merged, need], axis=1)
    base_year = params.dynamic_base_year if params.dynamic_base_year is not None else default_base_year(
        dataset.years, year)
    change, dynamic_info = dynamics(
        dataset.indicators, merged[settings.DISTRICT_ID].to_numpy(), merged["status_class"].to_numpy(),
        definitions=definitions, year=int(year), base_year=base_year, weights=params.dynamic_weights,
        min_inhabitants=params.min_inhabitants)
    merged = pd.concat([merged, change.set_axis(merged.index)], axis=1)

    counts = merged[population.column].to_numpy(dtype=float)
    layer = dataset.residents
    has_layer = layer is not None and len(layer) > 0
    residents, grid_m = _resident_points(layer, districts, population,
                                         pd.Series(counts, index=merged[settings.DISTRICT_ID].to_numpy()))
    # once per analysis, shared by every offer type (and the spreading of district counts over the points)
    resident_xy = shapely.get_coordinates(residents.geometry.to_numpy())
    district_index = pd.Index(districts[settings.DISTRICT_ID])
    if grid_m is not None and district_index.is_unique:
        located = district_index.get_indexer(residents[settings.DISTRICT_ID])  # the grid knows its districts
    else:
        located = access.district_positions(residents, districts, xy=resident_xy)
    layers = Layers(
        districts=districts, residents=residents, located=located,
        resident_xy=resident_xy,
        offers=crs.to_metric(dataset.offers, name="Angebote"), offer_types=dataset.offer_types,
        catchments=dataset.catchments, clinic_births=dataset.clinic_births, year=int(year),
    )
    prepared = Prepared(
        merged=merged, in_need=merged["status_class"].isin(IN_NEED_CLASSES).to_numpy(), year=int(year),
        population=population, counts=counts, weights=dict(weights), need_note=need_note, dynamics=dynamic_info,
        layers=layers,
        residents_source="", on_grid=grid_m is not None, grid_m=grid_m, base_weight=np.empty(0),
        has_layer=has_layer,
    )
    # E.g. the Zensus population grid with the indicator table's children: each district's count is spread over
    # its points in proportion to their inhabitants, so the points say where, the table how many.
    base_weight, residents_source = prepared.where(population, counts, (settings.INHABITANTS,))
    return replace(prepared, base_weight=base_weight, residents_source=residents_source)


def analyse(dataset: Dataset, params: Params | None = None, *, progress: Progress = silent) -> Result:
    """Run need, reach and gap analysis on ``dataset`` with ``params`` (default: ``Params()``, made at call time).

    ``progress`` (:mod:`geo.progress`) hears the steps: "Bedarf", one "Reichweite: <Angebotsart>" per analysed
    type, "Lücken".

    Raises
    ------
    DataError
        If the year has no indicator values or layers cannot be brought into the metric CRS.
    """
    if params is None:
        params = Params()
    progress(0.0, "Bedarf")
    prepared = prepare(dataset, params)
    merged, layers, population, counts = prepared.merged, prepared.layers, prepared.population, prepared.counts
    year, weights, need_note = prepared.year, prepared.weights, prepared.need_note
    residents_source, on_grid, districts = prepared.residents_source, prepared.on_grid, layers.districts
    radii = {t: float(dataset.offer_types.at[t, "radius_m"]) for t in dataset.analysed_types}
    radii.update({t: float(r) for t, r in (params.radii or {}).items() if t in radii})
    reach: dict[str, pd.DataFrame] = {}
    key_figures: dict[str, float] = {}
    in_need = prepared.in_need
    key_figures["districts"] = len(merged)
    key_figures["districts_in_need"] = int(in_need.sum())
    key_figures["population"] = float(counts.sum())
    key_figures["population_in_need"] = float(counts[in_need].sum())
    targets: dict[str, Population] = {}
    models: dict[str, ReachModel] = {}
    for i, (offer_type, radius) in enumerate(radii.items()):
        progress(0.3 + 0.6 * i / len(radii), f"Reichweite: {dataset.type_labels(offer_type).plural}")
        group, group_counts, weight = prepared.group(offer_type, params.population)
        targets[offer_type] = group
        r, models[offer_type] = measure(offer_type, layers, weight=weight, radius_m=radius, measured=group.column)
        reach[offer_type] = r
        share = r["share_in_reach"].reindex(merged[settings.DISTRICT_ID]).to_numpy(dtype=float)
        merged[column("share_in_reach", offer_type)] = share
        merged[column("median_distance_m", offer_type)] = (
            r["median_distance_m"].reindex(merged[settings.DISTRICT_ID]).to_numpy(dtype=float)
        )
        merged[column("offers_inside", offer_type)] = (
            r["offers_inside"].reindex(merged[settings.DISTRICT_ID]).to_numpy()
        )
        merged[column("target", offer_type)] = group_counts
        merged[column("without_reach", offer_type)] = np.round(group_counts * (1 - share))
        merged[column("gap", offer_type)] = in_need & (share < params.max_share_in_reach)
        reached = np.nan_to_num(group_counts * share)
        key_figures[column("target", offer_type)] = float(group_counts.sum())
        key_figures[column("target_in_need", offer_type)] = float(group_counts[in_need].sum())
        key_figures[column("in_need_reached", offer_type)] = float(reached[in_need].sum())
        key_figures[column("gap_districts", offer_type)] = int(merged[column("gap", offer_type)].sum())

    progress(0.9, "Lücken")
    gaps = rank_gaps(
        merged, reach=reach, offer_types=dataset.offer_types, radii=radii,
        max_share_in_reach=params.max_share_in_reach, population=population, targets=targets, models=models,
    )
    progress(1.0, "Lücken")
    return Result(
        districts=gpd.GeoDataFrame(merged, geometry="geometry", crs=districts.crs),
        gaps=gaps,
        year=int(year),
        weights=dict(weights),
        radii=radii,
        offer_types=list(radii),
        residents_source=residents_source,
        max_share_in_reach=params.max_share_in_reach,
        min_inhabitants=params.min_inhabitants,
        key_figures=key_figures,
        population=population,
        residents_on_grid=on_grid,
        grid_m=prepared.grid_m,
        need_note=need_note,
        targets=targets,
        reach_models=models,
        dynamics=prepared.dynamics,
    )
