"""Site suggestions: where new offers of one type reach the most people in need, every existing offer kept.

The model is the maximal covering location problem (MCLP, Church & ReVelle 1974) with predefined facilities, as
in pysal ``spopt``'s ``MCLP(predefined_facilities_arr=…)``: the existing offers are locked in, so whoever they
already reach counts as covered and only the people they leave out can be won. The set-cover variant asks for the
fewest new sites that bring a share of the target group in need into reach. Both are solved exactly as a MILP by
HiGHS (``scipy.optimize.milp``) on a sparse model reduced without changing any optimum: demand units with the same
set of covering candidates are merged, candidates reaching a subset of another's units dropped, and units only one
candidate reaches folded into it, which keeps state-scale instances small (see ``bench/bench_sites.py``). When the
time limit stops HiGHS, the better of its incumbent and the greedy choice is returned with the gap to its bound.

A :class:`SiteProblem` is built from a data set by :func:`geo.analysis.site_problem.build_problem`, which
applies the offer type's reach model (radius, assigned Grundschule or clinic, catchment areas).
"""

from __future__ import annotations

import operator
import time
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from geo import settings
from geo.formatting import format_number
from geo.progress import Progress, silent

#: Columns of a candidate table (:attr:`SiteProblem.candidates`); ``source`` is a key of :data:`CANDIDATE_SOURCES`.
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "candidate_id", settings.OFFER_NAME, settings.OFFER_ADDRESS, "source", settings.DISTRICT_ID,
    settings.SOZIALINDEX,
)
#: Where candidate sites come from → German label.
CANDIDATE_SOURCES: dict[str, str] = {
    "host": "Einrichtung ohne das Angebot (z. B. Grundschule ohne FGZ)",
    "list": "hochgeladene Kandidatenliste",
    "grid": "Rasterpunkt in einem Sozialraum mit hohem Bedarf",
}
#: Solver status → German words (:attr:`Suggestion.status`).
STATUS_TEXT: dict[str, str] = {
    "optimal": "optimal gelöst",
    "time_limit": "Zeitlimit erreicht – beste gefundene Lösung",
    "infeasible": "Ziel mit den Kandidaten nicht erreichbar",
    "no_gain": "kein Kandidat erreicht zusätzliche Menschen",
    "no_candidates": "keine Kandidaten",
    "heuristic": "Näherungslösung der schrittweisen Auswahl – Optimalität nicht belegt",
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
    def people(self) -> np.ndarray:
        """People per unit, missing (NaN) or negative counts as nobody."""
        return np.clip(np.nan_to_num(np.asarray(self.demand, dtype=float)), 0.0, None)

    @property
    def value(self) -> np.ndarray:
        """What reaching each unit is worth: people × need weight (missing or negative weights count 0)."""
        return np.clip(np.nan_to_num(self.people * np.asarray(self.weight, dtype=float)), 0.0, None)

    @property
    def need(self) -> np.ndarray:
        """People per unit in districts in need (0 elsewhere): what a share target counts."""
        return np.where(np.asarray(self.in_need, dtype=bool), self.people, 0.0)


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
        Only sites that add someone: a chosen candidate without a gain is left out.
    chosen
        Row positions of the chosen sites in :attr:`SiteProblem.candidates`, in rank order.
    status
        A key of :data:`STATUS_TEXT`.
    gap
        Relative optimality gap of the solution: the optimum is at most this share better (0 when optimal;
        NaN when unknown).
    before, after
        Coverage with the existing offers only, and with the new sites added.
    method
        ``"max_cover"`` (k sites, most weighted people) or ``"min_sites"`` (fewest sites for a share).
    seconds
        Wall time of the whole solve (model, solver, ranking).
    notes
        German notes on the result (fewer useful candidates than asked for, target already met, …).
    """

    sites: gpd.GeoDataFrame
    chosen: tuple[int, ...]
    status: str
    gap: float
    before: Coverage
    after: Coverage
    method: str
    seconds: float = 0.0
    notes: tuple[str, ...] = ()

    @property
    def status_text(self) -> str:
        """The solver status in German, with the optimality gap when the time limit stopped the solver."""
        text = STATUS_TEXT.get(self.status, self.status)
        if self.status != "time_limit":
            return text
        if not np.isfinite(self.gap):
            return f"{text} (Optimalitätslücke unbekannt)"
        return f"{text} (Optimalitätslücke höchstens {format_number(100 * self.gap, 1, unit='%')})"


def need_weights_text(weights: dict[str, float] | None = None, *, others: float = 1.0) -> str:
    """The need weights in German: "Status sehr niedrig ×3, Status niedrig ×2, übrige Sozialräume ×1".

    ``weights`` default to :data:`geo.settings.SITE_NEED_WEIGHTS`; ``others`` is the weight of the classes not
    listed (0 when only districts in need count).
    """
    weights = settings.SITE_NEED_WEIGHTS if weights is None else weights

    def times(w: float) -> str:
        return "×" + format_number(float(w), 0 if float(w).is_integer() else 1)

    parts = [f"{label} {times(w)}" for label, w in weights.items()]
    return ", ".join([*parts, f"übrige Sozialräume {times(others)}"])


def coverage(problem: SiteProblem, chosen: tuple[int, ...] | list[int] = ()) -> Coverage:
    """Coverage with the existing offers and the candidates at rows ``chosen``."""
    reached = covered_units(problem, chosen)
    return Coverage(people=float(problem.people[reached].sum()), in_need=float(problem.need[reached].sum()),
                    weighted=float(problem.value[reached].sum()))


def covered_units(problem: SiteProblem, chosen: tuple[int, ...] | list[int] = ()) -> np.ndarray:
    """Per demand unit: in reach of an existing offer or of a chosen candidate."""
    reached = np.asarray(problem.covered, dtype=bool).copy()
    if len(chosen):
        reached |= np.diff(_canonical(problem.cover)[:, list(chosen)].tocsr().indptr) > 0
    return reached


def greedy(problem: SiteProblem, k: int) -> tuple[int, ...]:
    """Up to ``k`` candidates chosen one by one, each adding the most weighted people (the classic heuristic).

    Stops early when no candidate adds anyone; ties go to the candidate listed first. A candidate reaching only a
    subset of another's open units (a copy, too) is never taken: the other is always at least as good.
    """
    k = _count(k)
    model = _model(problem)
    return tuple(int(model.columns[j]) for j in _greedy(model, "value", k))


def solve_max_cover(problem: SiteProblem, k: int, *, time_limit_s: float | None = None,
                    progress: Progress = silent) -> Suggestion:
    """The ``k`` new sites that bring the most weighted people into reach, existing offers locked (MCLP).

    Parameters
    ----------
    problem
        The covering problem (:func:`geo.analysis.site_problem.build_problem`).
    k
        How many new sites at most (≥ 0). Fewer are suggested when fewer candidates add anyone.
    time_limit_s
        The solver's time limit (default :data:`geo.settings.SITE_TIME_LIMIT_S`); when it is reached the best
        solution found is returned with status ``time_limit`` and its gap.
    progress
        Hears the steps (:mod:`geo.progress`): "Abdeckung durch den Bestand", "Modell verkleinern",
        "Optimierung (HiGHS)", "Ergebnis bewerten".

    Returns
    -------
    Suggestion
        Status ``optimal``, ``time_limit``, ``no_gain`` (no candidate reaches anyone new), ``no_candidates`` or,
        should the solver fail, ``heuristic`` (the greedy choice).
    """
    started = time.perf_counter()
    k = _count(k)
    progress(0.0, "Abdeckung durch den Bestand")
    _check(problem)
    before = coverage(problem)
    if not len(problem.candidates):
        return _suggestion(problem, (), "no_candidates", np.nan, before, "max_cover", started)
    progress(0.1, "Modell verkleinern")
    model = _model(problem)
    n = len(model.columns)
    progress(0.3, "Optimierung (HiGHS)")
    if k == 0 or k >= n:  # nothing to choose, or every candidate that adds anyone fits: take them all
        picks, status, gap, notes = list(range(n)) if k else [], "optimal", 0.0, []
    else:
        at_most_k = LinearConstraint(np.r_[np.ones(n), np.zeros(len(model.value))][None, :], 0, k)
        picks, status, gap, notes = _milp(model, -model.own_value, -model.value, [at_most_k], time_limit_s,
                                          fallback=lambda: _greedy(model, "value", k))
    progress(0.9, "Ergebnis bewerten")
    result = _suggestion(problem, model.columns[picks], status, gap, before, "max_cover", started, notes)
    progress(1.0, "Ergebnis bewerten")
    if k > 0 and not result.chosen:
        return replace(result, status="no_gain", gap=0.0)
    if len(result.chosen) < k and status == "optimal":
        note = (f"{k} neue Standorte angefragt, aber nur {len(result.chosen)} bringen zusätzliche Menschen in "
                "Reichweite")
        return replace(result, notes=(*result.notes, note))
    return result


def solve_min_sites(problem: SiteProblem, share: float, *, time_limit_s: float | None = None,
                    progress: Progress = silent) -> Suggestion:
    """The fewest new sites that bring ``share`` (0–1) of the target group in need into reach (set cover).

    Two steps: the fewest sites (a pure count, which HiGHS proves fast), then among that many sites meeting the
    target the one reaching the most weighted people, in the time left (a note says when that second step could
    not be proven). A target the existing offers already meet needs no site (status ``optimal``, a note says
    so). Where even all candidates fall short the status is ``infeasible`` and the sites are the fewest that give
    the largest reachable coverage. ``progress`` hears the steps as in :func:`solve_max_cover`, the solver's two.
    """
    started = time.perf_counter()
    share = float(share)
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must lie between 0 and 1, not {share}")
    progress(0.0, "Abdeckung durch den Bestand")
    _check(problem)
    before = coverage(problem)
    total = float(problem.need.sum())
    missing = share * total - before.in_need
    target = format_number(100 * share, 0 if float(100 * share).is_integer() else 1, unit="%")
    if missing <= 1e-9 * max(total, 1.0):
        return _suggestion(problem, (), "optimal", 0.0, before, "min_sites", started,
                           [f"Ziel ({target} in Reichweite) schon mit den bestehenden Angeboten erreicht"])
    if not len(problem.candidates):
        return _suggestion(problem, (), "no_candidates", np.nan, before, "min_sites", started)
    progress(0.1, "Modell verkleinern")
    model = _model(problem)
    status, notes = None, []
    reachable_need = float(model.own_need.sum() + model.need.sum())
    if reachable_need < missing * (1 - 1e-9):
        reachable = (before.in_need + reachable_need) / total
        notes.append(f"Ziel {target} nicht erreichbar: mit den Kandidaten höchstens "
                     f"{format_number(100 * reachable, 1, unit='%')} in Reichweite")
        status, missing = "infeasible", reachable_need
    if missing <= 0:
        return _suggestion(problem, (), status, np.nan, before, "min_sites", started, notes)
    n, m = len(model.columns), len(model.value)
    limit = settings.SITE_TIME_LIMIT_S if time_limit_s is None else float(time_limit_s)
    enough = LinearConstraint(np.r_[model.own_need, model.need][None, :], missing - 1e-9 * max(total, 1.0), np.inf)
    progress(0.3, "Optimierung (HiGHS): wenigste Standorte")
    picks, solved, gap, note = _milp(model, np.ones(n), np.zeros(m), [enough], limit,
                                     fallback=lambda: _greedy(model, "need", n, until=missing))
    if solved == "optimal":
        progress(0.6, "Optimierung (HiGHS): beste unter den wenigsten Standorten")
        fewest = LinearConstraint(np.r_[np.ones(n), np.zeros(m)][None, :], 0, len(picks))
        best, proven, _, _ = _milp(model, -model.own_value, -model.value, [enough, fewest],
                                   limit - (time.perf_counter() - started), fallback=lambda: picks)
        picks = best if proven in ("optimal", "time_limit") else picks
        if proven != "optimal":
            sites_text = "einem Standort" if len(picks) == 1 else f"{len(picks)} Standorten"
            note = [f"Zahl der Standorte optimal; unter den Lösungen mit {sites_text} ist die mit den meisten "
                    "gewichteten Menschen nicht belegt (Zeitlimit)"]
    progress(0.9, "Ergebnis bewerten")
    result = _suggestion(problem, model.columns[picks], status or solved, gap if status is None else np.nan, before,
                         "min_sites", started, notes + note)
    progress(1.0, "Ergebnis bewerten")
    return result


# ------------------------------------------------------------------------------------------------ the model


@dataclass(frozen=True)
class _Model:
    """The open part of a problem, reduced without changing any optimum.

    Units not yet in reach that some candidate reaches, merged by covering set; candidates that reach a subset of
    another's units (a copy, too) left out; units only one candidate reaches folded into that candidate
    (``own_value``/``own_need``). ``cover`` is the remaining units × candidates, ``value``/``need`` their sums,
    ``columns`` the candidates' row positions in the candidate table.
    """

    cover: sparse.csr_matrix
    value: np.ndarray
    need: np.ndarray
    own_value: np.ndarray
    own_need: np.ndarray
    columns: np.ndarray


def _count(k) -> int:
    k = operator.index(k)
    if k < 0:
        raise ValueError(f"k must not be negative, not {k}")
    return k


def _check(problem: SiteProblem) -> None:
    units, n = problem.cover.shape
    if n != len(problem.candidates):
        raise ValueError(f"cover has {n} columns for {len(problem.candidates)} candidates")
    for name in ("demand", "weight", "in_need", "covered"):
        if len(getattr(problem, name)) != units:
            raise ValueError(f"{name} has {len(getattr(problem, name))} values for {units} demand units")


def _canonical(matrix) -> sparse.csr_matrix:
    """A boolean CSR copy without duplicate or explicit-false entries, indices sorted."""
    out = sparse.csr_matrix(matrix, dtype=bool, copy=True)
    out.sum_duplicates()
    out.eliminate_zeros()
    return out


def _merge_rows(matrix: sparse.csr_matrix, *, salt: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Group equal rows of a canonical CSR matrix → (group code per row, first row of each group).

    Each row's set of columns is hashed (a wrapping sum of random 64-bit numbers per column, mixed with the row
    length); rows with equal hashes are then compared entry by entry, so a collision only costs a merge, never
    correctness. ``salt`` (one uint64 per column) replaces the random numbers (tests force collisions with it).
    """
    rows, cols = matrix.shape
    if salt is None:
        salt = np.random.default_rng(20261201).integers(0, np.iinfo(np.uint64).max, size=cols, dtype=np.uint64,
                                                        endpoint=True)
    run = np.zeros(matrix.nnz + 1, dtype=np.uint64)
    np.cumsum(salt[matrix.indices], out=run[1:])
    keys = (run[matrix.indptr[1:]] - run[matrix.indptr[:-1]]) ^ (
        np.diff(matrix.indptr).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    codes = pd.factorize(keys)[0].astype(np.int64)
    first = np.flatnonzero(codes > np.r_[-1, np.maximum.accumulate(codes)[:-1]]) if rows else codes
    differs = matrix.astype(np.int8) - matrix[first[codes]].astype(np.int8)
    differs.eliminate_zeros()
    clash = np.flatnonzero(np.diff(differs.indptr) > 0)
    if len(clash):  # a collision: those rows keep a group of their own
        codes[clash] = len(first) + np.arange(len(clash))
        first = np.r_[first, clash]
    return codes, first


def _undominated(matrix: sparse.csr_matrix) -> np.ndarray:
    """Columns reaching some row and not a subset of another column's rows (of equal columns the first)."""
    by_column = matrix.tocsc().astype(np.int32)
    size = np.diff(by_column.indptr)
    overlap = (by_column.T @ by_column).tocoo()
    j, other = overlap.row, overlap.col
    inside = (j != other) & (overlap.data == size[j]) & ((size[other] > size[j]) | (other < j))
    dominated = np.zeros(len(size), dtype=bool)
    dominated[j[inside]] = True
    return np.flatnonzero((size > 0) & ~dominated)


def _model(problem: SiteProblem) -> _Model:
    """Drop units already in reach or worth nothing, merge units by covering set, drop dominated candidates."""
    cover = _canonical(problem.cover)
    value, need = problem.value, problem.need
    worth = ~np.asarray(problem.covered, dtype=bool) & ((value > 0) | (need > 0)) & (np.diff(cover.indptr) > 0)
    keep = np.flatnonzero(worth)
    cover = cover[keep]
    codes, first = _merge_rows(cover)
    value = np.bincount(codes, weights=value[keep], minlength=len(first))
    need = np.bincount(codes, weights=need[keep], minlength=len(first))
    columns = _undominated(cover[first])
    merged = cover[first][:, columns].tocsr()
    single = np.diff(merged.indptr) == 1
    owner = merged[single].indices
    return _Model(cover=merged[~single], value=value[~single], need=need[~single],
                  own_value=np.bincount(owner, weights=value[single], minlength=len(columns)),
                  own_need=np.bincount(owner, weights=need[single], minlength=len(columns)), columns=columns)


def _greedy(model: _Model, score: str, k: int, *, until: float = np.inf) -> list[int]:
    """Up to ``k`` columns, each adding the most ``score`` (``"value"`` or ``"need"``), until ``until`` is reached."""
    left, own = getattr(model, score).astype(float).copy(), getattr(model, f"own_{score}").astype(float)
    cover, picks, reached = model.cover.tocsc(), [], 0.0
    for _ in range(min(k, cover.shape[1])):
        if reached >= until:
            break
        gains = cover.T @ left + own
        gains[picks] = -1.0
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        picks.append(best)
        reached += gains[best]
        left[cover.indices[cover.indptr[best]:cover.indptr[best + 1]]] = 0.0
    return picks


def _milp(model: _Model, x_cost: np.ndarray, y_cost: np.ndarray, extra: list[LinearConstraint],
          time_limit_s: float | None, *, fallback) -> tuple[list[int], str, float, list[str]]:
    """Solve over x (candidates, binary) and y (units, 0–1) with y_u ≤ Σ_j a_uj x_j → (picks, status, gap, notes).

    HiGHS' status 0 is ``optimal``. When the time limit (status 1) stops it, the better of its incumbent and of
    ``fallback()`` (greedy, always feasible) is returned as ``time_limit``, with the gap to HiGHS' dual bound;
    should HiGHS fail otherwise, the greedy choice is returned as ``heuristic``.
    """
    n, m = len(x_cost), len(y_cost)
    link = sparse.hstack([-model.cover.astype(float), sparse.identity(m, format="csr")], format="csr")
    limit = settings.SITE_TIME_LIMIT_S if time_limit_s is None else float(time_limit_s)
    result = milp(np.r_[x_cost, y_cost], integrality=np.r_[np.ones(n), np.zeros(m)], bounds=Bounds(0, 1),
                  constraints=[LinearConstraint(link, -np.inf, 0.0), *extra] if m else extra,
                  options={"time_limit": max(limit, 1e-3), "mip_rel_gap": 0.0})
    incumbent = None if result.x is None else [int(j) for j in np.flatnonzero(result.x[:n] > 0.5)]
    if result.status == 0 and incumbent is not None:
        return incumbent, "optimal", 0.0, []

    def objective(picks: list[int]) -> float:
        x = np.zeros(n)
        x[picks] = 1.0
        return float(x_cost @ x + y_cost @ np.minimum(model.cover @ x, 1.0))

    heuristic = fallback()
    if result.status != 1:
        return heuristic, "heuristic", np.nan, [f"Löser ohne Ergebnis ({result.message}): Vorschlag der "
                                                "schrittweisen Auswahl"]
    if incumbent is None:
        notes = ["Zeitlimit vor der ersten Lösung des Lösers erreicht: Vorschlag der schrittweisen Auswahl"]
    elif objective(heuristic) < objective(incumbent):
        notes = ["Zeitlimit erreicht: die schrittweise Auswahl ist besser als die beste Lösung des Lösers"]
    else:
        heuristic, notes = incumbent, []
    primal, bound = objective(heuristic), getattr(result, "mip_dual_bound", None)
    bound = np.nan if bound is None else float(bound)
    gap = max(primal - bound, 0.0) / abs(primal) if np.isfinite(bound) and primal != 0 else np.nan
    return heuristic, "time_limit", gap, notes


# ------------------------------------------------------------------------------------------------ the result


def _rank(problem: SiteProblem, chosen) -> tuple[list[int], list[Coverage]]:
    """``chosen`` ordered by marginal weighted gain (the best first, each after those above it) and the gains.

    Incremental: the people not yet reached are kept per unit and zeroed as each site is placed, so one step
    costs one product of the chosen columns with them. Ties go to more people, then to the earlier candidate.
    """
    chosen = [int(j) for j in chosen]
    if not chosen:
        return [], []
    columns = _canonical(problem.cover)[:, chosen].tocsc()
    left = np.column_stack([problem.value, problem.people, problem.need])
    left[covered_units(problem)] = 0.0
    order, gains, placed = [], [], np.zeros(len(chosen), dtype=bool)
    for _ in chosen:
        gain = columns.T @ left
        candidates = np.flatnonzero(~placed)
        pick = candidates[np.lexsort((np.array(chosen)[candidates], -gain[candidates, 1],
                                      -gain[candidates, 0]))[0]]
        placed[pick] = True
        order.append(chosen[pick])
        gains.append(Coverage(people=float(gain[pick, 1]), in_need=float(gain[pick, 2]),
                              weighted=float(gain[pick, 0])))
        left[columns.indices[columns.indptr[pick]:columns.indptr[pick + 1]]] = 0.0
    return order, gains


def _prune(problem: SiteProblem, chosen) -> list[int]:
    """``chosen`` without the sites that add nobody once all the others are placed (the least valuable first).

    A solver may pick such a site when more are allowed than needed (k beyond what helps, a copy of another
    candidate); coverage stays the same without it. Every site kept then reaches someone only it reaches.
    """
    chosen = [int(j) for j in chosen]
    if not chosen:
        return chosen
    worth = ~covered_units(problem) & ((problem.people > 0) | (problem.value > 0))
    columns = _canonical(problem.cover)[:, chosen].tocsc()
    columns = sparse.csc_matrix(columns.multiply(worth[:, None]))
    columns.eliminate_zeros()
    times = np.asarray(columns.sum(axis=1)).ravel()
    keep = np.ones(len(chosen), dtype=bool)
    for i in np.lexsort((-np.arange(len(chosen)), columns.T @ problem.value)):
        rows = columns.indices[columns.indptr[i]:columns.indptr[i + 1]]
        if (times[rows] >= 2).all():
            keep[i] = False
            times[rows] -= 1
    return [j for j, kept in zip(chosen, keep, strict=True) if kept]


def _suggestion(problem, chosen, status, gap, before, method, started, notes=()) -> Suggestion:
    order, gains = _rank(problem, _prune(problem, chosen))
    sites = problem.candidates.iloc[order].copy()
    sites["rank"] = np.arange(1, len(order) + 1)
    sites["gain"] = [g.people for g in gains]
    sites["gain_in_need"] = [g.in_need for g in gains]
    sites["gain_weighted"] = [g.weighted for g in gains]
    sites["reached_after"] = before.people + np.cumsum([g.people for g in gains], dtype=float)
    return Suggestion(sites=sites.reset_index(drop=True), chosen=tuple(order), status=status, gap=gap,
                      before=before, after=coverage(problem, order), method=method,
                      seconds=time.perf_counter() - started, notes=tuple(notes))
