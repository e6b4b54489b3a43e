"""Standorte: where the next sites of an offer type should go, every existing offer kept; save them as a scenario."""

from __future__ import annotations

import hashlib

import geopandas as gpd
import streamlit as st

from app_pages import _map
from app_pages import _shared as ui
from geo import DataError, settings
from geo.analysis import analyse
from geo.analysis import candidates as cand
from geo.analysis.compare import compare
from geo.analysis.need import IN_NEED_CLASSES, NOT_CLASSIFIED, STATUS_CLASSES
from geo.analysis.run import prepare
from geo.analysis.scenarios import edits_from_suggestion, names, scenario_dataset, scenario_text
from geo.analysis.schools import SCHOOL_TYPE
from geo.analysis.site_problem import build_problem, check_offer_type, sites_as_offers
from geo.analysis.sites import need_weights_text, solve_max_cover, solve_min_sites
from geo.export import sites_xlsx_bytes
from geo.formatting import format_number
from geo.ingest.candidates import read_candidates
from geo.progress import Progress, part, silent
from geo.render import site_tables
from geo.render.tables import german_csv_bytes
from geo.render.web.site_map import site_map
from geo.store.scenarios import save_scenario

SCENARIO_PAGE = "app_pages/12_Szenarien.py"
DATA_PAGE = "app_pages/3_Daten.py"
REQUEST = "sites_request"
SAVED = "sites_saved"
#: Ziel of the suggestion → German label.
GOALS = {"k": "k neue Standorte", "share": "Anteil der Zielgruppe in Bedarfsgebieten in Reichweite"}
#: Problems of an uploaded candidate list shown on the page (the rest are counted).
SHOWN_PROBLEMS = 10


def need_weights(only_in_need: bool) -> dict[str, float]:
    """The weights in force: :data:`geo.settings.SITE_NEED_WEIGHTS`, others 1; only in need: the others 0."""
    weights = {c: float(settings.SITE_NEED_WEIGHTS.get(c, 1.0)) for c in [*STATUS_CLASSES, NOT_CLASSIFIED]}
    return {c: (w if c in IN_NEED_CLASSES else 0.0) for c, w in weights.items()} if only_in_need else weights


def weights_text(only_in_need: bool) -> str:
    """"Bedarfsgewicht: Status sehr niedrig ×3, Status niedrig ×2, übrige Sozialräume ×1" (or "×0")."""
    return f"Bedarfsgewicht: {need_weights_text(others=0 if only_in_need else 1)}"


def goal_text(request: tuple, plural: str) -> str:
    """The goal of a request in words: "Ziel: 2 neue FGZ" or "Ziel: 80 % der Zielgruppe in Bedarfsgebieten …"."""
    _, goal, amount = request[:3]
    if goal == "k":
        return f"Ziel: {format_number(amount)} neue {plural}"
    return f"Ziel: {format_number(amount)} % der Zielgruppe in Bedarfsgebieten in Reichweite"


def problem_lines(problems) -> str:
    """The first problems of a report as a Markdown list (Excel row and column in each line), the rest counted."""
    lines = [f"- {ui.md(p)}" for p in problems[:SHOWN_PROBLEMS]]
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(f"- … und {format_number(len(problems) - SHOWN_PROBLEMS)} weitere")
    return "\n".join(lines)


def dataset_key(dataset) -> tuple:
    """What identifies the data a suggestion was computed from (the scenarios layer aside: saving one keeps it)."""
    versions = tuple(sorted((k, v) for k, v in dataset.stored_versions.items() if k != "scenarios"))
    return ui.workspace_ref(), dataset.source, versions


def solve(dataset, request: tuple, params, candidates: gpd.GeoDataFrame, base, progress: Progress) -> tuple:
    """Build and solve the covering problem, then analyse the data set with the sites added, reporting the steps."""
    offer_type, goal, amount, only_in_need = request[:4]
    progress(0.0, "Bedarf")
    prepared = prepare(dataset, params)
    progress(0.15, "Modell aufbauen: Kandidaten und Reichweiten")
    problem = build_problem(dataset, offer_type, candidates, params=params, need_weights=need_weights(only_in_need),
                            prepared=prepared)
    solver = part(progress, 0.3, 0.75)
    solution = solve_max_cover(problem, int(amount), progress=solver) if goal == "k" else \
        solve_min_sites(problem, amount / 100, progress=solver)
    variant = analyse(sites_as_offers(dataset, offer_type, solution.sites, params=params), params,
                      progress=part(progress, 0.75, 0.95))
    progress(0.95, "Vergleich mit dem Bestand")
    return problem, solution, variant, compare(base, variant), prepared.layers.residents.geometry


@st.cache_resource(show_spinner="Standorte werden berechnet …", max_entries=16)
def suggest(_dataset, data_key: tuple, params_key: str, request: tuple, _params, _candidates: gpd.GeoDataFrame,
            _base, _seed: tuple | None = None):
    """:func:`solve`, cached per request (``_seed``: computed outside, see ``ui.cached_with_progress``)."""
    return _seed if _seed is not None else solve(_dataset, request, _params, _candidates, _base, silent)


@st.cache_resource(show_spinner="Szenario wird mit dem Bestand verglichen …", max_entries=8)
def stored_change(_dataset, data_key: tuple, scenarios_version, name: str, params_key: str, _params, _base,
                  offer_type: str) -> str:
    """The stored scenario ``name`` compared with the Bestand, in one line (read back from the workspace)."""
    variant, _ = scenario_dataset(_dataset, name)
    return site_tables.change_text(compare(_base, analyse(variant, _params)), _base, offer_type)


st.title("Standorte")
dataset, params = ui.current()
with ui.shows_data_errors():
    result = ui.analysis(dataset, params)
st.markdown(
    "Wohin sollten die nächsten Standorte einer Angebotsart? Der Vorschlag wählt unter den **Kandidaten** die "
    "Standorte, die die meisten Menschen der Zielgruppe neu in Reichweite bringen – Menschen in Sozialräumen mit "
    "hohem Bedarf zählen mehr. **Bestehende Angebote bleiben gesetzt**: Wer schon eines in Reichweite hat, zählt "
    "als versorgt. Der Vorschlag ändert keine gespeicherten Daten; als **Szenario** gespeichert, lässt er sich "
    "mit dem Bestand vergleichen."
)
types = result.offer_types
if not types:
    st.info("Es liegen noch keine Angebote einer analysierten Angebotsart vor. Laden Sie auf der Seite **Daten** "
            "Angebotsstandorte hoch.", icon=":material/add_location:")
    st.stop()

with st.container(border=True):
    c1, c2, c3 = st.columns([3, 3, 2])
    offer_type = c1.selectbox("Angebotsart", types, format_func=lambda t: dataset.type_labels(t).plural,
                              **ui.remember("sites_type", "fgz" if "fgz" in types else types[0], options=types))
    goal = c2.radio("Ziel", list(GOALS), format_func=GOALS.get, **ui.remember("sites_goal", "k", options=list(GOALS)))
    if goal == "k":
        amount = c3.number_input("Neue Standorte", min_value=1, max_value=20, step=1, **ui.remember("sites_k", 2))
    else:
        amount = c3.slider("Anteil in Reichweite (%)", min_value=10, max_value=100, step=5,
                           **ui.remember("sites_share", 80))
    labels = dataset.type_labels(offer_type)
    host_type = str(dataset.offer_types.at[offer_type, "host_type"] or "") if offer_type in dataset.offer_types.index \
        else ""
    s1, s2, s3 = st.columns([3, 3, 2])
    use_hosts = s1.checkbox(f"{dataset.type_labels(host_type).plural} ohne {labels.short}" if host_type else
                            "Einrichtungen ohne das Angebot", disabled=not host_type,
                            help="Einrichtungen, an denen die Angebotsart läuft, die sie aber noch nicht haben.",
                            **ui.remember(f"sites_hosts_{offer_type}", bool(host_type)))
    has_index = host_type == SCHOOL_TYPE and dataset.sozialindex is not None and len(dataset.sozialindex) > 0
    levels = [0, *range(1, 10)]
    min_index = s1.selectbox("Schulsozialindex ab", levels, format_func=lambda v: "alle (auch ohne Index)" if not v
                             else str(v), disabled=not (use_hosts and has_index),
                             **ui.remember("sites_min_index", settings.SOZIALINDEX_HIGH if has_index else 0,
                                           options=levels))
    use_grid = s2.checkbox("Rasterpunkte in Sozialräumen mit hohem Bedarf",
                           **ui.remember(f"sites_grid_{offer_type}", not host_type))
    spacing = s2.number_input("Rasterabstand (m)", min_value=100, max_value=2000, step=100, disabled=not use_grid,
                              **ui.remember("sites_spacing", int(settings.SITE_GRID_M)))
    upload = s3.file_uploader("Kandidatenliste (CSV/XLSX)", type=["csv", "xlsx"], key="sites_upload",
                              help="Je Zeile ein möglicher Standort: Name, Adresse und Koordinaten (z. B. Rechtswert/"
                                   "Hochwert) oder die Schulnummer einer gespeicherten Grundschule.")

listed, upload_sha = None, ""
if upload is not None:
    checked = read_candidates(upload.getvalue(), upload.name, dataset=dataset, offer_type=offer_type)
    upload_sha = hashlib.sha256(upload.getvalue()).hexdigest()
    if checked.report.errors:
        st.error(f"**Kandidatenliste „{ui.md(upload.name)}“:** {format_number(len(checked.report.errors))} Fehler. "
                 "Zeilen mit Fehlern werden nicht verwendet; bitte korrigieren Sie sie in der Datei und laden Sie "
                 f"sie erneut hoch.\n\n{problem_lines(checked.report.errors)}", icon=":material/error:")
    if checked.report.warnings:
        st.warning(f"**Hinweise zur Kandidatenliste:**\n\n{problem_lines(checked.report.warnings)}",
                   icon=":material/info:")
    if len(checked.candidates):
        listed = checked.candidates
        st.caption(f"Kandidatenliste „{ui.md(upload.name)}“: {format_number(len(listed))} Standorte verwendbar.")
with ui.shows_data_errors():
    check_offer_type(dataset, offer_type)
    grid_in = cand.in_need_districts(result) if use_grid else None
    sources = {"hosts": bool(use_hosts and host_type), "min_sozialindex": (min_index or None) if has_index else None,
               "listed": listed, "grid_in": grid_in, "spacing_m": float(spacing)}
    pool, pool_notes = cand.candidate_sites(dataset, offer_type, **sources)
ids = pool["candidate_id"].astype("str").tolist()
shown = dict(zip(ids, pool[settings.OFFER_NAME].fillna("").astype("str"), strict=True))
excluded = st.multiselect("Kandidaten ausschließen", ids, format_func=lambda i: shown.get(i) or i,
                          placeholder="keine ausgeschlossen", **ui.remember(f"sites_exclude_{offer_type}", [],
                                                                            options=ids))
only_in_need = st.toggle("nur Sozialräume mit hohem Bedarf zählen", **ui.remember("sites_only_need", False))
st.caption(f"{weights_text(only_in_need)}. {format_number(len(pool) - len(excluded))} Kandidaten; Reichweite wie in "
           "der Analyse (Luftlinie bzw. zugeordnete Einrichtung).")
for note in pool_notes:
    st.caption(ui.md(f"{note}."))
request = (offer_type, goal, float(amount), bool(only_in_need), tuple(sorted(ids)), tuple(sorted(excluded)),
           bool(use_hosts), int(min_index), bool(use_grid), int(spacing), upload_sha)
if st.button("Standorte vorschlagen", type="primary", icon=":material/add_location:", key="sites_go"):
    with ui.shows_data_errors():
        chosen, _ = cand.candidate_sites(dataset, offer_type, **sources, excluded=excluded)
    st.session_state[REQUEST] = ((dataset_key(dataset), repr(params)), request, chosen)
    st.session_state.pop(SAVED, None)

asked = st.session_state.get(REQUEST)
if asked is None:
    st.stop()
if asked[0] != (dataset_key(dataset), repr(params)):  # other data or sidebar settings: the old result is void
    st.caption("Daten oder Einstellungen der Seitenleiste wurden geändert: Bitte „Standorte vorschlagen“ erneut "
               "wählen.")
    st.stop()
if asked[1] != request:
    st.caption("Die Einstellungen wurden geändert: „Standorte vorschlagen“ rechnet neu. Gezeigt wird der letzte "
               "Vorschlag.")
request = asked[1]
offer_type = request[0]
labels = dataset.type_labels(offer_type)
with ui.shows_data_errors():
    problem, solution, variant, comparison, residents = ui.cached_with_progress(
        ("sites", dataset_key(dataset), repr(params), request), "Standorte werden berechnet",
        lambda progress: solve(dataset, request, params, asked[2], result, progress),
        lambda seed: suggest(dataset, dataset_key(dataset), repr(params), request, params, asked[2], result, seed))

n_sites = len(solution.sites)
st.subheader(f"Vorschlag für {labels.plural}: {format_number(n_sites)} neue{'r' if n_sites == 1 else ''} "
             f"Standort{'' if n_sites == 1 else 'e'}")
ui.stamp(dataset)
(st.success if solution.status == "optimal" else st.warning)(site_tables.status_line(solution),
                                                             icon=":material/function:")
if not n_sites and solution.status == "optimal":
    st.info("Das Ziel ist mit den bestehenden Angeboten schon erreicht: kein neuer Standort nötig.",
            icon=":material/check_circle:")
for note in problem.notes:
    st.caption(ui.md(note))
if len(solution.sites):
    st.markdown(f"**{ui.md(site_tables.change_text(comparison, result, offer_type))}** (Analyse mit den neuen "
                "Standorten)")
with ui.shows_data_errors():
    m = site_map(result, dataset, problem, solution, residents=residents)
_map.show_map(m, key="sites_map", height=560)
ui.table(site_tables.coverage_table(solution, result, offer_type), hide_index=True, width="stretch",
         key="sites_coverage")
ranked = site_tables.ranked_table(solution, result)
st.markdown("**Standortvorschläge nach Rang** – Zugewinn: neu in Reichweite, wenn der Standort nach den darüber "
            "stehenden hinzukommt.")
with st.container(key="sites_ranked"):
    ui.table(ranked, hide_index=True, width="stretch", key="sites_table", plain=("Rang", "Sozialindex"))
d1, d2, _ = st.columns([2, 2, 4])
stem = f"standortvorschlaege_{offer_type}_{result.year}"
d1.download_button("Tabelle als CSV (Excel)", german_csv_bytes(ranked), file_name=f"{stem}.csv", mime="text/csv",
                   icon=":material/download:", on_click="ignore", key="sites_csv")
notes = [("Löserstatus", site_tables.status_line(solution)), ("Ziel", goal_text(request, labels.plural)),
         ("Bedarfsgewicht", weights_text(request[3])), *(("Hinweis", n) for n in problem.notes)]
d2.download_button("Tabelle als XLSX", lambda: sites_xlsx_bytes(dataset, result, ranked, notes),
                   file_name=f"{stem}.xlsx", on_click="ignore", icon=":material/download:", key="sites_xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
changes = site_tables.district_changes(comparison, result, variant, offer_type)
if len(changes):
    st.markdown("**Je Sozialraum**")
    ui.table(changes, hide_index=True, width="stretch", key="sites_districts")

st.subheader("Als Szenario speichern")
workspace = ui.workspace()
name = st.text_input("Name des Szenarios", max_chars=80, key="sites_name",
                     placeholder="z. B. Plan A")
if st.button("Als Szenario speichern", icon=":material/save:", key="sites_save", disabled=not len(solution.sites)):
    assumptions = f"{goal_text(request, labels.plural)}."
    edits = edits_from_suggestion(solution, offer_type, note=assumptions, offers=dataset.offers,
                                  type_label=labels.plural, need_weights=problem.need_weights,
                                  candidates=len(problem.candidates))
    try:
        save_scenario(workspace, name, edits,
                      base_versions={layer: dataset.stored_versions.get(layer) for layer in ("offers", "scenarios")})
    except DataError as err:
        st.error(ui.md(err), icon=":material/lock:" if workspace.read_only else ":material/error:")
        if workspace.read_only:
            st.info("So geht es: Legen Sie auf der Seite **Daten** einen Arbeitsbereich als **Übungskopie der Demo** "
                    "an und wählen Sie ihn links unter „Arbeitsbereich“; dort lässt sich der Vorschlag speichern.",
                    icon=":material/content_copy:")
            st.page_link(DATA_PAGE, label="Zur Seite Daten", icon=":material/upload_file:")
    else:
        ui.clear_caches()
        st.session_state[SAVED] = str(name).strip()
        st.rerun()
saved = st.session_state.get(SAVED)
if saved and saved in names(dataset.scenarios):
    with ui.shows_data_errors():
        change = stored_change(dataset, dataset_key(dataset), dataset.stored_versions.get("scenarios"), saved,
                               repr(params), params, result, offer_type)
    st.success(f"{ui.md(scenario_text(saved))}: gespeichert. Vergleich mit dem Bestand: **{ui.md(change)}**.",
               icon=":material/check_circle:")
    if any(page == SCENARIO_PAGE for page, _, _ in ui.PAGES):
        st.page_link(SCENARIO_PAGE, label="Zur Seite Szenarien", icon=":material/compare:")
