"""User text is data, never template source or markup: every map, print product and page shows it as written.

A hostile corpus (Jinja, JavaScript template literals, HTML, ``$`` for mathtext/LaTeX) goes into every
user-controlled field of every layer and is rendered through the web map, the upload preview, the offline
HTML export, every print map and the committee report.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
from datetime import date
from functools import cache

import pypdf
import pytest
from streamlit_folium import generate_leaflet_string

from geo import export, settings
from geo.analysis import analyse
from geo.dataset import Dataset
from geo.render.print import content, kit
from geo.render.print.report import render_report
from geo.render.print.sheet import render_map
from geo.render.web.leaflet import need_map, standalone_html
from geo.render.web.preview import upload_preview_map
from tests.export_cases import small_case, small_result

CWD = os.getcwd()
PAYLOADS = [
    "{{ 7*191 }}",
    "{% for x in range(3) %}x{% endfor %}",
    "{# c #}",
    "Café {{ oops",
    "${7*7}",
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "Preis $5 und $6",
    "{{ cycler.__init__.__globals__.os.getcwd() }}",
]
#: What an evaluated template would leave behind (none of it is in the data or the payload itself).
EVALUATED = ["1337", "xxx", CWD]
HOSTILE = "D3"  # the district in need without reach: it is in every map, the gap table and the report
INDICATOR = "sgb2_children_quota"
BENIGN = "Harmlos Q"  # the reference: how often a plain text put in the same fields is shown


def hostile(payload: str) -> Dataset:
    """:func:`small_case` with ``payload`` in every user-controlled text field."""
    d = small_case()
    districts = d.districts.copy()
    row = districts[settings.DISTRICT_ID] == HOSTILE
    for col in (settings.DISTRICT_ID, settings.DISTRICT_NAME, settings.AREA_ID, settings.AREA_NAME):
        districts.loc[row, col] = payload
    indicators = d.indicators.copy()
    indicators.loc[indicators[settings.DISTRICT_ID] == HOSTILE, settings.DISTRICT_ID] = payload
    residents = d.residents.copy()
    residents.loc[residents[settings.DISTRICT_ID] == HOSTILE, settings.DISTRICT_ID] = payload
    offers = d.offers.copy()
    for col in (settings.OFFER_ID, settings.OFFER_NAME, settings.OFFER_ADDRESS):
        offers[col] = payload
    offer_types = d.offer_types.copy()
    for col in ("label", "short", "plural"):
        offer_types.loc["fgz", col] = payload
    definitions = d.indicator_definitions.copy()
    definitions.loc[INDICATOR, "label"] = payload
    return d.with_layers(districts=districts, indicators=indicators, residents=residents, offers=offers,
                         offer_types=offer_types, indicator_definitions=definitions, source=payload,
                         versions={"Angebote": payload})


@cache
def case(payload: str):
    """:func:`hostile` and its analysis, made once per payload: every map and print product below reads them
    (renderers do not modify their inputs), so each payload is analysed twice instead of up to twelve times."""
    ds = hostile(payload)
    return ds, small_result(ds)


@cache
def web_result(payload: str):
    """The analysis the web map of ``payload`` shows (default parameters, as the page's first view)."""
    return analyse(case(payload)[0])


@pytest.fixture(params=PAYLOADS, ids=range(len(PAYLOADS)))
def payload(request) -> str:
    return request.param


def _strings(value) -> list[str]:
    """Every string (keys included) in a decoded JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [str(k), *_strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _json_after(page: str, *prefixes: str) -> list[object]:
    """Every JSON value that follows one of ``prefixes`` in ``page`` (the data literals of the map scripts)."""
    decoder = json.JSONDecoder()
    found = []
    for match in re.finditer("|".join(map(re.escape, prefixes)), page):
        value, _ = decoder.raw_decode(page, match.end())
        found.append(value)
    assert found, f"no {prefixes} in the page"
    return found


def _shown(data: list[object]) -> str:
    """The text of every string in the map data as the browser shows it (they are HTML fragments)."""
    return "\n".join(html.unescape(s) for value in data for s in _strings(value))


def _check_page(page: str, payload: str, data: list[object], render) -> None:
    """``payload`` is shown as often as harmless text in its place; nothing was evaluated or became markup."""
    strings = [s for value in data for s in _strings(value)]
    text = _shown(data)
    harmless = _shown(_benign(render))
    assert harmless.count(BENIGN) > 0
    assert text.count(payload) == harmless.count(BENIGN)
    for residue in EVALUATED:
        assert residue not in text
    assert CWD not in page
    for raw in strings:  # user text is HTML-escaped in every fragment handed to innerHTML
        assert "<img" not in raw and "<script" not in raw.lower()
    assert "<img src=x" not in page
    assert "</script><script>alert" not in page


@cache
def _benign(render) -> list[object]:
    """The map data ``render`` makes for :data:`BENIGN` (the reference count), rendered once per renderer."""
    return render(BENIGN)[1]


def _web_map(payload: str):
    return need_map(web_result(payload), case(payload)[0], variable=INDICATOR, scheme="quantiles", k=3,
                    reach=True, gap_type="fgz", labels=True)


def web_page(payload: str) -> tuple[str, list[object]]:
    """The page ``get_root().render()`` makes (``st_folium`` calls it too) and the script ``st_folium`` sends."""
    m = _web_map(payload)
    page = m.get_root().render()
    script = generate_leaflet_string(m)
    return page + script, _json_after(page, "var data = ") + _json_after(script, "var data = ")


def offline_page(payload: str) -> tuple[str, list[object]]:
    ds, result = case(payload)
    page = export.export("html", "html", ds, result).decode("utf-8")
    return page, _json_after(page, "var data = ")


def preview_page(kind: str):
    def render(payload: str) -> tuple[str, list[object]]:
        base, ds = small_case(), case(payload)[0]
        current, new = (base.districts, ds.districts) if kind == "districts" else (base.offers, ds.offers)
        page = upload_preview_map(districts=ds.districts, current=current, new=new, kind=kind).get_root().render()
        # the preview's layers; "_add(" is where folium.GeoJson (used before) embeds its data
        return page, _json_after(page, "var layers = ", "_add(")
    return render


MAPS = {
    "web": web_page, "html_export": offline_page,
    "preview_districts": preview_page("districts"), "preview_offers": preview_page("offers"),
}


@pytest.mark.parametrize("where", list(MAPS))
def test_maps_show_user_text_as_text(payload, where):
    page, data = MAPS[where](payload)
    _check_page(page, payload, data, MAPS[where])


def test_offline_html_title_is_escaped(payload):
    page = standalone_html(_web_map(BENIGN), title=payload)
    assert page.count("<title>") == 1
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "<" not in title and html.unescape(title) == payload


@pytest.mark.parametrize("kind", list(content.KINDS))
def test_print_maps_draw_user_text(payload, kind):
    ds, result = case(payload)
    fig = render_map(kind, ds, result, offer_type="fgz", indicator=INDICATOR, export_date=date(2025, 3, 1))
    pdf = kit.figure_bytes(fig, "pdf")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert f"Quelle: {payload}" in text  # as written: no mathtext, no template


def test_report_draws_user_text(payload):
    ds, result = case(payload)
    pdf = render_report(ds, result, export_date=date(2025, 3, 1))
    pages = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    assert all(f"Quelle: {payload} · Export" in text for text in pages)  # the footer of every page


def _unescaped_dollar(markdown: str) -> bool:
    return re.search(r"(?<!\\)\$", markdown) is not None


def test_daten_page_escapes_dollars_and_survives_template_text(practice):
    """Streamlit typesets ``$…$`` as LaTeX: the page must hand it ``\\$``; a Jinja fragment must not crash it."""
    from tests.apptest import open_page

    money = "Preis $5 und $6"
    template = (settings.DATA_DIR / "vorlagen" / "angebote.csv").read_bytes().decode("utf-8-sig")
    data = template.replace("FB-01;", f"{money};").replace("Familienbüro Altstadt", "Café {{ oops")
    at = open_page("app_pages/3_Daten.py", timeout=120)
    at.file_uploader(key="up_file_offers").upload(f"{money}.csv", data.encode("utf-8")).run()
    assert not at.exception, at.exception
    listed = [c.value for c in at.caption if c.value.startswith("**Neu:**")]
    assert listed and "Preis \\$5 und \\$6" in listed[0] and not _unescaped_dollar(listed[0])
    at.button(key="up_save").click().run()
    assert not at.exception, at.exception
    saved = at.success[0].value
    assert "Preis \\$5 und \\$6" in saved and not _unescaped_dollar(saved)
