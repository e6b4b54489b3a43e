"""The synthetic demo city "Musterstadt": a deterministic generator, and the loader for the committed files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, Point, Polygon

from geo import catalog, settings
from geo.dataset import Dataset

CITY_NAME = "Musterstadt"
SOURCE_LABEL = f"{CITY_NAME} – {settings.SYNTHETIC_STAMP} (fiktiv, generiert mit geo.demo)"
#: Centre of the fictional city in EPSG:25832 (a plausible place in the eastern Ruhr area).
CENTRE = (415_000.0, 5_728_000.0)
YEARS = (2023, 2024)
DEMO_DIR_DEFAULT = settings.DEMO_DIR
GPKG_NAME = "musterstadt.gpkg"
INDICATORS_NAME = "indikatoren.csv"
SOZIALINDEX_NAME = "sozialindex.csv"
#: Age bands of the demo's children (``low``, ``high``: from ``low`` to under ``high`` years), adding up to 0–17.
AGE_BANDS: tuple[tuple[int, int], ...] = ((0, 3), (3, 6), (6, 10), (10, 18))
#: Expected share of each band among the children 0–17 (German age structure), and how a deprived district shifts
#: it towards the youngest (more births there).
_BAND_SHARES = np.array([0.165, 0.17, 0.22, 0.445])
_BAND_TILT = np.array([0.15, 0.08, 0.0, -0.06])
#: Independent random streams of the parts added after the first demo (``seed`` and a number), so that adding
#: them changed no earlier district, residents point, offer or indicator value.
_STREAM_AGES, _STREAM_RESIDENT_AGES, _STREAM_SCHOOLS = 1, 2, 3
SCHOOL_PREFIXES = ("GGS", "KGS", "Grundschule", "Städt. Gemeinschaftsgrundschule")

AREA_NAMES = ["Mitte", "Nord", "Nordost", "Ost", "Süd", "Südwest", "West", "Nordwest"]
DISTRICT_NAMES = [
    "Altstadt", "Bahnhofsviertel", "Am Stadtgarten", "Marktviertel", "Kreuzviertel", "Schloßpark",
    "Lindenhof", "Zechenkolonie", "Am Hüttenwerk", "Kanalufer", "Nordstadt", "Brückenfeld", "Ölmühle",
    "Erlenbruch", "Auf der Heide", "Weidenau", "Grünental", "Buchenhain", "Eichkamp", "Rosengarten",
    "Sonnenhügel", "Mühlenfeld", "Kirchspiel", "Südpark", "Westfeld", "Oststadt", "Hafenviertel",
    "Am Bergwerk", "Feldmark", "Birkenweg", "Kolonie Hansa", "Schöneberg", "Talaue", "Lerchenfeld",
    "Fuchsbau", "Wiesental", "Krähenbusch", "Am Wasserturm", "Dorfkern Holte", "Hellweg", "Ahornhöhe",
    "Kirchhöfen", "Am Rathaus", "Gartenstadt", "Steinbruch", "Heidekamp", "Röhrenwerk", "Friedenshöh",
    "Sandberg", "Lohfeld", "Hammerteich", "Zur Aue", "Kastanienallee", "Möwenteich",
]
SMALL_DISTRICT_NAMES = ["Gewerbepark Süd", "Stadtwald", "Rheinhafen-Gelände"]
STREETS = [
    "Hauptstraße", "Kirchstraße", "Schulstraße", "Bahnhofstraße", "Lindenallee", "Gartenweg", "Am Markt",
    "Bergstraße", "Mühlenweg", "Zechenstraße", "Wiesenstraße", "Rosenweg", "Goethestraße", "Schillerplatz",
    "Hüttenstraße", "Kanalstraße", "Parkstraße", "Ringstraße", "Weberstraße", "Brunnenweg",
]


def _outline() -> Polygon:
    """A wobbly city outline of about 190 km²."""
    theta = np.linspace(0, 2 * np.pi, 240, endpoint=False)
    radius = 7_000 * (1 + 0.12 * np.sin(3 * theta) + 0.07 * np.cos(5 * theta + 0.5))
    x = CENTRE[0] + 1.2 * radius * np.cos(theta)
    y = CENTRE[1] + radius * np.sin(theta)
    return Polygon(np.column_stack([x, y]))


def _random_points_in(polygon: Polygon, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniformly random points inside ``polygon`` (rejection sampling)."""
    minx, miny, maxx, maxy = polygon.bounds
    prepared = shapely.prepared.prep(polygon)
    out: list[tuple[float, float]] = []
    while len(out) < n:
        xs = rng.uniform(minx, maxx, 4 * n)
        ys = rng.uniform(miny, maxy, 4 * n)
        for x, y in zip(xs, ys, strict=True):
            if prepared.contains(Point(x, y)):
                out.append((x, y))
                if len(out) == n:
                    break
    return np.array(out)


def _deprivation(xy: np.ndarray) -> np.ndarray:
    """Latent deprivation in [0, 1]: two clustered hot spots (north-west and east) and a milder centre."""
    dx = xy[:, 0] - CENTRE[0]
    dy = xy[:, 1] - CENTRE[1]

    def bump(cx: float, cy: float, sigma: float) -> np.ndarray:
        return np.exp(-((dx - cx) ** 2 + (dy - cy) ** 2) / (2 * sigma**2))

    raw = 1.0 * bump(-3_000, 2_500, 2_300) + 0.85 * bump(4_200, -600, 1_900) + 0.45 * bump(0, 0, 1_500)
    return np.clip(raw, 0, 1)


def _districts(rng: np.random.Generator) -> gpd.GeoDataFrame:
    outline = _outline()
    n = len(DISTRICT_NAMES) + len(SMALL_DISTRICT_NAMES)
    # Denser seeds in the centre: draw uniformly, then pull towards the centre.
    seeds = _random_points_in(outline, n, rng)
    seeds = np.array(CENTRE) + (seeds - np.array(CENTRE)) * 0.85
    for _ in range(3):  # Lloyd relaxation for compact, city-like cells
        cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=outline, ordered=True)
        polys = [c.intersection(outline) for c in cells.geoms]
        seeds = np.array([[p.centroid.x, p.centroid.y] for p in polys])
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=outline, ordered=True)
    polys = [shapely.set_precision(c.intersection(outline), 0.01) for c in cells.geoms]
    gdf = gpd.GeoDataFrame({"geometry": polys}, crs=settings.METRIC_CRS)
    centroid = gdf.geometry.centroid
    dx, dy = centroid.x - CENTRE[0], centroid.y - CENTRE[1]
    dist = np.hypot(dx, dy)
    angle = (np.degrees(np.arctan2(dx, dy)) + 360) % 360  # clockwise from north
    # Stadtbezirk 01 Mitte: the 8 most central cells; the others in 7 sectors clockwise from north.
    area = np.where(dist.rank(method="first") <= 8, 0, 1 + (angle // (360 / 7)).astype(int))
    gdf["area_index"] = area
    gdf["_dist"] = dist
    gdf["_angle"] = angle
    # Small districts: three outer cells (industry, forest, harbour) with few inhabitants.
    outer = gdf.sort_values("_dist", ascending=False).index[[0, 7, 14]]
    gdf["small"] = gdf.index.isin(outer)
    gdf = gdf.sort_values(["area_index", "_angle"]).reset_index(drop=True)
    names = iter(DISTRICT_NAMES)
    small_names = iter(SMALL_DISTRICT_NAMES)
    gdf[settings.DISTRICT_NAME] = [next(small_names) if s else next(names) for s in gdf["small"]]
    gdf[settings.AREA_ID] = [f"{a + 1:02d}" for a in gdf["area_index"]]
    gdf[settings.AREA_NAME] = [AREA_NAMES[a] for a in gdf["area_index"]]
    seq = gdf.groupby("area_index").cumcount() + 1
    gdf[settings.DISTRICT_ID] = [f"{a}{s:02d}" for a, s in zip(gdf[settings.AREA_ID], seq, strict=True)]
    return gdf


def _indicators(districts: gpd.GeoDataFrame, rng: np.random.Generator) -> pd.DataFrame:
    centroid = np.column_stack([districts.geometry.centroid.x, districts.geometry.centroid.y])
    latent = np.clip(_deprivation(centroid) + rng.normal(0, 0.08, len(districts)), 0, 1)
    area_km2 = districts.geometry.area / 1e6
    density = 3_800 * np.exp(-districts["_dist"] / 4_500) + 500
    weight = np.where(districts["small"], 0, area_km2 * density)
    inhabitants = np.round(weight / weight.sum() * 300_000).astype(int)
    inhabitants[districts["small"].to_numpy()] = rng.integers(60, 290, int(districts["small"].sum()))
    rows = []
    for k, year in enumerate(YEARS):
        drift = 1 + 0.01 * k
        inh = np.round(inhabitants * (drift + rng.normal(0, 0.005, len(districts)))).astype(int)
        child_share = np.clip(0.12 + 0.07 * latent + rng.normal(0, 0.008, len(districts)), 0.08, 0.25)
        rows.append(
            pd.DataFrame(
                {
                    settings.DISTRICT_ID: districts[settings.DISTRICT_ID],
                    settings.YEAR: year,
                    settings.INHABITANTS: inh,
                    settings.CHILDREN: np.round(inh * child_share).astype(int),
                    "sgb2_children_quota": np.round(
                        np.clip(7 + 33 * latent + rng.normal(0, 2.0, len(latent)) + 0.6 * k, 1, 60), 1
                    ),
                    "unemployment_rate": np.round(
                        np.clip(3.5 + 10 * latent + rng.normal(0, 0.8, len(latent)) - 0.2 * k, 1.5, 20), 1
                    ),
                    "single_parent_share": np.round(
                        np.clip(14 + 16 * latent + rng.normal(0, 2.0, len(latent)), 5, 45), 1
                    ),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _residents(
    districts: gpd.GeoDataFrame, indicators: pd.DataFrame, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """Residential blocks (~100 inhabitants each) whose counts add up exactly to the latest year's totals."""
    latest = indicators[indicators[settings.YEAR] == max(YEARS)].set_index(settings.DISTRICT_ID)
    parts = []
    for _, d in districts.iterrows():
        inh = int(latest.at[d[settings.DISTRICT_ID], settings.INHABITANTS])
        children = int(latest.at[d[settings.DISTRICT_ID], settings.CHILDREN])
        n = max(2, round(inh / 100))
        xy = _random_points_in(d.geometry.buffer(-20) if d.geometry.area > 1e6 else d.geometry, n, rng)
        share = rng.dirichlet(np.full(n, 4.0))
        block_inh = rng.multinomial(inh, share)
        block_children = rng.multinomial(children, block_inh / block_inh.sum()) if inh else np.zeros(n, int)
        parts.append(
            pd.DataFrame(
                {
                    settings.DISTRICT_ID: d[settings.DISTRICT_ID],
                    settings.INHABITANTS: block_inh,
                    settings.CHILDREN: block_children,
                    "x": xy[:, 0],
                    "y": xy[:, 1],
                }
            )
        )
    table = pd.concat(parts, ignore_index=True)
    table.insert(0, "block_id", [f"WB{i + 1:05d}" for i in range(len(table))])
    points = gpd.points_from_xy(table.pop("x").round(1), table.pop("y").round(1))
    return gpd.GeoDataFrame(table, geometry=points, crs=settings.METRIC_CRS)


def _address(rng: np.random.Generator, district: str) -> str:
    street = STREETS[int(rng.integers(len(STREETS)))]
    return f"{street} {int(rng.integers(1, 120))}, {CITY_NAME}-{district}"


def _offers(districts: gpd.GeoDataFrame, rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Familienbüros at Stadtbezirk centres, FGZ at primary schools, four birth clinics; and the school sites.

    The FGZ leave the eastern hot spot short; two of the clinics run a Lotsendienst. The school sites (one per
    sampled Sozialraum: ``district_id``, ``district_name``, ``x``, ``y``, ``fgz_id`` and ``address`` of the FGZ
    there, "" where none) become the Grundschulen (:func:`_grundschulen`).
    """
    big = districts[~districts["small"]].reset_index(drop=True)
    centroid = np.column_stack([big.geometry.centroid.x, big.geometry.centroid.y])
    latent = _deprivation(centroid)
    rows: list[dict] = []

    def add(kind: str, prefix: str, name: str, d: pd.Series, xy: tuple[float, float], capacity) -> None:
        number = sum(r["offer_type"] == kind for r in rows) + 1
        rows.append(
            {
                settings.OFFER_ID: f"{prefix}-{number:02d}",
                settings.OFFER_TYPE: kind,
                settings.OFFER_NAME: name,
                settings.OFFER_ADDRESS: _address(rng, d[settings.DISTRICT_NAME]),
                settings.OFFER_CAPACITY: capacity,
                "x": round(xy[0], 1),
                "y": round(xy[1], 1),
            }
        )

    # Familienbüros: one at the most central Sozialraum of each Stadtbezirk, two more in deprived ones.
    central = big.loc[big.groupby(settings.AREA_ID)["_dist"].idxmin()]
    extra = big.drop(central.index).assign(latent=latent[big.drop(central.index).index])
    extra = extra.sort_values("latent", ascending=False).head(2)
    for _, d in pd.concat([central, extra]).iterrows():
        p = d.geometry.representative_point()
        add("familienbuero", "FB", f"Familienbüro {d[settings.DISTRICT_NAME]}", d, (p.x, p.y), np.nan)

    # Primary schools: about one per 1.2 Sozialräume; FGZ favour deprived schools, but not in the east.
    schools = big.sample(n=45, random_state=int(rng.integers(1_000_000)), replace=False)
    school_xy = np.array([_random_points_in(g.buffer(-50), 1, rng)[0] for g in schools.geometry])
    school_need = _deprivation(school_xy)
    east = np.hypot(school_xy[:, 0] - (CENTRE[0] + 4_200), school_xy[:, 1] - (CENTRE[1] - 600)) < 2_300
    score = school_need + rng.uniform(0, 0.35, len(schools)) - 2 * east
    chosen = np.argsort(-score)[:20]
    fgz_at: dict[int, dict] = {}
    for i in sorted(chosen):
        d = schools.iloc[i]
        add("fgz", "FGZ", f"FGZ Grundschule {d[settings.DISTRICT_NAME]}", d, tuple(school_xy[i]),
            int(rng.integers(4, 12)) * 10)
        fgz_at[i] = rows[-1]
    sites = pd.DataFrame({
        settings.DISTRICT_ID: schools[settings.DISTRICT_ID].to_numpy(),
        settings.DISTRICT_NAME: schools[settings.DISTRICT_NAME].to_numpy(),
        "x": [fgz_at[i]["x"] if i in fgz_at else round(school_xy[i][0], 1) for i in range(len(schools))],
        "y": [fgz_at[i]["y"] if i in fgz_at else round(school_xy[i][1], 1) for i in range(len(schools))],
        "fgz_id": [fgz_at[i][settings.OFFER_ID] if i in fgz_at else "" for i in range(len(schools))],
        settings.OFFER_ADDRESS: [fgz_at[i][settings.OFFER_ADDRESS] if i in fgz_at else "" for i in range(len(schools))],
    })

    clinics = ["St.-Agnes-Hospital", "Klinikum Musterstadt", "Ev. Krankenhaus Nord", "Marien-Klinik Süd"]
    picks = big.sort_values("_dist").iloc[[0, 5, 20, 35]]
    for k, (_, d) in enumerate(picks.iterrows()):
        p = d.geometry.representative_point()
        if k < 2:
            add("lotsendienst", "LD", f"Lotsendienst {clinics[k]}", d, (p.x, p.y), int(rng.integers(3, 8)) * 100)
        else:
            add("geburtsklinik", "GK", clinics[k], d, (p.x, p.y), np.nan)

    table = pd.DataFrame(rows)
    points = gpd.points_from_xy(table.pop("x"), table.pop("y"))
    return gpd.GeoDataFrame(table, geometry=points, crs=settings.METRIC_CRS), sites


def _age_bands(districts: gpd.GeoDataFrame, indicators: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The indicator table with the children split into :data:`AGE_BANDS` (adding up exactly) and ``births``.

    Deprived districts are a little younger; births are about a third of the children under 3 (≈ children / 18).
    """
    centroid = np.column_stack([districts.geometry.centroid.x, districts.geometry.centroid.y])
    latent = pd.Series(_deprivation(centroid), index=districts[settings.DISTRICT_ID].to_numpy())
    shares = _BAND_SHARES * (1 + np.outer(latent.to_numpy(), _BAND_TILT))
    shares = pd.DataFrame(shares / shares.sum(axis=1, keepdims=True), index=latent.index)
    children = indicators[settings.CHILDREN].to_numpy()
    expected = shares.loc[indicators[settings.DISTRICT_ID]].to_numpy()
    bands = np.array([rng.multinomial(n, rng.dirichlet(p * 600)) for n, p in zip(children, expected, strict=True)])
    births = np.rint(bands[:, 0] / 3 * np.exp(rng.normal(0, 0.08, len(bands)))).astype(np.int64)
    out = indicators.copy()
    at = out.columns.get_loc(settings.CHILDREN) + 1
    for k, (low, high) in enumerate(AGE_BANDS):
        out.insert(at + k, settings.age_column(low, high), bands[:, k].astype(np.int64))
    out.insert(at + len(AGE_BANDS), settings.BIRTHS, births)
    return out


def _resident_age_bands(
    residents: gpd.GeoDataFrame, indicators: pd.DataFrame, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """The residents' blocks with the age bands and births of the latest year, adding up exactly per district.

    Each block's bands add up to its children (a draw without replacement from the district's band totals);
    the district's births go to its blocks in proportion to their children under 3.
    """
    bands = [settings.age_column(low, high) for low, high in AGE_BANDS]
    latest = indicators[indicators[settings.YEAR] == max(YEARS)].set_index(settings.DISTRICT_ID)
    out = residents.copy()
    counts = np.zeros((len(out), len(bands) + 1), dtype=np.int64)
    for district, positions in out.groupby(settings.DISTRICT_ID, sort=False).indices.items():
        remaining = latest.loc[district, bands].to_numpy(dtype=np.int64)
        for i in positions:
            counts[i, :-1] = rng.multivariate_hypergeometric(remaining, int(out[settings.CHILDREN].iat[i]))
            remaining = remaining - counts[i, :-1]
        weight = counts[positions, 0].astype(float)
        if weight.sum() == 0:
            weight = out[settings.INHABITANTS].to_numpy()[positions].astype(float)
        births = int(latest.at[district, settings.BIRTHS])
        if births:
            counts[positions, -1] = rng.multinomial(births, weight / weight.sum())
    at = out.columns.get_loc(settings.CHILDREN) + 1
    for k, name in enumerate([*bands, settings.BIRTHS]):
        out.insert(at + k, name, counts[:, k])
    return out


def _grundschulen(sites: pd.DataFrame, rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Grundschulen at the school sites (one at every FGZ, the others without one) and their Schulsozialindex.

    A school at an FGZ has its position and address; every school has a six-digit Schulnummer ("19…") as
    ``offer_id``. The Sozialindex (1–9) follows the deprivation where the school stands.
    """
    sites = sites.sort_values(settings.DISTRICT_ID, kind="stable").reset_index(drop=True)
    numbers = np.sort(rng.choice(np.arange(1_000, 10_000), size=len(sites), replace=False))
    prefixes = rng.integers(len(SCHOOL_PREFIXES), size=len(sites))
    names, addresses = [], []
    for k, site in sites.iterrows():
        at_fgz = bool(site["fgz_id"])
        prefix = "Grundschule" if at_fgz else SCHOOL_PREFIXES[prefixes[k]]
        names.append(f"{prefix} {site[settings.DISTRICT_NAME]}")
        addresses.append(site[settings.OFFER_ADDRESS] if at_fgz else _address(rng, site[settings.DISTRICT_NAME]))
    table = pd.DataFrame({
        settings.OFFER_ID: [f"19{n:04d}" for n in numbers],
        settings.OFFER_TYPE: "grundschule",
        settings.OFFER_NAME: names,
        settings.OFFER_ADDRESS: addresses,
        settings.OFFER_CAPACITY: np.nan,
    })
    xy = sites[["x", "y"]].to_numpy(dtype=float)
    need = _deprivation(xy)
    index = np.clip(np.rint(1 + 8 * need + rng.normal(0, 0.7, len(sites))), 1, 9).astype(np.int64)
    sozialindex = pd.DataFrame({settings.SCHOOL_ID: table[settings.OFFER_ID], settings.SOZIALINDEX: index})
    points = gpd.points_from_xy(xy[:, 0], xy[:, 1])
    return gpd.GeoDataFrame(table, geometry=points, crs=settings.METRIC_CRS), sozialindex


def generate(seed: int = 2024) -> dict[str, pd.DataFrame]:
    """Generate the demo layers deterministically: same seed, same city.

    The parts added later (age bands and births, Grundschulen, Sozialindex) draw from random streams of their
    own, so the earlier layers' values are those of the first demo.

    Returns
    -------
    dict
        ``districts``, ``indicators``, ``residents``, ``offers`` (the Grundschulen last) and ``sozialindex``.
    """
    rng = np.random.default_rng(seed)
    districts = _districts(rng)
    indicators = _indicators(districts, rng)
    residents = _residents(districts, indicators, rng)
    offers, sites = _offers(districts, rng)
    indicators = _age_bands(districts, indicators, np.random.default_rng([seed, _STREAM_AGES]))
    residents = _resident_age_bands(residents, indicators, np.random.default_rng([seed, _STREAM_RESIDENT_AGES]))
    schools, sozialindex = _grundschulen(sites, np.random.default_rng([seed, _STREAM_SCHOOLS]))
    offers = gpd.GeoDataFrame(pd.concat([offers, schools], ignore_index=True), crs=settings.METRIC_CRS)
    keep = [settings.DISTRICT_ID, settings.DISTRICT_NAME, settings.AREA_ID, settings.AREA_NAME, "geometry"]
    return {
        "districts": districts[keep].copy(),
        "indicators": indicators,
        "residents": residents,
        "offers": offers,
        "sozialindex": sozialindex,
    }


def write_demo(directory: Path | str = settings.DEMO_DIR, seed: int = 2024) -> Path:
    """Write the demo set: one GeoPackage (districts, residents, offers), a German indicator CSV, the Sozialindex."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    layers = generate(seed)
    gpkg = directory / GPKG_NAME
    gpkg.unlink(missing_ok=True)
    for name in ("districts", "residents", "offers"):
        layers[name].to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio")
    layers["indicators"].to_csv(
        directory / INDICATORS_NAME, sep=";", decimal=",", index=False, encoding="utf-8"
    )
    layers["sozialindex"].to_csv(directory / SOZIALINDEX_NAME, sep=";", index=False, encoding="utf-8")
    return directory


def load_demo(directory: Path | str = settings.DEMO_DIR) -> Dataset:
    """Load the committed demo set as a read-only :class:`Dataset`."""
    directory = Path(directory)
    gpkg = directory / GPKG_NAME
    districts = gpd.read_file(gpkg, layer="districts", engine="pyogrio")
    residents = gpd.read_file(gpkg, layer="residents", engine="pyogrio")
    offers = gpd.read_file(gpkg, layer="offers", engine="pyogrio")
    indicators = pd.read_csv(
        directory / INDICATORS_NAME, sep=";", decimal=",", dtype={settings.DISTRICT_ID: str}
    )
    sozialindex = pd.read_csv(directory / SOZIALINDEX_NAME, sep=";", encoding="utf-8",
                              dtype={settings.SCHOOL_ID: str, settings.SOZIALINDEX: "int64"})
    return Dataset(
        districts=districts,
        indicators=indicators,
        offers=offers,
        residents=residents,
        offer_types=catalog.read_offer_types(),
        indicator_definitions=catalog.read_indicator_definitions(),
        sozialindex=sozialindex,
        source=SOURCE_LABEL,
        synthetic=True,
        versions={"Demo": "Musterstadt (eingebaut)"},
        city=CITY_NAME,
        workspace="demo",
    )


if __name__ == "__main__":
    print(write_demo())
