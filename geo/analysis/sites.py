"""Site suggestions: where new offers of one type reach the most people in need, every existing offer kept.

The model is the maximal covering location problem (MCLP, Church & ReVelle 1974) with predefined facilities, as
in pysal ``spopt``'s ``MCLP(predefined_facilities_arr=…)``: the existing offers are locked in, so whoever they
already reach counts as covered and only the people they leave out can be won. The set-cover variant asks for the
fewest new sites that bring a share of the target group in need into reach. Both are solved exactly as a MILP by
HiGHS (``scipy.optimize.milp``) on a sparse, aggregated model: demand units with the same set of covering
candidates are merged, which keeps state-scale instances small (see ``bench/bench_sites.py``).

A :class:`SiteProblem` is built from a data set by :func:`geo.analysis.site_problem.build_problem`, which
applies the offer type's reach model (radius, assigned Grundschule or clinic, catchment areas).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from geo import settings

#: Columns of a candidate table (:attr:`SiteProblem.candidates`); ``source`` is a key of :data:`CANDIDATE_SOURCES`.
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "candidate_id", settings.OFFER_NAME, settings.OFFER_ADDRESS, "source", settings.DISTRICT_ID,
    settings.SOZIALINDEX,
)
#: Where candidate sites come from → German label.
CANDIDATE_SOURCES: dict[str, str] = {
    "host": "Einrichtung ohne das Angebot (z. B. Grundschule ohne FGZ)",
    "list": "hochgeladene Kandidatenliste",
    "grid": "Rasterpunkt in einem Sozialraum mit Bedarf",
}
#: Solver status → German words (:attr:`Suggestion.status`).
STATUS_TEXT: dict[str, str] = {
    "optimal": "optimal gelöst",
    "time_limit": "Zeitlimit erreicht – beste gefundene Lösung",
    "infeasible": "Ziel mit den Kandidaten nicht erreichbar",
    "no_gain": "kein Kandidat erreicht zusätzliche Menschen",
    "no_candidates": "keine Kandidaten",
}


@dataclass(frozen=True)
class SiteProblem:
    """One offer type's covering problem: demand units, candidate sites and who each candidate would reach.

    Attributes
    ----------
    offer_type
        The offer type the new sites are for.
    candidates
        Candidate sites (metric CRS), :data:`CANDIDATE_COLUMNS`; row ``j`` is column ``j`` of ``cover``.
    demand
        People of the type's target group per demand unit (a resident point, or a row of the births-per-clinic
        table).
    weight
        Need weight per demand unit (:data:`geo.settings.SITE_NEED_WEIGHTS` by the district's status class).
    in_need
        The unit lies in a district in need.
    district
        Row position of the unit's district in the analysis' district table (-1 outside every district).
    covered
        The unit is already in reach of an existing offer: the locked facilities.
    cover
        Sparse boolean matrix, units × candidates: candidate ``j`` would bring unit ``i`` into reach.
    model
        The reach model the coverage follows (a key of :data:`geo.catalog.REACH_MODELS`).
    notes
        German notes on the problem (a model that fell back, candidates left out, …).
    need_weights
        The weights in force (status class → weight), stated with every suggestion.
    """

    offer_type: str
    candidates: gpd.GeoDataFrame
    demand: np.ndarray
    weight: np.ndarray
    in_need: np.ndarray
    district: np.ndarray
    covered: np.ndarray
    cover: sparse.csr_matrix
    model: str = "radius"
    notes: tuple[str, ...] = ()
    need_weights: dict[str, float] = field(default_factory=dict)

    @property
    def value(self) -> np.ndarray:
        """What reaching each unit is worth: people × need weight."""
        return np.nan_to_num(self.demand * self.weight)


@dataclass(frozen=True)
class Coverage:
    """Who is in reach: people of the target group, those of them in districts in need, and the weighted sum."""

    people: float
    in_need: float
    weighted: float


@dataclass(frozen=True)
class Suggestion:
    """The sites a solver chose, ranked, with coverage before and after.

    Attributes
    ----------
    sites
        The chosen candidates in rank order: :data:`CANDIDATE_COLUMNS` plus ``rank`` (1, 2, …), ``gain``
        (people newly in reach when the site is added after those ranked above it), ``gain_in_need``,
        ``gain_weighted`` and ``reached_after`` (people in reach once this site and those above it are added).
    chosen
        Row positions of the chosen sites in :attr:`SiteProblem.candidates`, in rank order.
    status
        A key of :data:`STATUS_TEXT`.
    gap
        Relative optimality gap of the solution (0 when optimal; NaN when unknown).
    before, after
        Coverage with the existing offers only, and with the new sites added.
    method
        ``"max_cover"`` (k sites, most weighted people) or ``"min_sites"`` (fewest sites for a share).
    seconds
        Wall time of the solver.
    """

    sites: gpd.GeoDataFrame
    chosen: tuple[int, ...]
    status: str
    gap: float
    before: Coverage
    after: Coverage
    method: str
    seconds: float = 0.0

    @property
    def status_text(self) -> str:
        """The solver status in German, with the gap when not optimal."""
        return STATUS_TEXT.get(self.status, self.status)


def coverage(problem: SiteProblem, chosen: tuple[int, ...] | list[int] = ()) -> Coverage:
    """Coverage with the existing offers and the candidates at rows ``chosen``."""
    reached = covered_units(problem, chosen)
    people = np.nan_to_num(problem.demand)
    return Coverage(people=float(people[reached].sum()), in_need=float(people[reached & problem.in_need].sum()),
                    weighted=float(problem.value[reached].sum()))


def covered_units(problem: SiteProblem, chosen: tuple[int, ...] | list[int] = ()) -> np.ndarray:
    """Per demand unit: in reach of an existing offer or of a chosen candidate."""
    reached = np.asarray(problem.covered, dtype=bool).copy()
    if len(chosen):
        reached |= np.asarray(problem.cover[:, list(chosen)].sum(axis=1)).ravel() > 0
    return reached


def greedy(problem: SiteProblem, k: int) -> tuple[int, ...]:
    """Up to ``k`` candidates chosen one by one, each adding the most weighted people (the classic heuristic)."""
    value = np.where(problem.covered, 0.0, problem.value)
    cover = problem.cover.tocsc()
    chosen: list[int] = []
    for _ in range(min(k, cover.shape[1])):
        gains = cover.T @ value
        if chosen:
            gains[chosen] = -1.0
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        chosen.append(best)
        value[cover[:, best].nonzero()[0]] = 0.0
    return tuple(chosen)


def solve_max_cover(problem: SiteProblem, k: int, *, time_limit_s: float | None = None) -> Suggestion:
    """The ``k`` new sites that bring the most weighted people into reach, existing offers locked (MCLP)."""
    return _solve(problem, k=k, share=None, time_limit_s=time_limit_s)


def solve_min_sites(problem: SiteProblem, share: float, *, time_limit_s: float | None = None) -> Suggestion:
    """The fewest new sites that bring ``share`` (0–1) of the target group in need into reach (set cover).

    Among equally few sites the one reaching the most weighted people wins. Where even all candidates fall short
    the status is ``infeasible`` and the sites are those of the largest reachable coverage.
    """
    return _solve(problem, k=None, share=share, time_limit_s=time_limit_s)


# ------------------------------------------------------------------------------------------------ the model


def _open_units(problem: SiteProblem) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """Uncovered units any candidate reaches, merged by their set of candidates → (cover, value, people in need)."""
    cover = sparse.csr_matrix(problem.cover, dtype=bool)
    reachable = np.asarray(cover.sum(axis=1)).ravel() > 0
    keep = np.flatnonzero(reachable & ~np.asarray(problem.covered, dtype=bool))
    value = problem.value[keep]
    need = np.where(problem.in_need[keep], np.nan_to_num(problem.demand[keep]), 0.0)
    cover = cover[keep]
    # identical rows (the same covering candidates) become one unit with the summed value
    rows = [tuple(cover.indices[cover.indptr[i]:cover.indptr[i + 1]]) for i in range(cover.shape[0])]
    codes, first = pd.factorize(pd.Series(rows, dtype=object))[0], None
    n = int(codes.max()) + 1 if len(codes) else 0
    first = np.full(n, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    merged_value = np.bincount(codes, weights=value, minlength=n)
    merged_need = np.bincount(codes, weights=need, minlength=n)
    return cover[first], merged_value, merged_need


def _solve(problem: SiteProblem, *, k: int | None, share: float | None, time_limit_s: float | None) -> Suggestion:
    import time

    started = time.perf_counter()
    n = len(problem.candidates)
    before = coverage(problem)
    if n == 0:
        return _suggestion(problem, (), "no_candidates", np.nan, before, "max_cover" if k is not None else "min_sites",
                           started)
    cover, value, need = _open_units(problem)
    m = cover.shape[0]
    # variables: x (n candidates, binary), y (m units, 0–1): y_u ≤ Σ_j a_uj x_j
    link = sparse.hstack([-cover.astype(float), sparse.identity(m, format="csr")], format="csr")
    constraints = [LinearConstraint(link, -np.inf, 0.0)]
    if k is not None:
        method = "max_cover"
        constraints.append(LinearConstraint(np.r_[np.ones(n), np.zeros(m)][None, :], 0, k))
        c = np.r_[np.zeros(n), -value]
    else:
        method = "min_sites"
        people = np.nan_to_num(problem.demand)
        total_need = float(people[problem.in_need].sum())
        missing = share * total_need - before.in_need
        if missing <= 0:
            return _suggestion(problem, (), "optimal", 0.0, before, method, started)
        if need.sum() < missing - 1e-9:
            chosen = tuple(int(j) for j in np.flatnonzero(np.asarray(cover.sum(axis=0)).ravel() > 0))
            return _suggestion(problem, chosen, "infeasible", np.nan, before, method, started)
        constraints.append(LinearConstraint(np.r_[np.zeros(n), need][None, :], missing - 1e-6, np.inf))
        c = np.r_[np.ones(n), -value / (value.sum() + 1.0)]  # fewest sites first, then the most weighted people
    limit = settings.SITE_TIME_LIMIT_S if time_limit_s is None else float(time_limit_s)
    result = milp(c, integrality=np.r_[np.ones(n), np.zeros(m)], bounds=Bounds(0, 1), constraints=constraints,
                  options={"time_limit": limit, "mip_rel_gap": 0.0})
    if result.x is None:
        return _suggestion(problem, (), "infeasible", np.nan, before, method, started)
    chosen = tuple(int(j) for j in np.flatnonzero(result.x[:n] > 0.5))
    status = "optimal" if result.status == 0 else "time_limit"
    gap = 0.0 if status == "optimal" else float(getattr(result, "mip_gap", np.nan))
    return _suggestion(problem, chosen, status, gap, before, method, started)


def _suggestion(problem, chosen, status, gap, before, method, started) -> Suggestion:
    import time

    order, gains = _rank(problem, chosen)
    sites = problem.candidates.iloc[list(order)].copy()
    sites["rank"] = np.arange(1, len(order) + 1)
    sites["gain"] = [g.people for g in gains]
    sites["gain_in_need"] = [g.in_need for g in gains]
    sites["gain_weighted"] = [g.weighted for g in gains]
    sites["reached_after"] = before.people + np.cumsum([g.people for g in gains]) if gains else []
    if chosen and not any(g.weighted > 0 for g in gains) and status == "optimal":
        status = "no_gain"
    return Suggestion(sites=sites.reset_index(drop=True), chosen=tuple(order), status=status, gap=gap,
                      before=before, after=coverage(problem, order), method=method,
                      seconds=time.perf_counter() - started)


def _rank(problem: SiteProblem, chosen: tuple[int, ...]) -> tuple[list[int], list[Coverage]]:
    """``chosen`` ordered by marginal weighted gain (the best first, each after those above it) and the gains."""
    rest, order, gains = list(chosen), [], []
    current = coverage(problem)
    while rest:
        trials = [coverage(problem, [*order, j]) for j in rest]
        best = max(range(len(rest)), key=lambda i: (trials[i].weighted, trials[i].people, -rest[i]))
        gains.append(Coverage(trials[best].people - current.people, trials[best].in_need - current.in_need,
                              trials[best].weighted - current.weighted))
        current = trials[best]
        order.append(rest.pop(best))
    return order, gains
