"""Proofs of the Dynamik and the Gesamtindex as Berlin's Monitoring Soziale Stadtentwicklung (MSS) computes them.

(a) Two stored years whose changes are chosen per district: the Dynamik index computed by hand. (b) A fixture of
542 Planungsräume (as many as the MSS 2021 has) with four status and four dynamik indicators, built from the
published rules so that every one of the twelve Gesamtindex cells has a count known by construction. (c) A city's
ready-made Dynamik columns (German cp1252 CSV, semicolons, decimal commas, "-" codes) through the command line give
the same classes as the same changes computed from two stored years; the district table written by ``analyse``
carries Dynamikindex, Dynamikklasse and Gesamtindex with the hand-computed values. Nothing is fetched.
"""

from __future__ import annotations

import collections
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo import catalog, settings
from geo.analysis import Params, analyse
from geo.analysis.dynamics import OVERALL_CLASSES, dynamics, overall_label
from geo.analysis.need import NOT_CLASSIFIED, status_index
from geo.cli import main
from geo.dataset import Dataset
from tests.conftest import X0, Y0

MINUS = "\u2212"


def definitions(rows: list[dict]) -> pd.DataFrame:
    base = {"unit": "%", "direction": 1, "weight": 1.0, "in_index": True, "description": ""}
    return catalog.definitions_from_table(pd.DataFrame([base | r for r in rows]))


def squares(n: int, ids: list[str]) -> gpd.GeoDataFrame:
    """``n`` 1 km squares in a row (EPSG:25832)."""
    return gpd.GeoDataFrame({settings.DISTRICT_ID: ids, settings.DISTRICT_NAME: [f"Gebiet {i}" for i in ids]},
                            geometry=[box(X0 + 1000 * i, Y0, X0 + 1000 * (i + 1), Y0 + 1000) for i in range(n)],
                            crs="EPSG:25832")


# ------------------------------------------------------------------------------------ (a) known changes by hand

#: Changes 2022 → 2024 chosen per district. A–F are eligible; G has 250 inhabitants, H no 2022 value of the
#: quote, I only 280 inhabitants in 2022: their (extreme) changes must not move A–F's standardisation.
QUOTE_CHANGE = {"A": -3, "B": -1, "C": 0, "D": 0, "E": 1, "F": 3, "G": 40, "H": 0, "I": -30}
#: The employment rate has direction −1: a rising rate is an improvement.
EMPLOYED_CHANGE = {"A": 0, "B": 0, "C": -2, "D": 2, "E": 0, "F": 0, "G": -20, "H": 5, "I": 25}


def two_years() -> pd.DataFrame:
    ids = list(QUOTE_CHANGE)
    quote_2024 = dict(zip(ids, [10, 14, 20, 22, 26, 30, 15, 18, 21], strict=True))
    employed_2024 = dict(zip(ids, [60, 58, 50, 55, 52, 48, 57, 54, 59], strict=True))
    rows = []
    for i in ids:
        rows.append({settings.DISTRICT_ID: i, settings.YEAR: 2024, settings.INHABITANTS: 250 if i == "G" else 1000,
                     settings.CHILDREN: 100, "quote": quote_2024[i], "employed": employed_2024[i]})
        rows.append({settings.DISTRICT_ID: i, settings.YEAR: 2022,
                     settings.INHABITANTS: {"G": 250, "I": 280}.get(i, 1000), settings.CHILDREN: 100,
                     "quote": np.nan if i == "H" else quote_2024[i] - QUOTE_CHANGE[i],
                     "employed": employed_2024[i] - EMPLOYED_CHANGE[i]})
    return pd.DataFrame(rows)


@pytest.fixture
def known_changes(two_offers) -> Dataset:
    ids = list(QUOTE_CHANGE)
    defs = definitions([{"key": "quote", "label": "Quote"},
                        {"key": "employed", "label": "Beschäftigtenquote", "direction": -1}])
    return Dataset(districts=squares(len(ids), ids), indicators=two_years(), offers=two_offers, residents=None,
                   offer_types=catalog.read_offer_types(), indicator_definitions=defs, source="Testdaten")


def test_two_stored_years_with_known_changes_give_the_hand_computed_dynamik(known_changes):
    result = analyse(known_changes)  # year 2024; the Dynamik starts from 2024 − 2 = 2022, which is stored
    d = result.districts.set_index(settings.DISTRICT_ID)
    assert result.dynamics.period == "2022–2024" and result.dynamics.weights == {"quote": 1.0, "employed": 1.0}
    assert d["dyn_quote"].loc[list("ABCDEFG")].tolist() == [-3, -1, 0, 0, 1, 3, 40]
    # Over A–F: quote changes -3, -1, 0, 0, 1, 3 → mean 0, population variance 20/6 = 10/3, z = change·√0.3.
    # Employment changes 0, 0, -2, 2, 0, 0 → variance 8/6 = 4/3, oriented (direction −1) z = −change·√0.75:
    # C +√3, D −√3. Sum of z: A −3√0.3, B −√0.3, C √3, D −√3, E √0.3, F 3√0.3; Σ sum² = 12 → variance 2, so the
    # index is the sum ÷ √2: A −3√0.15 = −1.162, B −√0.15 = −0.387, C √1.5 = 1.225, D −1.225, E 0.387, F 1.162.
    expected = [-3 * np.sqrt(0.15), -np.sqrt(0.15), np.sqrt(1.5), -np.sqrt(1.5), np.sqrt(0.15), 3 * np.sqrt(0.15)]
    assert d["dynamic_index"].loc[list("ABCDEF")].to_numpy() == pytest.approx(expected)
    assert d["dynamic_class"].tolist() == ["positiv", "stabil", "negativ", "positiv", "stabil", "negativ",
                                           NOT_CLASSIFIED, NOT_CLASSIFIED, NOT_CLASSIFIED]
    assert d["dynamic_reason"].loc[list("GHI")].tolist() == [
        "weniger als 300 Einwohner", "kein Wert 2022: Quote", "weniger als 300 Einwohner"]
    # With the direction ignored C would improve: the orientation is what makes its falling employment "negativ".


def test_the_dynamik_weights_change_the_classes_as_computed_by_hand(known_changes):
    params = Params(dynamic_weights={"quote": 2.0, "employed": 1.0})
    d = analyse(known_changes, params).districts.set_index(settings.DISTRICT_ID)
    # Sum 2·z(quote) + z(employment): A −6√0.3, B −2√0.3, C √3, D −√3, E 2√0.3, F 6√0.3; Σ sum² = 4·6 + 6 = 30,
    # variance 5: C = √3/√5 = 0.775 (stabil now), A = −6√0.3/√5 = −6√0.06 = −1.470 (still positiv).
    assert d.at["C", "dynamic_index"] == pytest.approx(np.sqrt(0.6))
    assert d.at["A", "dynamic_index"] == pytest.approx(-6 * np.sqrt(0.06))
    assert d["dynamic_class"].loc[list("ABCDEF")].tolist() == ["positiv", "stabil", "stabil", "stabil", "stabil",
                                                              "negativ"]


# ------------------------------------------------------------------------ (b) 542 Planungsräume, known by design

#: Standardised status index by design, value → districts, over the 531 districts with a status class.
#: Mean (−160 − 41 + 0 + 121 + 40 + 40)/531 = 0; Σz² = 320 + 20.5 + 0 + 60.5 + 50 + 80 = 531: variance 1, so
#: standardising changes nothing and each value is its district's index (MSS bounds −1 / +1 / +1.5).
STATUS_DESIGN = {-2.0: 80, -0.5: 82, 0.0: 75, 0.5: 242, 1.25: 32, 2.0: 20}
#: Standardised Dynamik index by design over the 530 districts with a Dynamik class.
#: Mean (−140 − 30 + 0 + 50 + 60 + 60)/530 = 0; Σz² = 280 + 15 + 0 + 25 + 90 + 120 = 530 (bounds ±1).
DYNAMIC_DESIGN = {-2.0: 70, -0.5: 60, 0.0: 230, 0.5: 100, 1.5: 40, 2.0: 30}
STATUS_OF = {-2.0: "Status hoch", -0.5: "Status mittel", 0.0: "Status mittel", 0.5: "Status mittel",
             1.25: "Status niedrig", 2.0: "Status sehr niedrig"}
DYNAMIC_OF = {-2.0: "positiv", -0.5: "stabil", 0.0: "stabil", 0.5: "stabil", 1.5: "negativ", 2.0: "negativ"}
#: The twelve Gesamtindex cells of the 530 districts with both classes (rows: status, columns: dynamik).
CELLS = {
    ("Status hoch", "positiv"): 15, ("Status hoch", "stabil"): 60, ("Status hoch", "negativ"): 5,
    ("Status mittel", "positiv"): 45, ("Status mittel", "stabil"): 304, ("Status mittel", "negativ"): 50,
    ("Status niedrig", "positiv"): 6, ("Status niedrig", "stabil"): 18, ("Status niedrig", "negativ"): 8,
    ("Status sehr niedrig", "positiv"): 4, ("Status sehr niedrig", "stabil"): 8, ("Status sehr niedrig", "negativ"): 7,
}
#: Four status indicators (2021) and their changes since 2019 as the dynamik indicators: value = a + b·x with x
#: the district's index plus noise that cancels in the equally weighted sum (see :func:`_pattern`).
STATUS_SCALE = {"s1": (6.0, 1.5), "s2": (2.5, 0.6), "s3": (10.0, 3.0), "s4": (25.0, 7.0)}
CHANGE_SCALE = {"s1": (-0.3, 0.4), "s2": (-0.1, 0.2), "s3": (-0.5, 0.8), "s4": (-1.0, 1.5)}
LABELS = {"s1": "Arbeitslosigkeit", "s2": "Langzeitarbeitslosigkeit", "s3": "Transferbezug", "s4": "Kinderarmut"}
SMALL = 11  # Planungsräume with fewer than 300 inhabitants: no class at all


def _take(pool: dict[str, list[float]], name: str, n: int) -> list[float]:
    taken, pool[name] = pool[name][:n], pool[name][n:]
    assert len(taken) == n
    return taken


def _pools(design: dict[float, int], names: dict[float, str], rng) -> dict[str, list[float]]:
    pools: dict[str, list[float]] = collections.defaultdict(list)
    for value, count in design.items():
        pools[names[value]] += [value] * count
    return {k: list(rng.permutation(v)) for k, v in pools.items()}


def _pattern(t: np.ndarray, on: np.ndarray, rng) -> list[np.ndarray]:
    """Four indicator patterns t+u, t−u, t+v, t−v with u, v of mean 0 and uncorrelated with t over ``on``.

    Then each pair has the same standard deviation, the u and v cancel in the equally weighted sum of the four
    z-values, and the standardised sum is t again: the index is known, the single indicators differ.
    """
    t0 = t - t[on].mean()
    out = []
    for _ in range(2):
        noise = rng.normal(size=len(t))
        noise = noise - noise[on].mean()
        noise = noise - (noise[on] @ t0[on]) / (t0[on] @ t0[on]) * t0
        noise = 0.3 * noise / noise[on].std()
        out += [t + noise, t - noise]
    return out


def planungsraeume() -> tuple[pd.DataFrame, pd.DataFrame]:
    """542 Planungsräume, 2019 and 2021: 530 with both classes by :data:`CELLS`, one without its 2019 row
    (status sehr niedrig by design), eleven with fewer than 300 inhabitants. Returns (table, truth per district)."""
    rng = np.random.default_rng(2021)
    status_pool = _pools(STATUS_DESIGN, STATUS_OF, rng)
    dynamic_pool = _pools(DYNAMIC_DESIGN, DYNAMIC_OF, rng)
    truth = []
    for (status, dynamic), n in CELLS.items():
        truth += [{"status": s, "dynamic": d, "kind": "both"}
                  for s, d in zip(_take(status_pool, status, n), _take(dynamic_pool, dynamic, n), strict=True)]
    truth.append({"status": _take(status_pool, "Status sehr niedrig", 1)[0], "dynamic": np.nan, "kind": "no 2019"})
    assert not any(status_pool.values()) and not any(dynamic_pool.values())  # the design is used up exactly
    truth += [{"status": 0.8, "dynamic": 0.8, "kind": "small"}] * SMALL
    truth = pd.DataFrame(truth).iloc[rng.permutation(len(truth))].reset_index(drop=True)
    truth[settings.DISTRICT_ID] = [f"{11000000 + 100 * i:08d}" for i in range(len(truth))]
    n = len(truth)
    inhabitants = rng.integers(300, 30_000, size=n)
    inhabitants[truth.index[truth["kind"] == "both"][0]] = 300  # exactly the threshold still counts
    inhabitants = np.where(truth["kind"] == "small", rng.integers(50, 300, size=n), inhabitants)
    both, status_on = (truth["kind"] == "both").to_numpy(), (truth["kind"] != "small").to_numpy()
    status = _pattern(truth["status"].to_numpy(dtype=float), status_on, rng)
    change = _pattern(np.nan_to_num(truth["dynamic"].to_numpy(dtype=float)), both, rng)
    now = pd.DataFrame({settings.DISTRICT_ID: truth[settings.DISTRICT_ID], settings.YEAR: 2021,
                        settings.INHABITANTS: inhabitants})
    before = now.assign(**{settings.YEAR: 2019, settings.INHABITANTS: inhabitants + rng.integers(0, 50, size=n)})
    for j, key in enumerate(STATUS_SCALE):
        (a, b), (c, k) = STATUS_SCALE[key], CHANGE_SCALE[key]
        now[key] = a + b * status[j]
        before[key] = now[key] - (c + k * change[j])
    before = before[(truth["kind"] != "no 2019").to_numpy()]
    return pd.concat([before, now], ignore_index=True), truth


def test_542_planungsraeume_reproduce_the_designed_gesamtindex():
    table, truth = planungsraeume()
    assert len(truth) == 542 and table[settings.YEAR].value_counts().to_dict() == {2021: 542, 2019: 541}
    defs = definitions([{"key": k, "label": v} for k, v in LABELS.items()])
    now = table[table[settings.YEAR] == 2021].reset_index(drop=True)
    need = status_index(now, definitions=defs)
    classified = (truth["kind"] != "small").to_numpy()
    assert need["status_index"].to_numpy()[classified] == pytest.approx(truth["status"].to_numpy()[classified])
    out, info = dynamics(table, now[settings.DISTRICT_ID], need["status_class"], definitions=defs, year=2021,
                         base_year=2019)
    assert info.period == "2019–2021" and info.weights == {k: 1.0 for k in LABELS} and not info.note
    both = (truth["kind"] == "both").to_numpy()
    assert out["dynamic_index"].to_numpy()[both] == pytest.approx(truth["dynamic"].to_numpy()[both])

    assert need["status_class"].value_counts().to_dict() == {
        "Status mittel": 399, "Status hoch": 80, "Status niedrig": 32, "Status sehr niedrig": 20,
        NOT_CLASSIFIED: SMALL}
    assert out["dynamic_class"].value_counts().to_dict() == {"stabil": 390, "positiv": 70, "negativ": 70,
                                                             NOT_CLASSIFIED: SMALL + 1}
    cells = collections.Counter(out["overall_class"])
    assert cells == collections.Counter({overall_label(s, d): n for (s, d), n in CELLS.items()} | {"": SMALL + 1})
    assert set(cells) - {""} == set(OVERALL_CLASSES)  # all twelve cells occur
    assert collections.Counter(out["overall_code"])[f"3 {MINUS}"] == 8
    # Besonderer Aufmerksamkeitsbedarf: status niedrig (32) or sehr niedrig (19 + the one without 2019) whatever
    # the dynamik, and status mittel with dynamik negativ (50).
    assert int(out["attention"].sum()) == 32 + 20 + 50
    reasons = out["dynamic_reason"][~both]
    assert collections.Counter(reasons) == {
        "weniger als 300 Einwohner": SMALL,
        "; ".join(f"kein Wert 2019: {label}" for label in LABELS.values()): 1}


def test_unequal_weights_break_the_design_so_the_proof_can_fail():
    """The noise cancels only with equal weights: other weights give other classes (the proof is not trivial)."""
    table, truth = planungsraeume()
    defs = definitions([{"key": k, "label": v} for k, v in LABELS.items()])
    now = table[table[settings.YEAR] == 2021].reset_index(drop=True)
    need = status_index(now, definitions=defs)
    out, _ = dynamics(table, now[settings.DISTRICT_ID], need["status_class"], definitions=defs, year=2021,
                      base_year=2019, weights={"s1": 3.0, "s2": 1.0, "s3": 1.0, "s4": 1.0})
    both = (truth["kind"] == "both").to_numpy()
    assert not np.allclose(out["dynamic_index"].to_numpy()[both], truth["dynamic"].to_numpy()[both], atol=1e-3)


# ----------------------------------------------------- (c) a city's ready-made Dynamik columns, command line

CITY_IDS = [f"{i:02d}" for i in range(1, 13)]
#: 2024 status values: Transferbezug 4,5 / 10,5 / 16,5 and Beschäftigtenquote 70 / 60 / 50 (direction −1) over
#: the 11 districts with ≥ 300 inhabitants: mean 10,5 and 60, z = ±6/√(144/11) = ±1.658 → hoch / mittel /
#: sehr niedrig; 11 has 250 inhabitants.
TRANSFER_2024 = ["4,5", "10,5", "10,5", "16,5", "10,5", "16,5", "4,5", "10,5", "10,5", "10,5", "12,5", "10,5"]
EMPLOYED_2024 = ["70", "60", "60", "50", "60", "50", "70", "60", "60", "60", "60", "60"]
#: Changes 2022 → 2024 as the city publishes them ("-" = no value: 12 has no 2022 Transferbezug); "-1" is a
#: change of −1 percentage point, not a no-data code.
CITY_TRANSFER_CHANGE = ["-3,0", "-1", "0", "0", "1,0", "+3,0", "0", "0", "0", "0", "0", "-"]
CITY_EMPLOYED_CHANGE = ["0", "0", "-2,0", "2,0", "0", "0", "0", "0", "0", "0", "0", "0"]
TRANSFER, EMPLOYED = "Transferbezug (%)", "Beschäftigtenquote (%)"
D_TRANSFER, D_EMPLOYED = "Veränderung Transferbezug (Prozentpunkte)", "Veränderung Beschäftigtenquote (Prozentpunkte)"


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    """As German Excel saves it: semicolons, CRLF, cp1252."""
    return ("\r\n".join(";".join(r) for r in [header, *rows]) + "\r\n").encode("cp1252")


@pytest.fixture
def city_files(tmp_path) -> dict[str, Path]:
    folder = tmp_path / "neustadt"
    folder.mkdir()
    districts = squares(12, CITY_IDS).rename(columns={settings.DISTRICT_ID: "Nr", settings.DISTRICT_NAME: "Name"})
    districts.to_file(folder / "sozialraeume.gpkg", engine="pyogrio")
    inhabitants = ["250" if i == "11" else "1.200" for i in CITY_IDS]
    rows = []
    for j, i in enumerate(CITY_IDS):
        transfer_2022 = "-" if CITY_TRANSFER_CHANGE[j] == "-" else \
            f"{_number(TRANSFER_2024[j]) - _number(CITY_TRANSFER_CHANGE[j]):.1f}".replace(".", ",")
        employed_2022 = f"{_number(EMPLOYED_2024[j]) - _number(CITY_EMPLOYED_CHANGE[j]):g}"
        rows.append([str(int(i)), "2022", inhabitants[j], "150", transfer_2022, employed_2022])
        rows.append([str(int(i)), "2024", inhabitants[j], "150", TRANSFER_2024[j], EMPLOYED_2024[j]])
    (folder / "zwei_jahre.csv").write_bytes(_csv(["Sozialraum-Nr", "Jahr", "Einwohner", "Kinder", TRANSFER, EMPLOYED],
                                                 rows))
    ready = [[str(int(i)), "2024", inhabitants[j], "150", TRANSFER_2024[j], EMPLOYED_2024[j], CITY_TRANSFER_CHANGE[j],
              CITY_EMPLOYED_CHANGE[j]] for j, i in enumerate(CITY_IDS)]
    (folder / "mit_dynamik.csv").write_bytes(_csv(
        ["Sozialraum-Nr", "Jahr", "Einwohner", "Kinder", TRANSFER, EMPLOYED, D_TRANSFER, D_EMPLOYED], ready))
    return {"districts": folder / "sozialraeume.gpkg", "two_years": folder / "zwei_jahre.csv",
            "ready_made": folder / "mit_dynamik.csv"}


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def city(capsys, files, name: str, indicators: str, *options: str) -> str:
    code, out, err = cli(capsys, "upload", "districts", files["districts"], "--workspace", name, "--id-column", "Nr",
                         "--name-column", "Name")
    assert code == 0, (out, err)
    code, out, err = cli(capsys, "upload", "indicators", files[indicators], "--workspace", name,
                         "--indicator", f"{TRANSFER}:+", "--indicator", f"{EMPLOYED}:-", *options)
    assert code == 0, (out, err)
    return out


def district_table(capsys, name: str, path: Path, *options: str) -> tuple[pd.DataFrame, str]:
    code, out, err = cli(capsys, "analyse", "--workspace", name, "--out", path, *options)
    assert code == 0, (out, err)
    return pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig"), out


def test_ready_made_dynamik_columns_give_the_classes_of_two_stored_years(capsys, city_files, tmp_path):
    city(capsys, city_files, "Neustadt Zwei Jahre", "two_years")
    upload = city(capsys, city_files, "Neustadt Geliefert", "ready_made",
                  "--dynamic", f"{D_TRANSFER}:+", "--dynamic", f"{D_EMPLOYED}:-")
    assert ("Dynamik-Indikatoren (gelieferte Veränderungen): Veränderung Transferbezug, Veränderung "
            "Beschäftigtenquote") in upload
    assert ("Die Status-Indikatoren der Datei („Transferbezug (%)“, „Beschäftigtenquote (%)“) gehen daher nicht "
            "in den Dynamikindex ein") in upload
    computed, out_computed = district_table(capsys, "Neustadt Zwei Jahre", tmp_path / "zwei.csv")
    supplied, out_supplied = district_table(capsys, "Neustadt Geliefert", tmp_path / "geliefert.csv")

    # By hand over 01–10 (11 too small, 12 without a value): Transferbezug changes −3, −1, 0, 0, 1, 3, 0 … →
    # variance 20/10, z = change/√2; Beschäftigtenquote −2 (03), +2 (04) → variance 0.8, oriented z ∓√5; the sum
    # has variance 20/10 = 2, so the index is the sum ÷ √2: 01 −1,5; 02 −0,5; 03 √2,5 = 1,58; 04 −1,58; 05 0,5;
    # 06 1,5; 07–10 0.
    assert computed["Dynamikindex"].tolist()[:10] == supplied["Dynamikindex"].tolist()[:10] == [
        "-1,5", "-0,5", "1,58", "-1,58", "0,5", "1,5", "0,0", "0,0", "0,0", "0,0"]
    classes = ["positiv", "stabil", "negativ", "positiv", "stabil", "negativ", "stabil", "stabil", "stabil",
               "stabil", NOT_CLASSIFIED, NOT_CLASSIFIED]
    assert computed["Dynamikklasse"].tolist() == supplied["Dynamikklasse"].tolist() == classes
    status = ["hoch", "mittel", "mittel", "sehr niedrig", "mittel", "sehr niedrig", "hoch", "mittel", "mittel",
              "mittel"]
    overall = [f"Status {s}, Dynamik {d}" for s, d in zip(status, classes, strict=False)] + ["", ""]
    for table in (computed, supplied):
        assert table["Statusklasse"].tolist()[:10] == [f"Status {s}" for s in status]
        assert table["Gesamtindex"].tolist() == overall
        assert table["Gesamtindex-Code"].tolist() == ["1 +", f"2 +/{MINUS}", f"2 {MINUS}", "4 +", f"2 +/{MINUS}",
                                                      f"4 {MINUS}", f"1 +/{MINUS}", *[f"2 +/{MINUS}"] * 3, "", ""]
        assert table["Besonderer Aufmerksamkeitsbedarf"].tolist() == [
            "nein", "nein", "ja", "ja", "nein", "ja", "nein", "nein", "nein", "nein", "nein", "nein"]
    assert computed["Dynamik: ohne Klasse, weil"].tolist()[10:] == [
        "weniger als 300 Einwohner", "kein Wert 2022: Transferbezug"]
    assert supplied["Dynamik: ohne Klasse, weil"].tolist()[10:] == [
        "weniger als 300 Einwohner", "kein Wert 2024: Veränderung Transferbezug"]
    # The summary of analyse: period, classes, attention.
    assert "Dynamik: Zeitraum 2022–2024, 2 Indikator(en) im Dynamikindex" in out_computed
    assert "Dynamik: Zeitraum 2024, 2 Indikator(en) im Dynamikindex; davon geliefert: 2" in out_supplied
    for out in (out_computed, out_supplied):
        assert "Dynamikklassen: 2 positiv, 6 stabil, 2 negativ, 2 ohne Klasse" in out
        assert "Sozialräume mit besonderem Aufmerksamkeitsbedarf: 3 (Regel: " in out


def test_analyse_takes_the_vergleichsjahr_and_refuses_one_not_stored(capsys, city_files, tmp_path):
    city(capsys, city_files, "Neustadt Zwei Jahre", "two_years")
    table, out = district_table(capsys, "Neustadt Zwei Jahre", tmp_path / "a.csv", "--dynamic-from", "2022")
    assert table["Dynamikklasse"].tolist()[:3] == ["positiv", "stabil", "negativ"]
    code, _, err = cli(capsys, "analyse", "--workspace", "Neustadt Zwei Jahre", "--dynamic-from", "2019")
    assert code == 2 and "--dynamic-from 2019: Für dieses Jahr liegen keine Indikatorwerte vor (gespeichert: " \
                         "2022, 2024)." in err
    code, _, err = cli(capsys, "analyse", "--workspace", "Neustadt Zwei Jahre", "--year", "2022",
                       "--dynamic-from", "2024")
    assert code == 2 and "Das Vergleichsjahr muss vor dem Jahr der Analyse (2022) liegen." in err
    # 2022 alone has no earlier year: the summary says so instead of classes.
    code, out, err = cli(capsys, "analyse", "--workspace", "Neustadt Zwei Jahre", "--year", "2022", "--out",
                         tmp_path / "b.csv")
    assert code == 0 and "Dynamik: Kein Dynamikindex: kein früheres Jahr gespeichert" in out
