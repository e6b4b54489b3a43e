"""Print maps: content of the PDF, PNG size and dpi, fonts, metadata, labels, classes, byte-identical output."""

from __future__ import annotations

import io
import json
from datetime import date

import numpy as np
import pypdf
import pytest
from matplotlib import colors as mpl_colors
from matplotlib.text import Text
from PIL import Image

from geo import demo
from geo.analysis import analyse, column
from geo.analysis.protect import district_codes
from geo.export import ExportOptions, export
from geo.render import palette
from geo.render.print import content as map_contents
from geo.render.print import drawing, kit
from geo.render.print.content import (
    BIVARIATE_COLORS,
    HIDDEN_STYLE,
    NOT_CLASSIFIED_STYLE,
    bivariate_classes,
    map_content,
)
from geo.render.print.kit import paper_size_in
from geo.render.print.sheet import render_map
from geo.render.provenance import DEMO_SOURCE
from tests.export_cases import small_case, small_result

DAY = date(2025, 3, 1)


@pytest.fixture(scope="module")
def demo_case():
    dataset = demo.load_demo()
    return dataset, analyse(dataset)


@pytest.fixture(scope="module")
def small():
    dataset = small_case()
    return dataset, small_result(dataset)


def _pdf_text(data: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def _figure_text(fig) -> str:
    """All text of a figure (titles, legends, labels, footer) without writing a file."""
    return "\n".join(t.get_text() for t in fig.findobj(Text))


def _font_files(reader: pypdf.PdfReader) -> list[str]:
    """The embedded font file kinds of every font on every page (FontFile2 = TrueType)."""
    kinds = []
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        for ref in fonts.values():
            font = ref.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is not None:
                    descriptor = descriptor.get_object()
                    kinds += [k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor]
    return kinds


def test_status_pdf_carries_everything(demo_case):
    dataset, result = demo_case
    data = export("status", "pdf", dataset, result, ExportOptions(export_date=DAY))
    reader, text = _pdf_text(data)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape in points
    for expected in (
        "Soziale Lage: Statusklassen der Sozialräume",  # title
        "Indikatorjahr 2024", "Datenstand: Demo: Musterstadt (eingebaut)",  # subtitle with the data version
        "Status hoch", "Status sehr niedrig", "nicht klassifiziert",  # legend with class breaks
        "Index unter −1,0", "1,5 und mehr",
        f"Quelle: {DEMO_SOURCE}",  # source
        "Methode: Statusindex", "ohne Hintergrundkarte",  # one-line method note, no tiles
        "Export: 01.03.2025",  # date
        "synthetische Beispieldaten",  # stamp
        "km", "Maßstab ca. 1 :", "N",  # scale bar and north arrow
        "Eichkamp", "Altstadt",  # district labels are real text
    ):
        assert expected in text, expected
    assert _font_files(reader) and set(_font_files(reader)) == {"/FontFile2"}  # TrueType embedded
    meta = reader.metadata
    assert meta["/CreationDate"] == meta["/ModDate"] == "D:20250301000000Z"
    assert meta["/Title"] == "Soziale Lage: Statusklassen der Sozialräume"
    record = json.loads(meta["/Keywords"])
    assert record["analysis"]["year"] == 2024 and record["product"]["kind"] == "status"
    assert record["data"]["versions"] == {"Demo": "Musterstadt (eingebaut)"}


@pytest.mark.parametrize(
    ("paper", "orientation", "inches"),
    [("A4", "landscape", (11.69, 8.27)), ("A4", "portrait", (8.27, 11.69)), ("A3", "portrait", (11.69, 16.54))],
)
def test_paper_sizes(demo_case, paper, orientation, inches):
    dataset, result = demo_case
    fig = render_map("status", dataset, result, paper=paper, orientation=orientation, labels=False)
    assert tuple(round(v, 2) for v in fig.get_size_inches()) == inches  # the PDF page is this × 72 pt


@pytest.mark.parametrize("dpi", [40])
def test_png_pixel_size_and_dpi(demo_case, dpi):
    dataset, result = demo_case
    data = export("offers", "png", dataset, result, ExportOptions(dpi=dpi, export_date=DAY))
    image = Image.open(io.BytesIO(data))
    width, height = paper_size_in("A4", "landscape")
    assert image.size == (int(width * dpi), int(height * dpi))  # matplotlib truncates to whole pixels
    assert tuple(round(v) for v in image.info["dpi"]) == (dpi, dpi)
    assert json.loads(image.info["Description"])["export_date"] == "2025-03-01"
    assert image.info["Creation Time"] == "2025-03-01"


@pytest.mark.parametrize(
    ("kind", "kwargs", "title", "legend"),
    [
        ("indicator", {"indicator": "sgb2_children_quota"}, "SGB-II-Quote Kinder unter 15 Jahren nach Sozialraum",
         "Quantile"),
        ("offers", {}, "Präventive Angebote und ihre Reichweite", "Reichweite 1 km Luftlinie (FGZ)"),
        ("reach", {"offer_type": "fgz"}, "Reichweite: Familiengrundschulzentren (FGZ)", "25 bis unter 50 %"),
        ("bivariate", {"offer_type": "fgz"}, "Bedarf und Reichweite: Familiengrundschulzentren (FGZ)",
         "MSS-Statusklasse → mehr Bedarf"),
        ("gaps", {}, "Versorgungslücken", "Lücke bei 3 Angebotsarten"),
        ("gaps", {"offer_type": "familienbuero"}, "Versorgungslücken: Familienbüros", "Versorgungslücke (2)"),
    ],
)
def test_every_kind_renders_its_legend(demo_case, kind, kwargs, title, legend):
    dataset, result = demo_case
    fig = render_map(kind, dataset, result, export_date=DAY, orientation="portrait", **kwargs)
    text = _figure_text(fig)
    assert title in text
    assert legend in text
    assert "Methode:" in text and DEMO_SOURCE in text


def test_bivariate_key_has_german_axes(demo_case):
    dataset, result = demo_case
    # words as read: a legend or footer line may wrap anywhere
    text = " ".join(_figure_text(render_map("bivariate", dataset, result, offer_type="fgz", export_date=DAY)).split())
    for word in ("MSS-Statusklasse → mehr Bedarf", "Status hoch", "Status mittel", "Status niedrig, sehr niedrig",
                 "Anteil in Reichweite (1 km) → besser", "unter 50 %", "50 bis unter 80 %", "ab 80 %",
                 "dunkelrot = Versorgungslücke", "Dunkelrot (unten rechts)"):
        assert word in text, word
    assert "blau" not in text and "schwarz" not in text  # the old, wrong colour words


def _lightness(colour: str) -> float:
    """CIELAB L* (D65) of an sRGB colour, computed by hand."""
    rgb = np.array(mpl_colors.to_rgb(colour))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    y = float(linear @ [0.2126, 0.7152, 0.0722])
    f = np.cbrt(y) if y > 216 / 24389 else (24389 / 27 * y + 16) / 116
    return 116 * f - 16


def test_bivariate_lightness_falls_towards_more_need_and_less_reach():
    light = np.array([[_lightness(c) for c in row] for row in BIVARIATE_COLORS])  # [need][reach]
    assert (np.diff(light, axis=0) < -5).all()  # more need (next status class): darker, in every reach column
    assert (np.diff(light, axis=1) > 5).all()  # more reach: lighter, in every need row
    assert light.argmin() == 2 * 3 + 0  # the corner high need × low reach is the darkest …
    r, g, b = mpl_colors.to_rgb(BIVARIATE_COLORS[2][0])
    assert r > 0.5 and g < 0.15 and b < 0.15  # … and a red
    assert _lightness(BIVARIATE_COLORS[0][2]) > 90  # the all-clear corner is near white


@pytest.mark.parametrize("offer_type", ["familienbuero", "fgz", "lotsendienst"])
def test_reach_maps_share_one_scheme_darker_is_fewer_reached(demo_case, offer_type):
    dataset, result = demo_case
    content = map_content("reach", dataset, result, offer_type=offer_type)
    section = content.sections[0]
    # each type for its target group with its reach model in force (the demo: FGZ by assigned Grundschule, the
    # Lotsendienst by the nearest Geburtsklinik, the Familienbüro by radius)
    assert section.title == {
        "familienbuero": "Anteil der Kinder von 0 bis unter 3 Jahren im Umkreis von 1,5 km um ein Familienbüro "
                         "(dunkler = weniger Kinder von 0 bis unter 3 Jahren in Reichweite)",
        "fgz": "Anteil der Kinder von 6 bis unter 10 Jahren mit FGZ in Reichweite (zugeordnete Grundschule (nächste; "
               "20 von 45 Einrichtungen mit FGZ)) (dunkler = weniger Kinder von 6 bis unter 10 Jahren in Reichweite)",
        "lotsendienst": "Anteil der Geburten mit Lotsendienst in Reichweite (zugeordnete Geburtsklinik (nächste; 2 von "
                        "4 Einrichtungen mit Lotsendienst)) (dunkler = weniger Geburten in Reichweite)",
    }[offer_type]
    labels = [item.label.rsplit(" (", 1)[0] for item in section.items]
    # measured for the type's target group (e.g. children 6–9), some districts' shares are protected
    coded = (district_codes(result)[column("share_in_reach", offer_type)] != "").to_numpy()
    no_value = ~coded & np.isnan(result.districts[column("share_in_reach", offer_type)].to_numpy(dtype=float))
    assert labels == ["unter 25 %", "25 bis unter 50 %", "50 bis unter 75 %", "75 % und mehr",
                      *(["nicht ausgewiesen"] if coded.any() else []), *(["kein Wert"] if no_value.any() else [])]
    faces = [item.style.face for item in section.items][:4]
    assert faces == ["#6a51a3", "#9e9ac8", "#cbc9e2", "#f2f0f7"] == palette.reach_colors(4)  # same for every type
    assert np.all(np.diff([_lightness(f) for f in faces]) > 5)  # legend order: lighter with every class
    share = result.districts[column("share_in_reach", offer_type)].to_numpy()
    fills = [s.face for s in content.styles]
    worst = np.flatnonzero((share < 0.25) & ~coded)
    assert len(worst) and {fills[i] for i in worst} == {"#6a51a3"}
    assert {fills[i] for i in np.flatnonzero(coded)} <= {"#ffffff"}  # protected: never in a value class


def test_gaps_map_hatches_by_number_of_gaps(demo_case):
    dataset, result = demo_case
    content = map_content("gaps", dataset, result)
    n_gaps = sum(result.districts[column("gap", t)].to_numpy(dtype=int) for t in result.offer_types)
    hatches = {int(n): {content.styles[i].hatch for i in np.flatnonzero(n_gaps == n)} for n in set(n_gaps)}
    # Lohfeld, Buchenhain: one type; Eichkamp: two (Familienbüro, FGZ – its births belong mostly to a clinic with
    # a Lotsendienst since the Lotsendienst is measured by the nearest Geburtsklinik, no longer by a 5 km radius)
    assert hatches[1] == {None} and hatches[2] == {"////"}
    items = {item.label: item.style.hatch for item in content.sections[0].items}
    assert items["Lücke bei 2 Angebotsarten (1)"] == "////" and items["Lücke bei 3 Angebotsarten (0)"] == "xxxx"


def test_map_is_byte_identical(demo_case):
    dataset, result = demo_case
    options = ExportOptions(export_date=DAY, offer_type="fgz", dpi=30)
    assert export("bivariate", "pdf", dataset, result, options) == export("bivariate", "pdf", dataset, result,
                                                                           options)
    options = ExportOptions(export_date=DAY, offer_type="fgz", dpi=30, labels=False)
    assert export("reach", "png", dataset, result, options) == export("reach", "png", dataset, result, options)


def test_labels_placed_without_overlap(demo_case):
    dataset, result = demo_case
    content = map_content("gaps", dataset, result)
    with kit.rc():
        fig, renderer = kit.new_figure(*paper_size_in("A4", "landscape"))
        stats = drawing.draw_map(fig, renderer, (0.4, 0.9, 8.0, 6.5), content, result)
        names = [t for t in fig.axes[0].texts if t.get_zorder() == 10]
        boxes = np.array([t.get_window_extent(renderer).extents for t in names])
    assert stats["omitted"] == [] and stats["labelled"] == len(result.districts)
    overlaps = [
        (i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes))
        if boxes[i, 0] < boxes[j, 2] and boxes[j, 0] < boxes[i, 2] and boxes[i, 1] < boxes[j, 3]
        and boxes[j, 1] < boxes[i, 3]
    ]
    assert overlaps == []


def test_suppressed_districts_are_not_classified_on_maps(small):
    dataset, result = small
    content = map_content("reach", dataset, result, offer_type="fgz")
    assert content.styles[:3] == [HIDDEN_STYLE] * 3  # D1–D3: share suppressed
    assert content.styles[3] not in (HIDDEN_STYLE, NOT_CLASSIFIED_STYLE)  # D4's share (0 %) may be shown
    labels = [item.label for section in content.sections for item in section.items]
    assert "nicht ausgewiesen (Datenschutz; 3)" in labels
    status = map_content("status", dataset, result)
    assert status.styles[3] == NOT_CLASSIFIED_STYLE  # 100 inhabitants


def test_small_case_licence_free_source(small):
    dataset, result = small
    text = _figure_text(render_map("status", dataset, result, export_date=DAY))
    assert "Quelle: Testfall Kleinstadt (handgebaut)" in text
    assert "synthetische Beispieldaten" not in text


def test_bivariate_classes_and_palette(demo_case):
    _, result = demo_case
    bi = bivariate_classes(result, "fgz")
    ok = bi[bi["state"] == "ok"]
    assert set(ok["need"]) <= {0, 1, 2} and set(ok["reach"]) <= {0, 1, 2}
    assert (bi.loc[~result.districts["classified"].to_numpy(), "state"] == "not_classified").all()
    assert bi.attrs["need_bins"] == [-1.0, 1.0] and bi.attrs["reach_bins"] == [0.5, 0.8]
    # The darkest corner (need class 2, reach class 0) is exactly the set of gap districts.
    worst = (bi["need"] == 2) & (bi["reach"] == 0) & (bi["state"] == "ok")
    assert worst.to_numpy().tolist() == result.districts[column("gap", "fgz")].to_numpy().tolist()
    assert worst.sum() >= 1  # the demo has FGZ gaps, so the check compares something
    # the alarming corner (high need, few children in reach) is the darkest colour
    index = result.districts["status_index"].to_numpy()
    high = ok.index[ok["need"] == 2]
    low = ok.index[ok["need"] == 0]
    assert index[high].min() > index[low].max()
    share = result.districts[column("share_in_reach", "fgz")].to_numpy()
    assert share[ok.index[ok["reach"] == 2]].min() > share[ok.index[ok["reach"] == 0]].max()


@pytest.mark.parametrize(
    ("kind", "kwargs", "message"),
    [
        ("karte", {}, "Unbekannte Kartenart"),
        ("bivariate", {}, "braucht eine Angebotsart"),
        ("reach", {"offer_type": "geburtsklinik"}, "nicht analysiert"),
        ("indicator", {"indicator": "nope"}, "Unbekannter Indikator"),
        ("indicator", {"scheme": "jenks"}, "Unbekannte Klassifizierung"),
    ],
)
def test_bad_choices_raise(demo_case, kind, kwargs, message):
    dataset, result = demo_case
    with pytest.raises(ValueError, match=message):
        map_content(kind, dataset, result, **kwargs)


@pytest.mark.parametrize(("target", "length"), [(4905, 4000), (1900, 1000), (260, 200), (5200, 5000)])
def test_scale_bar_lengths_are_round(target, length):
    assert drawing._nice_length(target) == length


def test_indicator_choices_are_german(demo_case):
    dataset, result = demo_case
    choices = map_contents.indicator_choices(dataset, result)
    assert choices["sgb2_children_quota"] == "SGB-II-Quote Kinder unter 15 Jahren"
    assert choices[column("share_in_reach", "fgz")] == "FGZ: Anteil der Kinder von 6 bis unter 10 Jahren in Reichweite"
