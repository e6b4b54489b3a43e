"""Streamlit helpers shared by app.py and every page: the page list, cached loaders, the settings sidebar, stamps.

app.py is the frame: it calls :func:`page_setup`, :func:`navigation`, :func:`page_title` and :func:`prelude`
(data set and settings sidebar, once for every page), then runs the page. A page reads what the frame prepared::

    from app_pages import _shared as ui

    st.title("Karte")
    dataset, params = ui.current()
    with ui.shows_data_errors():
        result = ui.analysis(dataset, params)
    ui.stamp(dataset)

Widget values live under widget keys *and* a copy under ``_keep__<key>``: Streamlit drops the state of a
widget that is not rendered on the current page, so every widget made with :func:`remember` is restored
from that copy on the next page.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import itertools
import logging
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from geo import DataError, Dataset, Params, Result, analyse, column, log_incident, settings, store
from geo.analysis import population
from geo.formatting import format_number
from geo.progress import Progress
from geo.render.web.leaflet import MAP_TITLE as MAP_NAME

REPO_DIR = Path(__file__).resolve().parent.parent
FAVICON = REPO_DIR / "static" / "favicon.png"
#: Streamlit's own English texts in German, ``lang="de"``, the map frame's title (:func:`language`).
GERMAN_JS = REPO_DIR / "static" / "ui" / "german.js"
#: The app's own CSS: caption and disabled-label contrast, the script's element hidden (:func:`language`).
APP_CSS = REPO_DIR / "static" / "ui" / "app.css"
#: The accessible name of the map frame (streamlit-folium names it "streamlit_folium.st_folium"): the map's own.
MAP_TITLE = MAP_NAME
APP_TITLE = "Präventionsatlas"
#: The pages in navigation order: script (relative to app.py), German title, Material icon. The first is the
#: landing page at the app's root URL; the others get the URL of their file name without the number
#: (``app_pages/1_Karte.py`` → ``/Karte``). The folder is not called ``pages/``: Streamlit would then run a
#: page file on its own, without this frame, when a server's very first request is a deep link like ``/Karte``.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("app_pages/0_Uebersicht.py", "Übersicht", ":material/home:"),
    ("app_pages/1_Karte.py", "Karte", ":material/map:"),
    ("app_pages/2_Analyse.py", "Analyse", ":material/table_chart:"),
    ("app_pages/11_Standorte.py", "Standorte", ":material/add_location:"),
    ("app_pages/12_Szenarien.py", "Szenarien", ":material/compare:"),
    ("app_pages/13_Entwicklung.py", "Entwicklung", ":material/timeline:"),
    ("app_pages/10_Grundschulen.py", "Grundschulen", ":material/school:"),
    ("app_pages/8_Steckbrief.py", "Steckbrief", ":material/id_card:"),
    ("app_pages/3_Daten.py", "Daten", ":material/upload_file:"),
    ("app_pages/7_Indikatoren.py", "Indikatoren", ":material/tune:"),
    ("app_pages/9_Angebotsarten.py", "Angebotsarten", ":material/category:"),
    ("app_pages/4_Verlauf.py", "Verlauf", ":material/history:"),
    ("app_pages/5_Export.py", "Export", ":material/download:"),
    ("app_pages/6_Methodik.py", "Methodik", ":material/menu_book:"),
)
#: Default of the sidebar's "Reichweite gemessen an": each offer type for its own target group.
TARGET_GROUPS = "Zielgruppe je Angebotsart"
_BY_TARGET = ""  # its value in the chooser (no count column is named "")
_KEEP = "_keep__"
_LAYER_CODES = set(store.LAYERS)
_FRAME = "_frame"
_log = logging.getLogger("praeventionsatlas.pages")


# ------------------------------------------------------------------------------------------------ navigation


def navigation() -> list[st.Page]:
    """The pages for ``st.navigation`` (German titles, icons; the landing page is the default)."""
    return [st.Page(path, title=title, icon=icon, default=i == 0) for i, (path, title, icon) in enumerate(PAGES)]


def page_setup() -> None:
    """Wide layout and the favicon; the frame calls it before ``st.navigation``.

    Sent first so the browser keeps our favicon: without one set, Streamlit's page would use the page's
    Material icon and fetch it from fonts.gstatic.com (the app must work without internet).
    """
    st.set_page_config(page_title=APP_TITLE, page_icon=str(FAVICON), layout="wide")


def page_title(title: str) -> None:
    """The browser tab title of the current page, e.g. "Karte – Präventionsatlas"."""
    st.set_page_config(page_title=f"{title} – {APP_TITLE}")


@functools.cache
def _german_script() -> str:
    """The ``<script>`` element of :data:`GERMAN_JS` (read once; the map title in a data attribute)."""
    code = GERMAN_JS.read_text(encoding="utf-8")
    if "</" in code:
        raise ValueError(f"{GERMAN_JS} must not contain '</': it is inlined in a <script> element")
    return f'<script data-pa-german data-map-title="{html.escape(MAP_TITLE)}">{code}</script>'


def language() -> None:
    """German for what Streamlit draws itself, on every page; the frame calls it after ``st.navigation``.

    Streamlit has no German texts and no ``lang`` setting: the app's CSS (:data:`APP_CSS`) and a script
    (:data:`GERMAN_JS`) that sets ``<html lang="de">``, names the map frame :data:`MAP_TITLE` and replaces the
    known English strings (file uploader, "Select all", "No results", main menu …) by German ones. The script
    runs once per browser tab; later runs send the same element, which Streamlit does not mount again.
    """
    st.html(APP_CSS)  # only a <style>: Streamlit puts it in the event container, it takes no space
    st.html(_german_script(), unsafe_allow_javascript=True)


def prelude(page_title: str | None = None) -> None:
    """What every page shares, drawn once by the frame: the data set and the settings sidebar.

    The data set is the sidebar's scenario where the page shows results (``app_pages._scenario``, with its banner).
    Run it inside :func:`shows_data_errors`; the page then gets both from :func:`current`.
    """
    from app_pages import _scenario  # it uses this module's helpers

    dataset = _scenario.frame_dataset(load_dataset(), page_title)
    st.session_state[_FRAME] = (dataset, sidebar(dataset))


def current() -> tuple[Dataset, Params]:
    """The data set and the sidebar's settings that the frame prepared for this run of the page."""
    if _FRAME not in st.session_state:
        raise RuntimeError("app_pages/_shared.prelude() has not run: start the app with app.py, not a page file.")
    return st.session_state[_FRAME]


# ---------------------------------------------------------------------------------------------------- loaders


WORKSPACE_KEY = "ws_workspace"  # not "pa_": "Standardwerte wiederherstellen" keeps it


def workspace_ref() -> str:
    """The workspace this session works in: the sidebar's choice, else the data folder's default."""
    return str(st.session_state.get(_KEEP + WORKSPACE_KEY) or store.default_ref())


def switch_workspace(ref: str) -> None:
    """Work in workspace ``ref`` from the next run on (the sidebar then shows it chosen)."""
    st.session_state[_KEEP + WORKSPACE_KEY] = ref


def workspace() -> store.Workspace | store.DemoWorkspace:
    """The session's workspace; the demo when the chosen one no longer exists (e.g. its folder was removed)."""
    try:
        return store.open_workspace(workspace_ref())
    except DataError:
        switch_workspace(store.DEMO)
        return store.DemoWorkspace()


def _workspace_state() -> tuple:
    """The workspace and which of its stored versions are active: the data set's cache key (cheap every run)."""
    chosen = workspace()
    if chosen.read_only:
        return (store.DEMO,)
    active = chosen.active_versions()
    return (str(chosen.path), *((layer, info.version, info.sha256) for layer, info in active.items()))


@st.cache_resource(show_spinner="Daten werden geladen …", max_entries=4)
def _dataset(state: tuple) -> Dataset:
    """The data set for one workspace state (the argument is only the cache key)."""
    return store.open_workspace(state[0]).dataset()


def load_dataset() -> Dataset:
    """The data set every page shows: the session's workspace (``geo.store``), and nothing from any other.

    The one place that decides which data the app uses; reloaded whenever the active stored versions change.
    The object is shared by all sessions: do not modify it (``Dataset.with_layers`` makes a changed copy).

    Raises
    ------
    DataError
        If stored data cannot be read (show it with :func:`shows_data_errors`).
    """
    return _dataset(_workspace_state())


MISSING_LAYER_TEXT = {
    "districts": "die **Sozialraumgrenzen** (GeoJSON, GeoPackage oder Shapefile als ZIP)",
    "indicators": "die **Indikatoren** je Sozialraum und Jahr (mindestens Einwohnerzahlen)",
}


def missing_data_notice(dataset: Dataset) -> None:
    """Say what the workspace still lacks for an analysis, and where to add it."""
    missing = [MISSING_LAYER_TEXT[layer] for layer in dataset.missing_layers]
    st.info(
        f"**{md(dataset.city or 'Dieser Arbeitsbereich')}: für die Analyse fehlen noch Daten.** Bitte laden Sie auf "
        "der Seite **Daten** " + " und ".join(missing) + " hoch. Angebotsstandorte und Wohnorte folgen danach.",
        icon=":material/upload_file:",
    )
    st.page_link("app_pages/3_Daten.py", label="Zur Seite Daten", icon=":material/upload_file:")


def types_without_offers_note(dataset: Dataset) -> None:
    """Name the offer types without any location: they are left out of the analysis, not filled from elsewhere."""
    missing = dataset.types_without_offers
    if missing:
        names = ", ".join(md(dataset.type_labels(t).plural) for t in missing)
        st.caption(f"Für {names} liegen noch keine Standorte vor – diese Angebotsarten fehlen in der Analyse. "
                   "Hochladen auf der Seite **Daten**.")


@st.cache_resource(show_spinner="Analyse wird berechnet …", max_entries=64)
def _result(_dataset: Dataset, serial: int, key: tuple, _params: Params, _seed: Result | None = None) -> Result:
    """The cached analysis of ``_params`` (``key`` is its hashable form; the underscored args are unhashed).

    ``_seed``: the result :func:`analysis` computed outside the cache (with its progress shown); stored as it is.
    """
    return _seed if _seed is not None else analyse(_dataset, _params)


def _params_key(params: Params) -> tuple:
    """Every field of ``params`` as a hashable tuple (dicts as sorted items), so no setting is left out."""
    return tuple(
        (f.name, tuple(sorted(v.items())) if isinstance(v, dict) else v)
        for f in dataclasses.fields(params) for v in [getattr(params, f.name)]
    )


_serials: dict[int, tuple[weakref.ref, int]] = {}
_counter = itertools.count(1)
_serial_lock = threading.Lock()


def _serial(dataset: Dataset) -> int:
    """A number for this very data set object, never reused.

    ``id()`` is reused once an object is gone, and a preview data set on the upload page lives only for one run.
    """
    with _serial_lock:
        entry = _serials.get(id(dataset))
        if entry is not None and entry[0]() is dataset:
            return entry[1]
        if len(_serials) > 256:
            for key in [k for k, (ref, _) in _serials.items() if ref() is None]:
                del _serials[key]
        serial = next(_counter)
        _serials[id(dataset)] = (weakref.ref(dataset), serial)
        return serial


def result_key(dataset: Dataset, params: Params) -> tuple:
    """What identifies the result :func:`analysis` gives for ``dataset`` and ``params`` (a cache key)."""
    return ("analysis", _serial(dataset), _params_key(params))


def analysis(dataset: Dataset, params: Params) -> Result:
    """:func:`geo.analysis.analyse`, cached per data set object and parameters, its steps shown while it runs.

    A workspace that lacks boundaries or indicators gets :func:`missing_data_notice` instead, and the page stops
    there. Results are shared between sessions: do not modify them. How the progress gets past the cache: see
    :func:`cached_with_progress`.
    """
    if dataset.missing_layers:
        missing_data_notice(dataset)
        st.stop()
    _, serial, key = result_key(dataset, params)
    return cached_with_progress(result_key(dataset, params), "Analyse wird berechnet",
                                lambda progress: analyse(dataset, params, progress=progress),
                                lambda seed: _result(dataset, serial, key, params, seed))


#: Keys whose value a ``st.cache_resource`` function of this app was given (see :func:`cached_with_progress`).
_seeded: OrderedDict[tuple, None] = OrderedDict()
_seeded_lock = threading.Lock()
#: At most this many keys are remembered (as many as the largest cache here holds).
SEEDED_KEYS = 64


def cached_with_progress(key: tuple, label: str, compute: Callable[[Progress], object],
                         cached: Callable[[object], object]) -> object:
    """The value of a cached computation, its steps shown in :func:`progress_status` when it really runs.

    A function under ``st.cache_resource`` cannot draw into the page: Streamlit records what it draws and replays
    it on every cache hit, and elements made outside it (the status box) fail that replay. So the work runs
    *outside* the cache, and only on a miss: ``key`` is looked up in a small store of keys already computed
    (shared by all sessions, like the cache). On a miss ``compute(progress)`` runs inside a status box, and
    ``cached(value)`` hands the value to the cached function as its unhashed seed argument, which returns it and
    so stores it; the box goes away. On a hit ``cached(None)`` returns the stored value without a box. Should the
    cache have dropped a key the store still has (its size limit), the cached function computes again under its
    own spinner.
    """
    with _seeded_lock:
        known = key in _seeded
    if known:
        return cached(None)
    with progress_status(label, keep=False) as progress:
        value = cached(compute(progress))
    with _seeded_lock:
        _seeded[key] = None
        while len(_seeded) > SEEDED_KEYS:
            _seeded.popitem(last=False)
    return value


def _progress_text(text: object) -> str:
    """A step text for the bar: escaped (it may name an offer type, which is user text), on one line."""
    return md(" ".join(str(text).split()))


@contextmanager
def progress_status(label: str, *, done: str | None = None, keep: bool = True) -> Iterator[Progress]:
    """A status box with a progress bar for long work; yields the :class:`~geo.progress.Progress` to pass on.

    ``with ui.progress_status("Bericht wird erstellt", done="Bericht fertig") as report:
    data = export(..., progress=report)``. Each step moves the bar and names the step (escaped). When the work
    ends the box shows ``done`` (default "<label>: fertig") collapsed, or goes away (``keep=False``); a
    :class:`~geo.DataError` turns it red with the German message and stops the page, as
    :func:`shows_data_errors` does.
    """
    holder = st.empty()
    box = holder.status(md(label), expanded=True)
    bar = box.progress(0.0, text="Start …")  # not ``with box:``: leaving that block marks the status complete
    shown = [-1.0, ""]

    def report(fraction: float, text: str) -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        step = _progress_text(text)
        if step == shown[1] and fraction - shown[0] < 0.01 and fraction < 1.0:
            return  # nothing visible changed: spare the browser the message
        shown[:] = [fraction, step]
        bar.progress(fraction, text=step)

    try:
        yield report
    except DataError as err:
        box.update(label=f"{md(label)}: nicht möglich", state="error", expanded=True)
        box.error(md(err), icon=":material/error:")
        st.stop()
    if keep:
        box.update(label=md(done or f"{label}: fertig"), state="complete", expanded=False)
    else:
        holder.empty()


def clear_caches() -> None:
    """Forget loaded data and results, e.g. after new data was stored."""
    _dataset.clear()
    _result.clear()
    with _seeded_lock:
        _seeded.clear()


@contextmanager
def shows_data_errors() -> Iterator[None]:
    """Show a :class:`~geo.DataError` as an error box and stop the page.

    Anything else is a bug: it is logged with its traceback under an incident id, and the user gets a German
    message with that id instead of a traceback (Streamlit's st.stop/st.rerun are no ``Exception`` and pass).
    """
    try:
        yield
    except DataError as err:
        st.error(md(err), icon=":material/error:")  # messages may quote the user's file: escape them
        st.stop()
    except Exception as err:  # noqa: BLE001 - the page's boundary: never a traceback in front of a user
        incident = log_incident(_log, err, "auf einer Seite")
        st.error(
            f"Ein unerwarteter Fehler ist aufgetreten (Fehler-Nr. {incident}). Bitte laden Sie die Seite neu. "
            "Bleibt der Fehler, nennen Sie die Fehler-Nr. Ihrer IT-Betreuung.",
            icon=":material/error:",
        )
        st.stop()


# ------------------------------------------------------------------------------------------ remembered widgets


def _keep_value(key: str) -> None:
    st.session_state[_KEEP + key] = st.session_state[key]


def remember(key: str, default: object, *, options: Sequence | None = None) -> dict:
    """Keyword arguments for a widget whose value survives page switches.

    Pass them to the widget instead of ``value``/``index``: ``st.selectbox("Jahr", years,
    **remember("pa_year", years[-1], options=years))``. A remembered value that is no longer among
    ``options`` (e.g. after new data) falls back to ``default``. Only what the user chose is remembered: until
    then the widget follows ``default`` as it is computed on each run (e.g. the type whose offers a scenario
    changed), so a default shown once in passing never sticks.
    """
    kept = _KEEP + key in st.session_state
    value = st.session_state.get(_KEEP + key, default)
    if options is not None:
        if isinstance(value, list):
            value = [v for v in value if v in options]
        elif value not in options:
            value, kept = default, False
    st.session_state[key] = value
    if kept:
        st.session_state[_KEEP + key] = value
    else:
        st.session_state.pop(_KEEP + key, None)
    return {"key": key, "on_change": _keep_value, "args": (key,)}


def forget(key: str) -> None:
    """Drop the remembered value of a widget key: the widget shows its default from the next run on."""
    st.session_state.pop(key, None)
    st.session_state.pop(_KEEP + key, None)


def remembered(key: str, default: object = None) -> object:
    """The remembered value of a widget key, also on pages that do not render that widget."""
    return st.session_state.get(_KEEP + key, default)


def workspace_selector(container) -> None:
    """The choice of workspace at the top of the sidebar: the demo and every city workspace of the data folder."""
    entries = store.list_workspaces()
    refs = [e.ref for e in entries]
    labels = {e.ref: e.label for e in entries}
    current = workspace_ref()
    if current not in refs:
        refs.append(current)
        labels[current] = current
    container.selectbox(
        "Arbeitsbereich", refs, format_func=lambda r: labels.get(r, r),
        help="Jede Stadt hat ihren eigenen Arbeitsbereich; die Demo Musterstadt ist schreibgeschützt. "
             "Neu anlegen auf der Seite „Daten“.",
        **remember(WORKSPACE_KEY, current, options=refs),
    )


def _default_weights(dataset: Dataset) -> dict[str, float]:
    d = dataset.indicator_definitions
    return {str(k): (float(r["weight"]) if r["in_index"] else 0.0) for k, r in d.iterrows()}


def _default_radii(dataset: Dataset) -> dict[str, float]:
    return {t: float(dataset.offer_types.at[t, "radius_m"]) for t in dataset.analysed_types}


def _reset() -> None:
    for key in list(st.session_state):
        if isinstance(key, str) and key.startswith(_KEEP + "pa_"):
            del st.session_state[key]


def sidebar(dataset: Dataset) -> Params:
    """The settings every page shares: year, Dynamik period, whom reach is measured for, weights, reach radii.

    Returns
    -------
    Params
        Parameters for :func:`analysis`; indicators with weight 0 are left out of the index.
    """
    from app_pages import _dynamics, _scenario

    sb = st.sidebar
    workspace_selector(sb)
    _scenario.chooser(sb, dataset)
    years = dataset.years
    sb.markdown("### Einstellungen")
    year = None
    if years:
        year = sb.selectbox(
            "Jahr", years, format_func=str, help="Jahr der Indikatorwerte (Einwohner, Kinder, Sozialindikatoren).",
            **remember("pa_year", years[-1], options=years),
        )
    else:
        sb.caption("Noch keine Indikatorwerte: kein Jahr zur Auswahl.")
    dynamic_base_year = _dynamics.base_year_choice(sb, dataset, year)
    counts: dict[str | None, str] = {}
    if year is not None:
        of_year = dataset.indicators[dataset.indicators[settings.YEAR] == year]
        counts = {p.column: p.heading for p in population.choices(of_year, dataset.indicator_definitions)}
    measured_for = None
    if counts:  # no counts at all: the analysis says what is missing
        counts = {_BY_TARGET: TARGET_GROUPS, **counts}  # not None: Streamlit shows None as "nothing chosen"
        measured_for = sb.selectbox(
            "Reichweite gemessen an", list(counts), format_func=counts.get,
            help="Wessen Wohnorte zählen: je Angebotsart ihre Zielgruppe (z. B. Kinder von 6 bis unter 10 Jahren "
            "für ein FGZ, Geburten für einen Lotsendienst; Methodik nennt Quelle und Schätzung), oder für alle "
            "Angebotsarten dieselbe Personenzahl der Tabelle: Kinder 0–17, alle Einwohnerinnen und Einwohner oder "
            "eine andere Zahl (Einheit „Anzahl“).",
            **remember("pa_population", _BY_TARGET, options=list(counts)),
        )
        measured_for = None if measured_for == _BY_TARGET else measured_for
    weights: dict[str, float] = {}
    with sb.expander("Statusindex: Indikatoren und Gewichte"):
        st.caption("Gewicht 0 = Indikator nicht im Index. Der Index wird nach jeder Änderung neu standardisiert.")
        if dataset.indicator_definitions.empty:
            st.caption("Noch keine Indikatoren festgelegt: Laden Sie auf der Seite „Daten“ eine Indikatorentabelle "
                       "hoch und markieren Sie die Indikatorspalten.")
        for key, default in _default_weights(dataset).items():
            row = dataset.indicator_definitions.loc[key]
            weights[key] = st.number_input(
                md(row["label"]), min_value=0.0, max_value=5.0, step=0.5, format="%.1f",
                help=md(row["description"]) if str(row["description"]) else None, **remember(f"pa_w_{key}", default),
            )
    radii: dict[str, float] = {}
    with sb.expander("Reichweiten je Angebotsart"):
        st.caption("Luftlinie in Metern um jedes Angebot; wer in diesem Umkreis wohnt, gilt als erreicht.")
        for t, default in _default_radii(dataset).items():
            label = md(dataset.offer_types.at[t, "short"])
            radii[t] = float(
                st.number_input(
                    f"{label} (m)", min_value=int(settings.RADIUS_MIN_M), max_value=int(settings.RADIUS_MAX_M),
                    step=100,
                    **remember(f"pa_r_{t}", int(default)),
                )
            )
    sb.button(
        "Standardwerte wiederherstellen", on_click=_reset, icon=":material/restart_alt:",
        key="pa_reset",
    )
    sb.divider()
    sb.caption(f"Daten: {md(dataset.source)}")
    if dataset.synthetic:
        sb.badge(settings.SYNTHETIC_STAMP, icon=":material/science:", color="orange")
    weights = {k: float(w) for k, w in weights.items() if w}
    return Params(year=None if year is None else int(year), weights=weights, radii=radii, population=measured_for,
                  dynamic_base_year=dynamic_base_year)


# -------------------------------------------------------------------------------------------------- display


def stamp(dataset: Dataset) -> None:
    """The "synthetische Beispieldaten" stamp above every map and table that shows the demo."""
    if dataset.synthetic:
        st.badge(
            f"{settings.SYNTHETIC_STAMP} – Musterstadt ist erfunden, die Zahlen sind keine echten Daten",
            icon=":material/science:", color="orange",
        )


def population_note(result: Result) -> None:
    """The visible notes on whom reach is measured for (each once).

    Others than the children (e.g. all inhabitants), and target groups whose counts are estimated ("Kinder von 6
    bis unter 10 Jahren geschätzt: 4/18 der Kinder 0–17, …"). The reach models in force are on Methodik.
    """
    notes = [result.population.note, *(p.note for p in result.targets.values())]
    for note in dict.fromkeys(n for n in notes if n):
        st.info(md(note), icon=":material/groups:")


def layer_lacks(dataset: Dataset, result: Result) -> str:
    """`` mit Kinderzahlen`` (escaped) when a residents layer exists but lacks the population's counts, else ``""``.

    For the grid warnings: "Es liegt keine Wohnorte-Ebene{…} vor".
    """
    if dataset.residents is None or not len(dataset.residents):
        return ""
    return f" mit {md(result.population.counts)}"


def data_state(dataset: Dataset, result: Result) -> None:
    """Where the data come from, the year and the stored versions in use."""
    cols = st.columns([3, 1, 3])
    cols[0].markdown(f"**Datenquelle**  \n{md(dataset.source)}")
    cols[1].markdown(f"**Jahr**  \n{result.year}")
    # The store labels its layers by code name and puts the German name in the value ("Angebote v3 (…)").
    versions = "  \n".join(
        md(v) if k in _LAYER_CODES else f"{md(k)}: {md(v)}" for k, v in dataset.versions.items()
    ) or "–"
    cols[2].markdown(f"**Verwendete Datenstände**  \n{versions}")


def need_note(result: Result) -> None:
    """What the status index leaves out, or why no district is classified (from the analysis), as an info box."""
    if result.need_note:
        st.info(md(result.need_note), icon=":material/info:")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)


def _decimals(numbers: pd.Series) -> int:
    """Digits after the comma a number column needs: none for whole numbers, else as many as used, at most 2."""
    finite = numbers.astype(float)
    finite = finite[np.isfinite(finite)]
    for decimals in (0, 1):
        if np.allclose(finite, finite.round(decimals), rtol=0, atol=1e-9):
            return decimals
    return 2


def german_numbers(frame: pd.DataFrame, *, plain: Sequence[str] = ("Jahr",)):
    """``frame`` as a pandas Styler whose numbers display German (``1.809``, ``12,5``), the data unchanged.

    Streamlit's grid shows the Styler's display text but sorts number columns by the numbers underneath. Text
    columns with numbers among codes (``"< 3"``, ``"•"``) get the numbers German too. ``plain`` columns (years)
    get no thousands separator; booleans stay check boxes; missing numbers show "–".
    """
    if not (frame.index.is_unique and frame.columns.is_unique):
        frame = frame.reset_index(drop=True)
    formats = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_bool_dtype(values):
            continue
        numbers = values if pd.api.types.is_numeric_dtype(values) else values[values.map(_is_number)]
        if numbers.empty:
            continue
        decimals = 0 if name in plain else _decimals(numbers)
        formats[name] = functools.partial(_cell, decimals=decimals, grouped=name not in plain)
    return frame.style.format(formats)


def _cell(value: object, *, decimals: int, grouped: bool) -> str:
    """One cell of :func:`german_numbers`: numbers German, text as it is, missing values "–"."""
    if not _is_number(value):
        return "–" if value is None or value is pd.NA else str(value)
    text = format_number(value, decimals)
    return text if grouped else text.replace(".", "")


def table(frame: pd.DataFrame, *, plain: Sequence[str] = ("Jahr",), **kwargs) -> object:
    """``st.dataframe`` with German numbers whatever the browser's locale (see :func:`german_numbers`).

    Keyword arguments go to ``st.dataframe``; give number columns no ``format`` in ``column_config`` (that
    would replace the German text by Streamlit's own, English for an English browser).
    """
    return st.dataframe(german_numbers(frame, plain=plain), **kwargs)


def md(text: object) -> str:
    """User text for Streamlit Markdown (st.markdown/caption/error/success…, widget and metric labels, help).

    Markdown and HTML characters are escaped (Streamlit does not render raw HTML), and ``$``, which Streamlit
    typesets as LaTeX in pairs (``Preis $5 und $6``).
    """
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", str(text))


def default_gap_type(result: Result) -> str | None:
    """The analysed offer type with the most gap districts (config order breaks ties), for the first view."""
    if not result.offer_types:
        return None
    return max(result.offer_types, key=lambda t: result.key_figures.get(column("gap_districts", t), 0))


def pct(share: float) -> str:
    """A share as German percent text, ``74 %``."""
    return f"{format_number(100 * share)} %"

