"""The site solver: a hand-computed instance, brute force on random ones, locked offers, greedy, spopt as oracle."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy import sparse

from geo import settings
from geo.analysis import sites
from geo.analysis.sites import (
    CANDIDATE_COLUMNS,
    STATUS_TEXT,
    SiteProblem,
    coverage,
    greedy,
    solve_max_cover,
    solve_min_sites,
)


def make_problem(cover, demand, weight, in_need, covered, *, names=None) -> SiteProblem:
    """A problem straight from arrays; candidate ``j`` is named by ``names[j]`` (default "K<j>")."""
    cover = sparse.csr_matrix(np.asarray(cover, dtype=bool))
    n = cover.shape[1]
    names = names or [f"K{j}" for j in range(n)]
    candidates = gpd.GeoDataFrame(
        {c: [""] * n for c in CANDIDATE_COLUMNS}, geometry=shapely.points(np.arange(n) * 100.0, np.zeros(n)),
        crs=settings.METRIC_CRS,
    ).assign(candidate_id=names, source="list")
    return SiteProblem(offer_type="fgz", candidates=candidates, demand=np.asarray(demand, dtype=float),
                       weight=np.asarray(weight, dtype=float), in_need=np.asarray(in_need, dtype=bool),
                       district=np.zeros(len(demand), dtype=np.int64), covered=np.asarray(covered, dtype=bool),
                       cover=cover, need_weights=dict(settings.SITE_NEED_WEIGHTS))


# --------------------------------------------------------------------------------- the hand-computed instance
#
# unit  people  weight  in need  locked | value | A  B  C  D
# u0      100     1       no     yes    |  100  | x        x     (the existing offer reaches u0)
# u1       50     3       yes           |  150  | x
# u2       40     2       yes           |   80  | x  x
# u3       80     1       no            |   80  |    x  x
# u4       30     3       yes           |   90  |    x  x
# u5       70     1       no            |   70  |       x
#
# New value per candidate alone: A 150 + 80 = 230, B 80 + 80 + 90 = 250, C 80 + 90 + 70 = 240, D 0 (u0 is locked).
# k = 1: B (250). k = 2: A + C = 470 (every open unit), A + B = 400, B + C = 320; greedy takes B, then A: 400.
# Ranking of {A, C}: C first (240 > 230), then A (+230). Before: 100 people, 0 in need, 100 weighted.
# After A + C: 370 people, 120 in need (50 + 40 + 30), 570 weighted.

HAND = dict(
    cover=[[1, 0, 0, 1], [1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 1, 0]],
    demand=[100, 50, 40, 80, 30, 70], weight=[1, 3, 2, 1, 3, 1], in_need=[0, 1, 1, 0, 1, 0],
    covered=[1, 0, 0, 0, 0, 0], names=["A", "B", "C", "D"],
)


@pytest.fixture
def hand() -> SiteProblem:
    return make_problem(**HAND)


def ids(suggestion) -> list[str]:
    return list(suggestion.sites["candidate_id"])


def test_hand_instance_two_sites_optimum_ranks_gains_and_coverage(hand):
    result = solve_max_cover(hand, 2)
    assert (result.status, result.gap, result.method) == ("optimal", 0.0, "max_cover")
    assert ids(result) == ["C", "A"] and result.chosen == (2, 0)
    assert list(result.sites["rank"]) == [1, 2]
    assert list(result.sites["gain_weighted"]) == [240.0, 230.0]
    assert list(result.sites["gain"]) == [180.0, 90.0]          # C: 80 + 30 + 70; A: 50 + 40
    assert list(result.sites["gain_in_need"]) == [30.0, 90.0]
    assert list(result.sites["reached_after"]) == [280.0, 370.0]
    assert result.before == sites.Coverage(people=100.0, in_need=0.0, weighted=100.0)
    assert result.after == sites.Coverage(people=370.0, in_need=120.0, weighted=570.0)
    assert result.status_text == "optimal gelöst" and result.notes == ()


def test_hand_instance_one_site_and_greedy_falls_short(hand):
    assert ids(solve_max_cover(hand, 1)) == ["B"]
    assert greedy(hand, 2) == (1, 0)                            # B, then A
    assert coverage(hand, greedy(hand, 2)).weighted == 100.0 + 400.0
    assert coverage(hand, solve_max_cover(hand, 2).chosen).weighted == 100.0 + 470.0


@pytest.mark.parametrize("k", [3, 4, 10])
def test_more_sites_asked_than_useful_reports_the_useful_ones(hand, k):
    result = solve_max_cover(hand, k)
    assert ids(result) == ["C", "A"] and result.status == "optimal"
    assert result.notes == (f"{k} neue Standorte angefragt, aber nur 2 bringen zusätzliche Menschen in Reichweite",)


def test_k_zero_and_negative(hand):
    result = solve_max_cover(hand, 0)
    assert (ids(result), result.status, result.after) == ([], "optimal", result.before)
    with pytest.raises(ValueError, match="negative"):
        solve_max_cover(hand, -1)


def test_a_candidate_reaching_only_locked_people_is_no_gain(hand):
    only_d = make_problem(**{**HAND, "cover": [[1], [0], [0], [0], [0], [0]], "names": ["D"]})
    result = solve_max_cover(only_d, 2)
    assert (ids(result), result.status, result.status_text) == ([], "no_gain", STATUS_TEXT["no_gain"])
    assert result.after == result.before


def test_no_candidates_and_empty_demand():
    none = make_problem(np.zeros((3, 0)), [1, 2, 3], [1, 1, 1], [1, 1, 1], [0, 0, 0])
    assert solve_max_cover(none, 2).status == "no_candidates"
    assert solve_min_sites(none, 0.5).status == "no_candidates"
    empty = make_problem(np.zeros((0, 3)), [], [], [], [])
    assert solve_max_cover(empty, 2).status == "no_gain"
    met = solve_min_sites(empty, 0.8)                           # nobody in need: the target is met
    assert (met.status, ids(met)) == ("optimal", [])


def test_missing_demand_counts_as_nobody(hand):
    nan_u5 = make_problem(**{**HAND, "demand": [100, 50, 40, 80, 30, np.nan]})
    result = solve_max_cover(nan_u5, 1)
    assert ids(result) == ["B"] and result.sites["gain_weighted"].tolist() == [250.0]
    assert solve_max_cover(nan_u5, 2).after.weighted == 100.0 + 150 + 80 + 80 + 90  # C's u5 adds nothing now


def test_duplicated_candidates_count_once(hand):
    twice_c = make_problem(**{**HAND, "cover": [row + [row[2]] for row in HAND["cover"]],
                              "names": ["A", "B", "C", "D", "C2"]})
    result = solve_max_cover(twice_c, 3)
    assert ids(result) == ["C", "A"] and result.after.weighted == 570.0
    assert greedy(twice_c, 3) == (1, 0, 2)                      # B, A, then C (listed before its copy) adds u5


def test_min_sites_fewest_then_most_weighted(hand):
    half = solve_min_sites(hand, 0.5)                           # 60 of 120 in need: A (90) or B (70) alone
    assert (ids(half), half.status, half.method) == (["B"], "optimal", "min_sites")
    full = solve_min_sites(hand, 1.0)                           # u1 needs A, u4 needs B or C: A + C weighs more
    assert ids(full) == ["C", "A"] and full.after.in_need == 120.0


def test_min_sites_target_already_met(hand):
    locked = make_problem(**{**HAND, "covered": [1, 1, 1, 0, 0, 0]})  # 90 of 120 in need already in reach
    result = solve_min_sites(locked, 0.75)
    assert (ids(result), result.status) == ([], "optimal")
    assert result.notes == ("Ziel (75\u00a0% in Reichweite) schon mit den bestehenden Angeboten erreicht",)


def test_min_sites_unreachable_target_gives_the_largest_reachable_coverage(hand):
    without_a = make_problem(**{**HAND, "cover": [row[1:] for row in HAND["cover"]], "names": ["B", "C", "D"]})
    result = solve_min_sites(without_a, 0.8)                    # u1 (50 in need) is out of every reach
    assert (result.status, ids(result)) == ("infeasible", ["B"])  # B alone reaches u2 and u4: 70 of 120
    assert result.after.in_need == 70.0
    assert result.notes == ("Ziel 80\u00a0% nicht erreichbar: mit den Kandidaten höchstens 58,3\u00a0% in Reichweite",)
    assert result.status_text == "Ziel mit den Kandidaten nicht erreichbar"


def test_bad_share_and_inconsistent_problem(hand):
    with pytest.raises(ValueError, match="share"):
        solve_min_sites(hand, 1.5)
    with pytest.raises(ValueError, match="demand"):
        solve_max_cover(replace(hand, demand=np.ones(5)), 1)


def test_equal_rows_are_merged_and_a_hash_collision_only_splits():
    matrix = sites._canonical(sparse.csr_matrix(np.array([[1, 1, 0], [0, 1, 1], [1, 1, 0], [1, 0, 1]])))
    codes, first = sites._merge_rows(matrix)
    assert codes[0] == codes[2] and len(set(codes)) == 3 and sorted(first) == [0, 1, 3]
    collide = np.ones(3, dtype=np.uint64)               # every row of two entries hashes alike
    codes, first = sites._merge_rows(matrix, salt=collide)
    assert codes[0] == codes[2] and len(set(codes)) == 3
    assert all((matrix[i] != matrix[first[c]]).nnz == 0 for i, c in enumerate(codes))


def test_candidates_reaching_a_subset_of_another_are_left_out_of_the_model():
    #            c0 c1 c2 c3 c4: c1 ⊂ c0, c2 = c0 (a copy), c4 reaches nobody
    matrix = sparse.csr_matrix(np.array([[1, 1, 1, 0, 0], [1, 0, 1, 0, 0], [0, 0, 0, 1, 0]], dtype=bool))
    assert list(sites._undominated(matrix)) == [0, 3]


def test_units_only_one_candidate_reaches_are_folded_into_it(hand):
    model = sites._model(hand)                                  # D reaches only u0 (locked): left out
    assert list(model.columns) == [0, 1, 2]
    assert list(model.own_value) == [150.0, 0.0, 70.0] and list(model.own_need) == [50.0, 0.0, 0.0]  # u1, u5
    assert model.cover.shape == (2, 3) and sorted(model.value) == [80.0, 170.0]  # u2 (A, B); u3 + u4 (B, C)


def fake_highs(monkeypatch, status: int, x=None, bound=None, message="HiGHS stopped"):
    """HiGHS answering with ``status`` (1 = time limit), incumbent ``x`` and dual bound ``bound``."""
    from scipy.optimize import OptimizeResult

    monkeypatch.setattr(sites, "milp", lambda *a, **k: OptimizeResult(
        status=status, x=None if x is None else np.asarray(x, dtype=float), mip_dual_bound=bound, message=message))


def test_time_limit_before_any_solution_gives_greedy_with_the_gap_to_the_bound(hand, monkeypatch):
    fake_highs(monkeypatch, 1, bound=-600.0)                    # the bound: at most 600 weighted people to win
    result = solve_max_cover(hand, 2)
    assert (ids(result), result.status) == (["B", "A"], "time_limit")  # greedy: 250 + 150
    assert result.gap == pytest.approx((600 - 400) / 400)
    assert result.status_text == "Zeitlimit erreicht – beste gefundene Lösung (Optimalitätslücke höchstens 50,0\u00a0%)"
    assert result.notes == ("Zeitlimit vor der ersten Lösung des Lösers erreicht: Vorschlag der schrittweisen "
                            "Auswahl",)


def test_time_limit_keeps_the_better_of_incumbent_and_greedy(hand, monkeypatch):
    # the model's variables: A, B, C (D reaches nobody new), then the units {u2} and {u3, u4}
    fake_highs(monkeypatch, 1, x=[1, 0, 1, 1, 1], bound=-480.0)  # the incumbent A + C: 470
    result = solve_max_cover(hand, 2)
    assert (ids(result), result.status, result.notes) == (["C", "A"], "time_limit", ())
    assert result.gap == pytest.approx(10 / 470)
    fake_highs(monkeypatch, 1, x=[0, 0, 1, 0, 1], bound=-480.0)  # a poor incumbent: C alone, 240
    result = solve_max_cover(hand, 2)
    assert ids(result) == ["B", "A"] and result.gap == pytest.approx(80 / 400)
    assert result.notes == ("Zeitlimit erreicht: die schrittweise Auswahl ist besser als die beste Lösung des "
                            "Lösers",)


def test_a_failing_solver_falls_back_to_greedy(hand, monkeypatch):
    fake_highs(monkeypatch, 4, message="numerische Probleme")
    result = solve_max_cover(hand, 2)
    assert (ids(result), result.status) == (["B", "A"], "heuristic") and np.isnan(result.gap)
    assert result.status_text == "Näherungslösung der schrittweisen Auswahl – Optimalität nicht belegt"
    assert result.notes == ("Löser ohne Ergebnis (numerische Probleme): Vorschlag der schrittweisen Auswahl",)


def test_fewest_sites_when_the_second_step_runs_out_of_time(hand, monkeypatch):
    from scipy.optimize import OptimizeResult

    answers = iter([OptimizeResult(status=0, x=np.array([1.0, 0, 0, 1, 0]), mip_dual_bound=1.0, message=""),
                    OptimizeResult(status=1, x=None, mip_dual_bound=-300.0, message="")])
    monkeypatch.setattr(sites, "milp", lambda *a, **k: next(answers))
    result = solve_min_sites(hand, 0.5)                         # step 1: one site (A) is enough, proven
    assert (ids(result), result.status, result.gap) == (["A"], "optimal", 0.0)
    assert result.notes == ("Zahl der Standorte optimal; unter den Lösungen mit einem Standort ist die mit den "
                            "meisten gewichteten Menschen nicht belegt (Zeitlimit)",)


# ----------------------------------------------------------------------------------- random instances


def random_problem(seed: int, *, units: int = 40, n: int = 10, p: float = 0.15) -> SiteProblem:
    rng = np.random.default_rng(seed)
    return make_problem(rng.random((units, n)) < p, rng.integers(1, 20, units), rng.choice([1.0, 2.0, 3.0], units),
                        rng.random(units) < 0.5, rng.random(units) < 0.2)


def every_subset(problem: SiteProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Brute force: (subset size, weighted coverage, people in need reached) of all 2^n candidate subsets."""
    n = problem.cover.shape[1]
    subsets = (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1
    reached = problem.covered | ((subsets @ problem.cover.toarray().T.astype(int)) > 0)
    return subsets.sum(axis=1), reached @ problem.value, reached @ problem.need


SEEDS = range(8)


@pytest.mark.parametrize("seed", SEEDS)
def test_max_cover_equals_brute_force_and_keeps_locked_offers(seed):
    problem = random_problem(seed)
    size, weighted, _ = every_subset(problem)
    for k in (2, 3):
        result = solve_max_cover(problem, k)
        assert result.status == "optimal" and len(result.chosen) <= k
        assert result.after.weighted == pytest.approx(weighted[size == k].max(), rel=1e-12)
        assert result.after == coverage(problem, result.chosen)
        assert sites.covered_units(problem, result.chosen)[problem.covered].all()  # locked units stay in reach
        assert result.before.people <= result.after.people and result.before.weighted <= result.after.weighted
        assert result.after.weighted >= coverage(problem, greedy(problem, k)).weighted - 1e-9
        assert result.sites["gain_weighted"].is_monotonic_decreasing
        assert result.sites["gain_weighted"].sum() == pytest.approx(result.after.weighted - result.before.weighted)


@pytest.mark.parametrize("seed", SEEDS)
def test_min_sites_has_the_brute_force_minimum_size(seed):
    problem = random_problem(seed)
    size, _, in_need = every_subset(problem)
    total = problem.need.sum()
    for share in (0.5, 0.7):
        result = solve_min_sites(problem, share)
        enough = in_need >= share * total - 1e-9
        if not enough.any():
            assert result.status == "infeasible" and result.after.in_need == pytest.approx(in_need.max())
            assert len(result.chosen) == size[in_need >= in_need.max() - 1e-9].min()
            continue
        assert result.status == "optimal" and len(result.chosen) == size[enough].min()
        assert result.after.in_need >= share * total - 1e-6


def test_never_below_greedy_on_many_seeds():
    for seed in range(100, 125):
        problem = random_problem(seed, units=60, n=15, p=0.2)
        for k in (1, 4):
            assert solve_max_cover(problem, k).after.weighted >= coverage(problem, greedy(problem, k)).weighted - 1e-9


def test_a_tiny_time_limit_stops_early_without_an_exception():
    problem = random_problem(7, units=8_000, n=400, p=0.008)
    result = solve_max_cover(problem, 40, time_limit_s=0.01)
    assert result.status in ("time_limit", "optimal")
    assert 0 < len(result.chosen) <= 40 and result.after.weighted >= result.before.weighted
    if result.status == "time_limit":
        assert result.status_text.startswith("Zeitlimit erreicht – beste gefundene Lösung (Optimalitätslücke ")
        assert np.isnan(result.gap) or result.gap >= 0


# ----------------------------------------------------------------------------------- spopt as the oracle


def cbc_solver():
    """pulp's CBC (the ``cbc`` extra, package cbcbox), or a skip saying why not."""
    pulp = pytest.importorskip("pulp", reason="pulp (test extra) is not installed")
    cbcbox = pytest.importorskip("cbcbox", reason="CBC for pulp (pulp[cbc], test extra) is not installed")
    solver = pulp.COIN_CMD(path=cbcbox.cbc_bin_path(), msg=False)
    if not solver.available():
        pytest.skip("the CBC solver of cbcbox does not run on this machine")
    return solver


@pytest.mark.filterwarnings("ignore:.*PuLP 4.0:DeprecationWarning")  # spopt still builds models the PuLP 3 way
def test_spopt_mclp_with_predefined_facilities_covers_the_same_weight():
    spopt_locate = pytest.importorskip("spopt.locate", reason="spopt (test extra) is not installed")
    solver = cbc_solver()
    rng = np.random.default_rng(3)
    units, sites_xy, existing = rng.random((80, 2)) * 5000, rng.random((10, 2)) * 5000, rng.random((2, 2)) * 5000
    radius = 1200.0
    cost = np.linalg.norm(units[:, None, :] - np.vstack([sites_xy, existing])[None, :, :], axis=2)
    demand = rng.integers(1, 30, len(units)).astype(float)
    weight = rng.choice([1.0, 2.0, 3.0], len(units))
    locked = (cost[:, 10:] <= radius).any(axis=1)
    problem = make_problem(cost[:, :10] <= radius, demand, weight, np.ones(len(units)), locked)
    assert 0 < locked.sum() < len(units)
    for k in (2, 3):
        ours = solve_max_cover(problem, k)
        predefined = np.r_[np.zeros(10, dtype=bool), np.ones(2, dtype=bool)]
        # spopt counts the predefined facilities in p (exactly p are open)
        oracle = spopt_locate.MCLP.from_cost_matrix(cost, demand * weight, service_radius=radius,
                                                    p_facilities=k + 2, predefined_facilities_arr=predefined,
                                                    name=f"mclp-{k}").solve(solver)
        covered = np.array([len(c) > 0 for c in oracle.cli2fac])
        assert ours.after.weighted == pytest.approx(float((demand * weight)[covered].sum()), rel=1e-9)
