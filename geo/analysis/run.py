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
from geo.dataset import Dataset

RESIDENTS_FROM_LAYER = "Wohnblöcke (Einwohner- und Kinderzahlen je Block)"
RESIDENTS_FROM_GRID = (
    f"keine Wohnorte-Ebene: Kinder gleichmäßig auf ein {settings.FALLBACK_GRID_M:.0f}-m-Raster im Bezirk verteilt"
)


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
        A district in need is a gap when less than this share of its children is within reach.
    """

    year: int | None = None
    weights: dict[str, float] | None = None
    radii: dict[str, float] | None = None
    # default_factory: the settings as they are when the object is made, not when this module was imported
    max_share_in_reach: float = field(default_factory=lambda: settings.GAP_MAX_SHARE_IN_REACH)
    min_inhabitants: int = field(default_factory=lambda: settings.MIN_INHABITANTS_FOR_CLASS)


@dataclass(frozen=True)
class Result:
    """What the maps, tables and exports show.

    ``districts`` holds, per district, the indicators of ``year``, the status index and class, and per
    analysed offer type the columns named by :func:`column`. ``weights`` are the indicators the index was
    computed from (empty when none could be used); ``need_note`` says, in German, what was left out of the
    index or why no district is classified ("" when nothing was).
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
    need_note: str = ""


def column(metric: str, offer_type: str) -> str:
    """Name of a per-type result column, e.g. ``column("share_in_reach", "fgz")``."""
    return f"{metric}__{offer_type}"


def _normalise_ids(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame[settings.DISTRICT_ID] = frame[settings.DISTRICT_ID].astype(str).str.strip()
    return frame


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
    districts = _normalise_ids(crs.to_metric(dataset.districts, name="Bezirke"))
    if not table[settings.DISTRICT_ID].isin(districts[settings.DISTRICT_ID]).any():
        raise DataError(
            "Keine Bezirks-Nummer der Indikatorentabelle passt zu den Bezirksgrenzen "
            f"(z. B. „{table[settings.DISTRICT_ID].iloc[0]}“ gegenüber „{districts[settings.DISTRICT_ID].iloc[0]}“). "
            "Bitte laden Sie die Indikatoren erneut über die Seite „Daten“ hoch; dort werden Nummern wie "
            "„0101“ und 101 abgeglichen."
        )
    merged = districts.merge(table.drop(columns=[settings.YEAR]), on=settings.DISTRICT_ID, how="left")
    merged[settings.INHABITANTS] = merged[settings.INHABITANTS].fillna(0)
    merged[settings.CHILDREN] = merged[settings.CHILDREN].fillna(0)

    definitions = dataset.indicator_definitions
    weights = params.weights
    if weights is None:
        weights = {k: float(r["weight"]) for k, r in definitions.iterrows() if r["in_index"]}
    need, weights, need_note = need_or_note(merged, definitions=definitions, weights=weights,
                                            min_inhabitants=params.min_inhabitants)
    merged = pd.concat([merged, need], axis=1)

    if dataset.residents is not None and len(dataset.residents):
        residents = crs.to_metric(dataset.residents, name="Wohnorte")
        residents_source = RESIDENTS_FROM_LAYER
    else:
        children = merged.set_index(settings.DISTRICT_ID)[settings.CHILDREN]
        residents = access.grid_residents(districts, children)
        residents_source = RESIDENTS_FROM_GRID
    offers = crs.to_metric(dataset.offers, name="Angebote")

    radii = {t: float(dataset.offer_types.at[t, "radius_m"]) for t in dataset.analysed_types}
    radii.update({t: float(r) for t, r in (params.radii or {}).items() if t in radii})
    reach: dict[str, pd.DataFrame] = {}
    key_figures: dict[str, float] = {}
    in_need = merged["status_class"].isin(IN_NEED_CLASSES).to_numpy()
    children = merged[settings.CHILDREN].to_numpy(dtype=float)
    key_figures["districts"] = len(merged)
    key_figures["districts_in_need"] = int(in_need.sum())
    key_figures["children"] = float(children.sum())
    key_figures["children_in_need"] = float(children[in_need].sum())
    for offer_type, radius in radii.items():
        of_type = offers[offers[settings.OFFER_TYPE] == offer_type]
        r = access.reach_by_district(districts, residents, of_type, radius_m=radius)
        reach[offer_type] = r
        share = r["share_in_reach"].reindex(merged[settings.DISTRICT_ID]).to_numpy(dtype=float)
        merged[column("share_in_reach", offer_type)] = share
        merged[column("median_distance_m", offer_type)] = (
            r["median_distance_m"].reindex(merged[settings.DISTRICT_ID]).to_numpy(dtype=float)
        )
        merged[column("offers_inside", offer_type)] = (
            r["offers_inside"].reindex(merged[settings.DISTRICT_ID]).to_numpy()
        )
        merged[column("children_without_reach", offer_type)] = np.round(children * (1 - share))
        merged[column("gap", offer_type)] = in_need & (share < params.max_share_in_reach)
        reached = np.nan_to_num(children * share)
        key_figures[column("children_in_need_reached", offer_type)] = float(reached[in_need].sum())
        key_figures[column("gap_districts", offer_type)] = int(merged[column("gap", offer_type)].sum())

    gaps = rank_gaps(
        merged, reach=reach, offer_types=dataset.offer_types, radii=radii,
        max_share_in_reach=params.max_share_in_reach,
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
        need_note=need_note,
    )
