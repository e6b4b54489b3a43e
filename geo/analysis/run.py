"""The whole analysis in one call: need, reach per offer type and gaps for one year of a data set."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import crs, settings
from geo._errors import DataError
from geo.analysis import access
from geo.analysis.gaps import rank_gaps
from geo.analysis.need import IN_NEED_CLASSES, need_or_note
from geo.analysis.population import CHILDREN, Population, choose
from geo.dataset import Dataset
from geo.formatting import format_distance

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


def residents_from_grid(population: Population, *, layer_exists: bool = False) -> str:
    """``residents_source`` when the population is spread evenly over the fallback grid.

    ``layer_exists``: a residents layer exists but lacks the population's counts (say so).
    """
    spread = f"{population.plural} gleichmäßig auf ein {settings.FALLBACK_GRID_M:.0f}-m-Raster im Sozialraum verteilt"
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
        Count column reach is measured for (``children``, ``inhabitants`` or an indicator key with unit
        "Anzahl"; default: children where the year has children counts, else inhabitants), see
        :mod:`geo.analysis.population`.
    """

    year: int | None = None
    weights: dict[str, float] | None = None
    radii: dict[str, float] | None = None
    # default_factory: the settings as they are when the object is made, not when this module was imported
    max_share_in_reach: float = field(default_factory=lambda: settings.GAP_MAX_SHARE_IN_REACH)
    min_inhabitants: int = field(default_factory=lambda: settings.MIN_INHABITANTS_FOR_CLASS)
    population: str | None = None


@dataclass(frozen=True)
class ReachModel:
    """How reach of one offer type was measured in an analysis (shown on Methodik and in every method note).

    Attributes
    ----------
    kind
        The model in force, a key of :data:`geo.catalog.REACH_MODELS` (``radius`` where the configured model
        lacked its data and fell back to it; ``note`` says so).
    description
        One German sentence, e.g. "Luftlinie vom Wohnort, Radius 1 km".
    note
        Why the configured model is not in force ("" when it is).
    """

    kind: str
    description: str
    note: str = ""


@dataclass(frozen=True)
class Result:
    """What the maps, tables and exports show.

    ``districts`` holds, per district, the indicators of ``year``, the status index and class, and per
    analysed offer type the columns named by :func:`column`: ``target`` (people of the type's target group,
    :attr:`targets`), ``share_in_reach``, ``median_distance_m``, ``offers_inside``, ``without_reach`` (people of
    the target group out of reach, rounded) and ``gap``.
    ``key_figures``: ``districts``, ``districts_in_need``, ``population``, ``population_in_need`` and per type
    ``in_need_reached`` and ``gap_districts``. ``population`` says whom reach is measured for (children or
    inhabitants) and how every view names them. ``weights`` are the indicators the index was computed from
    (empty when none could be used); ``need_note`` says, in German, what was left out of the index or why no
    district is classified ("" when nothing was).
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
    need_note: str = ""
    #: Offer type → whom its reach is measured for (its target group; ``population`` for every type until the
    #: target groups of the Präventionskette are measured)
    targets: dict[str, Population] = field(default_factory=dict)
    #: Offer type → the reach model in force
    reach_models: dict[str, ReachModel] = field(default_factory=dict)


def column(metric: str, offer_type: str) -> str:
    """Name of a per-type result column, e.g. ``column("share_in_reach", "fgz")``."""
    return f"{metric}__{offer_type}"


def _normalise_ids(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame[settings.DISTRICT_ID] = frame[settings.DISTRICT_ID].astype(str).str.strip()
    return frame


def _spread_by_inhabitants(residents: pd.DataFrame, located: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each district's ``counts`` over its points, in proportion to their inhabitants (0 outside every district).

    ``located`` gives each point's district position (-1 outside), ``counts`` one value per district position.
    A district whose points hold no inhabitants keeps its count off the points (its share stays unknown).
    """
    inhabitants = np.nan_to_num(residents[settings.INHABITANTS].to_numpy(dtype=float))
    inside = located >= 0
    per_district = np.bincount(located[inside], weights=inhabitants[inside], minlength=len(counts))
    out = np.zeros(len(residents))
    denominator = per_district[located[inside]]
    with np.errstate(invalid="ignore", divide="ignore"):
        out[inside] = np.where(denominator > 0, inhabitants[inside] / denominator, 0.0) * np.nan_to_num(
            counts[located[inside]])
    return out


def residents_label(residents: pd.DataFrame) -> str:
    """Where a residents layer's points come from, in German (:data:`RESIDENT_KINDS`; blocks when unsaid)."""
    kinds = residents[settings.RESIDENT_KIND].dropna().unique() if settings.RESIDENT_KIND in residents else []
    return RESIDENT_KINDS.get(str(kinds[0]) if len(kinds) else "blocks", RESIDENTS_FROM_LAYER)


def analyse(dataset: Dataset, params: Params | None = None) -> Result:
    """Run need, reach and gap analysis on ``dataset`` with ``params`` (default: ``Params()``, made at call time).

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
    if not table[settings.DISTRICT_ID].isin(districts[settings.DISTRICT_ID]).any():
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
    need, weights, need_note = need_or_note(merged, definitions=definitions, weights=weights,
                                            min_inhabitants=params.min_inhabitants)
    merged = pd.concat([merged, need], axis=1)

    counts = merged[population.column].to_numpy(dtype=float)
    located = None
    layer = dataset.residents
    has_layer = layer is not None and len(layer) > 0
    if has_layer and population.column in layer and layer[population.column].notna().any():
        residents = crs.to_metric(layer, name="Wohnorte")
        residents = residents.assign(**{population.column: residents[population.column].fillna(0)})
        residents_source, on_grid = residents_label(residents), False
    elif has_layer and settings.INHABITANTS in layer and layer[settings.INHABITANTS].notna().any():
        # E.g. the Zensus population grid with the indicator table's children: each district's count is spread
        # over its points in proportion to their inhabitants, so the points say where, the table how many.
        residents = crs.to_metric(layer, name="Wohnorte")
        located = access.district_positions(residents, districts)
        residents = residents.assign(**{population.column: _spread_by_inhabitants(residents, located, counts)})
        residents_source = (f"{residents_label(residents)}; {population.plural} je Sozialraum nach den "
                            "Einwohnerzahlen der Punkte verteilt")
        on_grid = False
    else:
        per_district = pd.Series(counts, index=merged[settings.DISTRICT_ID].to_numpy())
        residents = access.grid_residents(districts, per_district, count_column=population.column)
        residents_source, on_grid = residents_from_grid(population, layer_exists=has_layer), True
    offers = crs.to_metric(dataset.offers, name="Angebote")
    if located is None:  # once per analysis, shared by every offer type (and the spreading above)
        located = access.district_positions(residents, districts)

    radii = {t: float(dataset.offer_types.at[t, "radius_m"]) for t in dataset.analysed_types}
    radii.update({t: float(r) for t, r in (params.radii or {}).items() if t in radii})
    reach: dict[str, pd.DataFrame] = {}
    key_figures: dict[str, float] = {}
    in_need = merged["status_class"].isin(IN_NEED_CLASSES).to_numpy()
    key_figures["districts"] = len(merged)
    key_figures["districts_in_need"] = int(in_need.sum())
    key_figures["population"] = float(counts.sum())
    key_figures["population_in_need"] = float(counts[in_need].sum())
    for offer_type, radius in radii.items():
        of_type = offers[offers[settings.OFFER_TYPE] == offer_type]
        r = access.reach_by_district(districts, residents, of_type, radius_m=radius,
                                     weight_column=population.column, located=located)
        reach[offer_type] = r
        share = r["share_in_reach"].reindex(merged[settings.DISTRICT_ID]).to_numpy(dtype=float)
        merged[column("share_in_reach", offer_type)] = share
        merged[column("median_distance_m", offer_type)] = (
            r["median_distance_m"].reindex(merged[settings.DISTRICT_ID]).to_numpy(dtype=float)
        )
        merged[column("offers_inside", offer_type)] = (
            r["offers_inside"].reindex(merged[settings.DISTRICT_ID]).to_numpy()
        )
        merged[column("target", offer_type)] = counts
        merged[column("without_reach", offer_type)] = np.round(counts * (1 - share))
        merged[column("gap", offer_type)] = in_need & (share < params.max_share_in_reach)
        reached = np.nan_to_num(counts * share)
        key_figures[column("in_need_reached", offer_type)] = float(reached[in_need].sum())
        key_figures[column("gap_districts", offer_type)] = int(merged[column("gap", offer_type)].sum())

    gaps = rank_gaps(
        merged, reach=reach, offer_types=dataset.offer_types, radii=radii,
        max_share_in_reach=params.max_share_in_reach, population=population,
    )
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
        need_note=need_note,
        targets={t: population for t in radii},
        reach_models={t: ReachModel("radius", f"Luftlinie vom Wohnort, Radius {format_distance(r)}")
                      for t, r in radii.items()},
    )
