"""Site suggestions: the demo city (target < 3 s) and a state-scale instance (target < 60 s, optimal or a stated gap).

City: the demo, FGZ at Grundschulen without one (host candidates, assigned-school reach) and Familienbüros on a
grid in the districts in need (radius), k = 3; timed is ``build_problem`` + ``solve_max_cover``.
State: the ≈ 2,800 Grundschulen of the NRW school master data (``../shared/data``; a synthetic state when absent)
as candidates, 300,000 synthetic demand points clustered around the schools and municipalities, radius 1 km,
k = 20, a few hundred existing offers (other schools) locked in; need weights from the nearest Grundschule's
Schulsozialindex (≥ 7 → 3, 5–6 → 2, in need from 5). Also the fewest sites for 30 % and 60 % of those in need.

Peers in the same run: greedy (time, and the share of the solver's weighted coverage it reaches) and pysal
``spopt``'s MCLP with predefined facilities on pulp/CBC. spopt needs a dense units × facilities cost matrix
(300,000 × 3,143 float64 would be 7.5 GB), so at state scale it gets a window around the Ruhr of the same instance.
"""

from __future__ import annotations

import resource
import sys
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scale import best_of  # noqa: E402
from geo import settings  # noqa: E402
from geo.analysis.candidates import grid_candidates, host_candidates  # noqa: E402
from geo.analysis.run import Params, prepare  # noqa: E402
from geo.analysis.site_problem import build_problem  # noqa: E402
from geo.analysis.sites import (  # noqa: E402
    CANDIDATE_COLUMNS,
    SiteProblem,
    coverage,
    greedy,
    solve_max_cover,
    solve_min_sites,
)
from geo.demo import load_demo  # noqa: E402

SCHOOLS = Path(__file__).resolve().parents[2] / "shared" / "data" / "nrw-schulen"
POINTS, RADIUS_M, K_STATE, K_CITY, EXISTING, SHARES = 300_000, 1_000.0, 20, 3, 350, (0.3, 0.6)


def cbc():
    """pulp's CBC via cbcbox (the test extra), or None."""
    try:
        import cbcbox
        import pulp
        import spopt.locate  # noqa: F401
    except ImportError:
        return None
    solver = pulp.COIN_CMD(path=cbcbox.cbc_bin_path(), msg=False)
    return solver if solver.available() else None


def spopt_weight(problem: SiteProblem, k: int, solver) -> tuple[float, float]:
    """spopt's MCLP on the same instance: (seconds incl. model building, covered weighted people).

    Covering is given as a 0/1 cost matrix (0 = in reach, service radius 0.5), so any reach model carries over;
    the existing offers are one predefined facility that reaches the locked units.
    """
    from spopt.locate import MCLP

    reach = np.column_stack([problem.cover.toarray(), problem.covered])
    cost = np.where(reach, 0.0, 1.0)
    predefined = np.r_[np.zeros(problem.cover.shape[1], dtype=bool), True]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # spopt builds its PuLP models the PuLP 3 way
        model = MCLP.from_cost_matrix(cost, problem.value, service_radius=0.5, p_facilities=k + 1,
                                      predefined_facilities_arr=predefined, name="bench").solve(solver)
    seconds = time.perf_counter() - start
    covered = np.array([len(c) > 0 for c in model.cli2fac])
    return seconds, float(problem.value[covered].sum())


def compare(label: str, problem: SiteProblem, k: int, solved_s: float, result, solver) -> None:
    """One line: solver figures, greedy and spopt as peers."""
    greedy_s, picks = best_of(3, lambda: greedy(problem, k))
    gained = result.after.weighted - result.before.weighted
    greedy_gain = coverage(problem, picks).weighted - result.before.weighted
    line = (f"{label:<34} {problem.cover.shape[0]:>8,} {problem.cover.shape[1]:>6,} {solved_s:>8.2f} "
            f"{result.status:<10} {result.gap:>6.1%} {greedy_s:>8.2f} {greedy_gain / gained if gained else 1:>8.4f}")
    if solver is not None:
        spopt_s, weight = spopt_weight(problem, k, solver)
        line += f" {spopt_s:>8.2f} {spopt_s / solved_s:>6.1f} {weight - result.after.weighted:>+9.1f}"
    print(line)


def header() -> None:
    print(f"{'instance':<34} {'units':>8} {'cands':>6} {'ours s':>8} {'status':<10} {'gap':>6} {'greedy s':>8} "
          f"{'greedy share':>8} {'spopt s':>8} {'ratio':>6} {'Δ weight':>9}")


def city(solver) -> None:
    demo = load_demo()
    params = Params()
    in_need = prepare(demo, params).in_need
    districts = demo.districts[in_need] if len(in_need) == len(demo.districts) else demo.districts
    for offer_type, candidates in (("fgz", host_candidates(demo, "fgz")),
                                   ("familienbuero", grid_candidates(districts))):
        def run(offer_type=offer_type, candidates=candidates):
            problem = build_problem(demo, offer_type, candidates, params=params)
            return problem, solve_max_cover(problem, K_CITY)
        seconds, (problem, result) = best_of(3, run)
        compare(f"demo {offer_type} k={K_CITY} (build+solve)", problem, K_CITY, seconds, result, solver)
        print(f"{'':<34} build+solve {seconds:.2f} s (target < 3 s {'✔' if seconds < 3 else '✘'}); solver alone "
              f"{result.seconds:.2f} s; {result.before.people:,.0f} → {result.after.people:,.0f} in reach")


def schools(rng: np.random.Generator) -> tuple[pd.DataFrame, str]:
    """Grundschulen and other schools (x, y in EPSG:25832, municipality, Sozialindex); synthetic when absent."""
    master = SCHOOLS / "schuldaten_2021.csv"
    if not master.exists():
        towns = rng.uniform([280_000, 5_580_000], [530_000, 5_820_000], size=(396, 2))
        town = rng.integers(0, len(towns), 5_500)
        xy = towns[town] + rng.normal(0, 2_500, size=(len(town), 2))
        return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "town": town, "grundschule": np.arange(len(town)) < 2_800,
                             "index": rng.integers(1, 10, len(town)).astype(float)}), \
            f"synthetic state ({master} is absent)"
    table = pd.read_csv(master, sep=";", skiprows=1, dtype=str, encoding="utf-8")
    table = table.assign(x=pd.to_numeric(table["UTMRechtswert"], errors="coerce"),
                         y=pd.to_numeric(table["UTMHochwert"], errors="coerce")).dropna(subset=["x", "y"])
    index = pd.Series(dtype=float)
    social = SCHOOLS / "schulen_sozialindex_2024_25.csv"
    if social.exists():
        listed = pd.read_csv(social, dtype={"Schulnummer": str})
        index = pd.to_numeric(listed.set_index("Schulnummer")["Sozialindex"], errors="coerce")
        index = index[~index.index.duplicated()]
    return pd.DataFrame({"x": table["x"].to_numpy(), "y": table["y"].to_numpy(),
                         "town": table["Gemeindeschluessel"].to_numpy(),
                         "grundschule": (table["Schulform"] == "02").to_numpy(),
                         "index": table["Schulnummer"].map(index).to_numpy(dtype=float)}), \
        f"NRW school master data 2021 ({master.name}), Sozialindex 2024/25"


def within(points: np.ndarray, sites: np.ndarray, radius: float) -> sparse.csr_matrix:
    lists = cKDTree(sites).query_ball_point(points, r=radius)
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    indices = np.fromiter((j for x in lists for j in x), dtype=np.int64, count=int(lengths.sum()))
    return sparse.csr_matrix((np.ones(len(indices), dtype=bool), indices, np.r_[0, np.cumsum(lengths)]),
                             shape=(len(points), len(sites)))


def state_problem(rng: np.random.Generator) -> tuple[SiteProblem, np.ndarray, str]:
    """The state instance and its demand points' coordinates."""
    table, source = schools(rng)
    primary = table[table["grundschule"]].reset_index(drop=True)
    others = table[~table["grundschule"]]
    existing = others.iloc[rng.choice(len(others), size=min(EXISTING, len(others)), replace=False)]
    towns = table.groupby("town")[["x", "y"]].mean().to_numpy()
    near_school = int(0.8 * POINTS)
    xy = np.vstack([
        primary[["x", "y"]].to_numpy()[rng.integers(0, len(primary), near_school)]
        + rng.normal(0, 700, size=(near_school, 2)),
        towns[rng.integers(0, len(towns), POINTS - near_school)] + rng.normal(0, 3_000, size=(POINTS - near_school, 2)),
    ])
    sites_xy = primary[["x", "y"]].to_numpy()
    nearest = cKDTree(sites_xy).query(xy)[1]
    index = primary["index"].to_numpy()[nearest]
    weight = np.where(index >= 7, 3.0, np.where(index >= 5, 2.0, 1.0))
    distance = cKDTree(existing[["x", "y"]].to_numpy()).query(xy, distance_upper_bound=RADIUS_M)[0]
    n = len(primary)
    candidates = gpd.GeoDataFrame({c: [""] * n for c in CANDIDATE_COLUMNS}, crs=settings.METRIC_CRS,
                                  geometry=shapely.points(sites_xy)).assign(
        candidate_id=[f"GS-{i}" for i in range(n)], source="host", **{settings.SOZIALINDEX: primary["index"]})
    problem = SiteProblem(offer_type="fgz", candidates=candidates, demand=rng.integers(1, 9, POINTS).astype(float),
                          weight=weight, in_need=index >= 5, district=np.full(POINTS, -1),
                          covered=np.isfinite(distance), cover=within(xy, sites_xy, RADIUS_M),
                          need_weights=dict(settings.SITE_NEED_WEIGHTS))
    return problem, xy, f"{source}: {n:,} Grundschulen as candidates, {len(existing)} other schools locked in"


def window(problem: SiteProblem, xy: np.ndarray, centre=(370_000.0, 5_705_000.0), half_m=9_000.0) -> SiteProblem:
    """The part of the instance in a square around ``centre`` (Bochum), for spopt's dense cost matrix."""
    inside = (np.abs(xy - np.asarray(centre)) <= half_m).all(axis=1)
    cover = problem.cover[np.flatnonzero(inside)]
    used = np.flatnonzero(np.diff(cover.tocsc().indptr) > 0)
    return SiteProblem(offer_type="fgz", candidates=problem.candidates.iloc[used].reset_index(drop=True),
                       demand=problem.demand[inside], weight=problem.weight[inside], in_need=problem.in_need[inside],
                       district=problem.district[inside], covered=problem.covered[inside],
                       cover=cover[:, used].tocsr(), need_weights=problem.need_weights)


def state(solver) -> None:
    rng = np.random.default_rng(20261201)
    start = time.perf_counter()
    problem, xy, source = state_problem(rng)
    built = time.perf_counter() - start
    print(f"state: {source}; {POINTS:,} points, radius {RADIUS_M:.0f} m: built in {built:.1f} s, "
          f"{problem.cover.nnz:,} point–school pairs, {problem.covered.mean():.1%} of the points already in reach")
    result = solve_max_cover(problem, K_STATE, time_limit_s=60.0)
    print(f"{'':<34} status {result.status} ({result.status_text}), gap {result.gap:.2%}, {result.seconds:.1f} s "
          f"(target < 60 s {'✔' if result.seconds < 60 else '✘'}); {result.before.people:,.0f} → "
          f"{result.after.people:,.0f} people in reach; notes: {list(result.notes)}")
    compare(f"state k={K_STATE} (solve)", problem, K_STATE, result.seconds, result, None)
    for share in SHARES:
        fewest = solve_min_sites(problem, share, time_limit_s=60.0)
        print(f"state fewest sites for {share:.0%} in need: {len(fewest.chosen)} sites, status {fewest.status}, gap "
              f"{fewest.gap:.2%}, {fewest.seconds:.1f} s; notes: {list(fewest.notes)}")
    part = window(problem, xy)
    sub = solve_max_cover(part, K_STATE)
    compare(f"state window 18 km k={K_STATE}", part, K_STATE, sub.seconds, sub, solver)


def main() -> None:
    solver = cbc()
    if solver is None:
        print("spopt/pulp/cbcbox not installed (pip install -e '.[test]'): no spopt peer")
    header()
    city(solver)
    state(solver)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS) of the benchmark process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
