"""A whole real city through the command line: an empty data folder → the committee report of Kreis Unna.

The files are made the way a city gets them: the Kreis' municipalities from VG5000 as a zipped Shapefile in
Gauß-Krüger zone 3 (EPSG:31467, as a surveying office delivers it), an indicator table as Excel saves it
(cp1252, semicolons, decimal commas, AGS without the leading zero) and the NRW school master data as it is
published (all of NRW; the Kreis' Grundschulen are picked by Gemeindeschlüssel). Every other layer is left
out on purpose: nothing of the demo Musterstadt may fill the gaps.
"""

from __future__ import annotations

import importlib.util
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo import settings
from geo.cli import main
from geo.demo import load_demo
from geo.store import open_workspace
from tests.conftest import SHARED_DATA

VG5000 = SHARED_DATA / "vg5000" / "VG5000_GEM.shp"
SCHOOLS = SHARED_DATA / "nrw-schulen" / "schuldaten_2021.csv"
KREIS = "05978"  # Kreis Unna
#: The ten municipalities of Kreis Unna in VG5000, by AGS.
MUNICIPALITIES = {
    "05978004": "Bergkamen", "05978008": "Bönen", "05978012": "Fröndenberg/Ruhr", "05978016": "Holzwickede",
    "05978020": "Kamen", "05978024": "Lünen", "05978028": "Schwerte", "05978032": "Selm", "05978036": "Unna",
    "05978040": "Werne",
}
#: Grundschulen (Schulform 02) of Kreis Unna in schuldaten_2021.csv, counted by hand per Gemeindeschlüssel.
GRUNDSCHULEN = 8 + 2 + 3 + 4 + 6 + 12 + 3 + 7 + 11 + 3

#: City-defined indicators (an empty city's upload proposes indicator columns) land with another part of issue 9;
#: until then an empty city cannot store indicator columns, and the analysis refuses to run.
CITY_INDICATORS = importlib.util.find_spec("geo.ingest.definitions") is not None
needs_city_indicators = pytest.mark.xfail(not CITY_INDICATORS, strict=True,
                                          reason="braucht stadteigene Indikatoren (geo.ingest.definitions)")

pytestmark = pytest.mark.skipif(
    not (VG5000.is_file() and SCHOOLS.is_file()),
    reason=f"Echte Daten fehlen: {VG5000} und {SCHOOLS} (../shared/data neben dem Repository)",
)


def indicator_values(i: int) -> dict[str, object]:
    """Made-up values of the i-th municipality (by AGS): simple enough to check by hand."""
    return {"Einwohner": 40_000 + 5_000 * i, "Kinder": 6_000 + 700 * i, "SGB-II-Quote": 8.5 + 2 * i,
            "Arbeitslosenquote": 4.5 + i, "Alleinerziehende": 15.0 + i}


def german(value: object) -> str:
    return str(value).replace(".", ",")


@pytest.fixture(scope="module")
def city_files(tmp_path_factory) -> dict[str, Path]:
    """The Kreis' files as the planners get them (made once per run from ../shared/data)."""
    folder = tmp_path_factory.mktemp("kreis-unna")
    gem = gpd.read_file(VG5000, engine="pyogrio")
    kreis = gem[gem["AGS"].str.startswith(KREIS)][["AGS", "GEN", "BEZ", "geometry"]]
    assert kreis.crs.to_epsg() == 31467 and dict(zip(kreis["AGS"], kreis["GEN"], strict=True)) == MUNICIPALITIES
    with tempfile.TemporaryDirectory() as shp:
        kreis.to_file(Path(shp) / "gemeinden_kreis_unna.shp", engine="pyogrio", encoding="UTF-8")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(Path(shp).iterdir()):
                archive.write(part, part.name)
    (folder / "gemeinden_kreis_unna.zip").write_bytes(buffer.getvalue())

    lines = ["Gemeindeschlüssel;Gemeinde;Jahr;" + ";".join(indicator_values(0))]
    for i, (ags, name) in enumerate(MUNICIPALITIES.items()):
        # Excel drops the leading zero of the AGS: 05978004 → 5978004.
        lines.append(";".join([str(int(ags)), name, "2024", *map(german, indicator_values(i).values())]))
    (folder / "indikatoren_2024.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    (folder / "schuldaten_2021.csv").symlink_to(SCHOOLS)
    return {"districts": folder / "gemeinden_kreis_unna.zip", "indicators": folder / "indikatoren_2024.csv",
            "offers": folder / "schuldaten_2021.csv"}


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def build_city(capsys, files) -> None:
    """The three uploads of a new Kreis, each must pass."""
    uploads = [
        ("districts", "--id-column", "AGS", "--name-column", "GEN"),
        ("indicators", "--id-column", "Gemeindeschlüssel"),
        ("offers", "--gemeindeschluessel", KREIS, "--type", "fgz"),
    ]
    for kind, *options in uploads:
        code, out, err = cli(capsys, "upload", kind, str(files[kind]), "--workspace", "Kreis Unna", *options)
        assert code == 0, (kind, out, err)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@needs_city_indicators
def test_kreis_unna_from_an_empty_data_folder_to_the_committee_report(data_root, city_files, capsys, tmp_path):
    # Boundaries into a name that does not exist yet: an empty city workspace is created, and it is the default.
    code, out, err = cli(capsys, "upload", "districts", str(city_files["districts"]), "--workspace", "Kreis Unna",
                         "--id-column", "AGS", "--name-column", "GEN")
    assert code == 0, err
    assert f"Neuer Arbeitsbereich angelegt: Kreis Unna ({data_root / 'kreis-unna'})" in out
    assert "Koordinatensystem: EPSG:31467" in out and "10 neu, 0 geändert, 0 entfernt" in out
    assert "Gespeichert: Sozialräume v1 (gemeinden_kreis_unna.zip" in out

    code, out, err = cli(capsys, "upload", "indicators", str(city_files["indicators"]), "--workspace",
                         "kreis-unna", "--id-column", "Gemeindeschlüssel")
    assert code == 0, out + err
    assert "Zeichenkodierung: Windows-1252" in out and "Trennzeichen: Semikolon" in out
    assert "10 Kennung(en) wurden ohne führende Nullen zugeordnet (z. B. 5978004 → 05978004" in out

    code, out, err = cli(capsys, "upload", "offers", str(city_files["offers"]), "--workspace", "Kreis Unna",
                         "--gemeindeschluessel", KREIS)
    assert code == 0, out + err
    assert f"NRW-Schuldatei erkannt: {GRUNDSCHULEN} Schulen der Schulform 02" in out
    assert "außerhalb des Stadtgebiets" not in out  # only the Kreis' schools were taken

    workspace = open_workspace("kreis-unna")
    versions = {layer: info.version for layer, info in workspace.active_versions().items()}
    assert {layer: versions.get(layer) for layer in ("districts", "indicators", "offers", "residents")} == {
        "districts": 1, "indicators": 1, "offers": 1, "residents": None}
    data = workspace.dataset()
    assert data.residents is None and not data.synthetic
    assert sorted(data.offers[settings.OFFER_TYPE].unique()) == ["fgz"] and len(data.offers) == GRUNDSCHULEN

    code, out, _ = cli(capsys, "workspace", "list")
    assert code == 0
    assert out.splitlines()[:2] == ["  demo                     Musterstadt (Demo)",
                                    "* kreis-unna               Kreis Unna"]

    # analyse without --workspace: the default the app opens, in a fresh process as a planner would run it.
    table_file = tmp_path / "ergebnis.csv"
    run = subprocess.run([sys.executable, "-m", "geo", "analyse", "--out", str(table_file)], cwd=settings.REPO_DIR,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert f"Arbeitsbereich: Kreis Unna ({data_root / 'kreis-unna'})" in run.stderr
    assert "Sozialräume v1 (gemeinden_kreis_unna.zip" in run.stderr
    assert "Indikatoren v1 (indikatoren_2024.csv" in run.stderr and "Angebote v1 (schuldaten_2021.csv" in run.stderr
    for missing in ("Lotsendienste in Geburtskliniken", "Familienbüros"):
        assert f"Hinweis: Für {missing} liegen noch keine Standorte vor – nicht analysiert." in run.stderr
    assert "10 Sozialräume geschrieben" in run.stdout
    table = pd.read_csv(table_file, sep=";", decimal=",", encoding="utf-8-sig", dtype={"Sozialraum-Nr.": str})
    assert len(table) == 10
    assert dict(zip(table["Sozialraum-Nr."], table["Sozialraum"], strict=True)) == MUNICIPALITIES
    by_ags = table.set_index("Sozialraum-Nr.")
    for i, ags in enumerate(MUNICIPALITIES):
        assert by_ags.at[ags, "Einwohner"] == indicator_values(i)["Einwohner"]
        assert by_ags.at[ags, "Arbeitslosenquote (%)"] == pytest.approx(indicator_values(i)["Arbeitslosenquote"])
    assert any(c.startswith("FGZ") for c in table.columns)
    assert not [c for c in table.columns if "Lotsendienst" in c or "Familienbüro" in c]

    # export without --workspace: the same default; the report names the Kreis' municipalities, nothing of the demo.
    report = tmp_path / "bericht.pdf"
    code, out, err = cli(capsys, "export", "--kind", "report", "--out", str(report), "--date", "2026-03-01")
    assert code == 0, err
    assert f"Arbeitsbereich: Kreis Unna ({data_root / 'kreis-unna'})" in err
    text = pdf_text(report)
    for name in MUNICIPALITIES.values():
        assert name in text, name
    demo = load_demo()
    assert "Musterstadt" not in text and settings.SYNTHETIC_STAMP not in text
    assert "Lotsendienst St.-Agnes-Hospital" in set(demo.offers[settings.OFFER_NAME])
    for name in [*demo.districts[settings.DISTRICT_NAME], *demo.offers[settings.OFFER_NAME]]:
        assert name not in text, name
    # the cover leads with the gap map and the gap list of the Kreis, in its own words
    cover = " ".join(text.split("\f")[0].split())
    assert "Ergebnis auf einen Blick: Versorgungslücken" in cover and "Inhalt" in cover
    if shutil.which("pdftoppm"):  # every page as an image to look at: test-artifacts/report-city/
        pictures = settings.REPO_DIR / "test-artifacts" / "report-city"
        shutil.rmtree(pictures, ignore_errors=True)
        pictures.mkdir(parents=True)
        subprocess.run(["pdftoppm", "-png", "-r", "70", str(report), str(pictures / "bericht")], check=True)
        assert len(list(pictures.glob("bericht-*.png"))) == text.count("\f")


def test_every_failed_upload_exits_non_zero_and_stores_nothing(data_root, city_files, capsys, tmp_path):
    broken = tmp_path / "grenzen.zip"
    broken.write_bytes(b"PK\x03\x04 abgeschnitten")
    # Bad boundaries into a new name: refused, and no workspace is left behind.
    code, out, err = cli(capsys, "upload", "districts", str(broken), "--workspace", "Kreis Unna")
    assert code == 1 and "beschädigt oder unvollständig" in out and "Nichts gespeichert" in err
    assert not any(data_root.iterdir())
    # Indicators or offers into a workspace that does not exist: refused, nothing created.
    for kind in ("indicators", "offers"):
        code, _, err = cli(capsys, "upload", kind, str(city_files[kind]), "--workspace", "Kreis Unna")
        assert code == 2 and "Einen Arbeitsbereich „Kreis Unna“ gibt es nicht" in err
    assert not any(data_root.iterdir())
    # Into the demo: read-only.
    code, _, err = cli(capsys, "upload", "districts", str(city_files["districts"]), "--workspace", "demo")
    assert code == 2 and "schreibgeschützt" in err
    assert not any(data_root.iterdir())

    code, *_ = cli(capsys, "upload", "districts", str(city_files["districts"]), "--workspace", "Kreis Unna",
                   "--id-column", "AGS", "--name-column", "GEN")
    assert code == 0
    workspace = open_workspace("Kreis Unna")
    history = workspace.history()

    # Indicators: no number of inhabitants (row 3), a municipality twice in one year (rows 4 and 5): reported at once.
    rows = city_files["indicators"].read_bytes().decode("cp1252").splitlines()
    rows[2] = rows[2].replace(f";{indicator_values(1)['Einwohner']};", ";viele;")
    rows[4] = rows[3]
    bad_indicators = tmp_path / "indikatoren_fehler.csv"
    bad_indicators.write_bytes("\r\n".join(rows).encode("cp1252"))
    code, out, err = cli(capsys, "upload", "indicators", str(bad_indicators), "--workspace", "Kreis Unna",
                         "--id-column", "Gemeindeschlüssel")
    assert code == 1, out
    assert "Zeile 3:" in out and "viele" in out and "Zeile 5:" in out and "Nichts gespeichert" in err

    # Offers: a school whose coordinate cannot be read (row 3 of a two-school extract).
    schools = pd.read_csv(SCHOOLS, sep=";", skiprows=1, dtype=str, keep_default_na=False)
    extract = schools[schools["Gemeindeschluessel"].str.startswith("05978036")].head(2).copy()
    extract.iloc[1, extract.columns.get_loc("UTMRechtswert")] = "41O123"
    bad_offers = tmp_path / "schulen_fehler.csv"
    extract.drop(columns=[c for c in extract.columns if c.startswith("Unnamed")]).to_csv(
        bad_offers, sep=";", index=False)
    code, out, err = cli(capsys, "upload", "offers", str(bad_offers), "--workspace", "Kreis Unna")
    assert code == 1, out
    assert "Zeile 3:" in out and "Nichts gespeichert" in err

    # Boundaries without the id column asked for.
    code, out, _ = cli(capsys, "upload", "districts", str(city_files["districts"]), "--workspace", "Kreis Unna",
                       "--id-column", "Schluessel")
    assert code == 1 and "Schluessel" in out

    pd.testing.assert_frame_equal(workspace.history(), history)
    assert {layer: info.version for layer, info in workspace.active_versions().items()} == {"districts": 1}
    assert [p.name for p in data_root.iterdir() if p.is_dir()] == ["kreis-unna"]
