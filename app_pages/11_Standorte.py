"""Standorte: where the next sites of an offer type should go, every existing offer kept; save them as a scenario."""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from app_pages import _map
from app_pages import _shared as ui
from geo import DataError, crs, settings
from geo.analysis import analyse
from geo.analysis import candidates as cand
from geo.analysis.compare import compare
from geo.analysis.need import IN_NEED_CLASSES, NOT_CLASSIFIED, STATUS_CLASSES
from geo.analysis.run import prepare
from geo.analysis.scenarios import SCENARIO_COLUMNS, names, scenario_dataset
from geo.analysis.schools import SCHOOL_TYPE
from geo.analysis.site_problem import build_problem
from geo.analysis.sites import CANDIDATE_COLUMNS, solve_max_cover, solve_min_sites
from geo.export import sites_xlsx_bytes
from geo.formatting import format_number
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
# The upload of a candidate list (PROBLEM's geo.ingest.candidates, contract ``check_candidates(data, filename)``)
# shows only once that module is there.
HAS_UPLOAD = importlib.util.find_spec("geo.ingest.candidates") is not None


def need_weights(only_in_need: bool) -> dict[str, float]:
    """The weights in force: :data:`geo.settings.SITE_NEED_WEIGHTS`, others 1; only in need: the others 0."""
    weights = {c: float(settings.SITE_NEED_WEIGHTS.get(c, 1.0)) for c in [*STATUS_CLASSES, NOT_CLASSIFIED]}
    return {c: (w if c in IN_NEED_CLASSES else 0.0) for c, w in weights.items()} if only_in_need else weights


def weights_text(only_in_need: bool) -> str:
    """"Bedarfsgewicht: Status sehr niedrig ×3, Status niedrig ×2, sonst ×1" (or "sonst ×0")."""
    named = sorted(settings.SITE_NEED_WEIGHTS.items(), key=lambda item: -item[1])
    parts = [f"{c} ×{format_number(w, 1).removesuffix(',0')}" for c, w in named]
    return f"Bedarfsgewicht: {', '.join(parts)}, sonst ×{0 if only_in_need else 1}"


def goal_text(request: tuple, plural: str) -> str:
    """The goal of a request in words: "Ziel: 2 neue FGZ" or "Ziel: 80 % der Zielgruppe in Bedarfsgebieten …"."""
    _, goal, amount = request[:3]
    if goal == "k":
        return f"Ziel: {format_number(amount)} neue {plural}"
    return f"Ziel: {format_number(amount)} % der Zielgruppe in Bedarfsgebieten in Reichweite"


def suggestion_edits(sites: gpd.GeoDataFrame, offer_type: str, assumptions: str) -> pd.DataFrame:
    """The edits of a scenario that adds the suggested sites (a note with the assumptions first, then one add each).

    Local until SCENARIO's ``geo.analysis.scenarios.edits_from_suggestion`` is merged.
    """
    metric = crs.to_metric(sites, name="Standortvorschläge") if len(sites) else sites
    rows = [{"action": "note", "note": assumptions}]
    for _, site in metric.iterrows():
        rows.append({"action": "add", settings.OFFER_ID: f"neu-{offer_type}-{site['candidate_id']}",
                     settings.OFFER_TYPE: offer_type, settings.OFFER_NAME: str(site[settings.OFFER_NAME]),
                     settings.OFFER_ADDRESS: str(site[settings.OFFER_ADDRESS]), settings.OFFER_CAPACITY: np.nan,
                     "x": float(site.geometry.x), "y": float(site.geometry.y), "source": "suggestion",
                     "note": f"Standortvorschlag Rang {int(site['rank'])}"})
    numbers = ("step", settings.OFFER_CAPACITY, "x", "y")
    blank = {c: (np.nan if c in numbers else "") for c in SCENARIO_COLUMNS}
    frame = pd.DataFrame([{**blank, **row} for row in rows], columns=list(SCENARIO_COLUMNS))
    return frame.assign(step=np.arange(1, len(frame) + 1, dtype=float))


def dataset_key(dataset) -> tuple:
    """What identifies the data a suggestion was computed from (the scenarios layer aside: saving one keeps it)."""
    versions = tuple(sorted((k, v) for k, v in dataset.stored_versions.items() if k != "scenarios"))
    return ui.workspace_ref(), dataset.source, versions


@st.cache_resource(show_spinner="Standorte werden berechnet …", max_entries=16)
def suggest(_dataset, data_key: tuple, params_key: str, request: tuple, _params, _candidates: gpd.GeoDataFrame,
            _base):
    """Build and solve the covering problem, then analyse the data set with the sites added (cached per request)."""
    offer_type, goal, amount, only_in_need = request[:4]
    prepared = prepare(_dataset, _params)
    problem = build_problem(_dataset, offer_type, _candidates, params=_params, need_weights=need_weights(only_in_need),
                            prepared=prepared)
    solution = solve_max_cover(problem, int(amount)) if goal == "k" else solve_min_sites(problem, amount / 100)
    edits = suggestion_edits(solution.sites, offer_type, "")
    offers, _ = scenario_dataset(replace(_dataset, scenarios=edits.assign(scenario="Vorschlag")), "Vorschlag")
    variant = analyse(offers, _params)
    return problem, solution, variant, compare(_base, variant), prepared.layers.residents.geometry


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
    upload = s3.file_uploader("Kandidatenliste (CSV/XLSX)", type=["csv", "xlsx"], key="sites_upload") if HAS_UPLOAD \
        else None
    if not HAS_UPLOAD:
        s3.caption("Das Hochladen einer eigenen Kandidatenliste folgt.")

with ui.shows_data_errors():
    frames = []
    if use_hosts and host_type:
        frames.append(cand.host_candidates(dataset, offer_type, min_sozialindex=(min_index or None) if has_index
                                           else None))
    if use_grid:
        d = result.districts
        frames.append(cand.grid_candidates(d[d["status_class"].isin(IN_NEED_CLASSES)], spacing_m=float(spacing)))
    upload_sha = ""
    if upload is not None:
        from geo.ingest.candidates import check_candidates

        checked = check_candidates(upload.getvalue(), upload.name)
        listed = checked if isinstance(checked, gpd.GeoDataFrame) else checked.candidates
        frames.append(cand.with_districts(crs.to_metric(listed, name="Kandidaten"),
                                          crs.to_metric(dataset.districts, name="Sozialräume")))
        upload_sha = hashlib.sha256(upload.getvalue()).hexdigest()
    pool = pd.concat([crs.to_metric(f, name="Kandidaten") for f in frames], ignore_index=True) if frames else None
    pool = gpd.GeoDataFrame(pool, geometry="geometry", crs=settings.METRIC_CRS) if pool is not None else \
        gpd.GeoDataFrame({c: [] for c in CANDIDATE_COLUMNS}, geometry=[], crs=settings.METRIC_CRS)
    pool = pool.drop_duplicates("candidate_id").reset_index(drop=True)
ids = pool["candidate_id"].astype("str").tolist()
shown = dict(zip(ids, pool[settings.OFFER_NAME].fillna("").astype("str"), strict=True))
excluded = st.multiselect("Kandidaten ausschließen", ids, format_func=lambda i: shown.get(i) or i,
                          placeholder="keine ausgeschlossen", **ui.remember(f"sites_exclude_{offer_type}", [],
                                                                            options=ids))
only_in_need = st.toggle("nur Sozialräume mit hohem Bedarf zählen", **ui.remember("sites_only_need", False))
st.caption(f"{weights_text(only_in_need)}. {format_number(len(pool) - len(excluded))} Kandidaten; Reichweite wie in "
           "der Analyse (Luftlinie bzw. zugeordnete Einrichtung).")
request = (offer_type, goal, float(amount), bool(only_in_need), tuple(sorted(ids)), tuple(sorted(excluded)),
           bool(use_hosts), int(min_index), bool(use_grid), int(spacing), upload_sha)
if st.button("Standorte vorschlagen", type="primary", icon=":material/add_location:", key="sites_go"):
    st.session_state[REQUEST] = ((dataset_key(dataset), repr(params)), request, cand.exclude(pool, excluded))
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
    problem, solution, variant, comparison, residents = suggest(
        dataset, dataset_key(dataset), repr(params), request, params, asked[2], result)

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
    assumptions = ". ".join([goal_text(request, labels.plural), site_tables.status_line(solution),
                             weights_text(request[3])]) + "."
    try:
        save_scenario(workspace, name, suggestion_edits(solution.sites, offer_type, assumptions),
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
    st.success(f"Szenario „{ui.md(saved)}“ gespeichert – kein Bestand, nur Planungsvariante. Vergleich mit dem "
               f"Bestand: **{ui.md(change)}**.", icon=":material/check_circle:")
    if any(page == SCENARIO_PAGE for page, _, _ in ui.PAGES):
        st.page_link(SCENARIO_PAGE, label="Zur Seite Szenarien", icon=":material/compare:")
