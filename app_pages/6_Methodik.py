"""Methodik: how every figure is computed, in plain German, with the parameters in force."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import _dynamics as dynamics_text
from app_pages import _shared as ui
from geo import catalog, settings
from geo.analysis.chain import rule_text as chain_rule_text
from geo.analysis.need import CLASS_BOUNDS, IN_NEED_CLASSES
from geo.analysis.protect import protected_totals
from geo.analysis.sites import need_weights_text
from geo.formatting import format_distance, format_number, grid_name
from geo.render.provenance import reach_model_table
from geo.render.web.map_data import SIMPLIFY_M

st.title("Methodik")
dataset, params = ui.current()
with ui.shows_data_errors():
    result = ui.analysis(dataset, params)

n = format_number
low, high, very = (n(b, 1, signed=True) for b in CLASS_BOUNDS)
min_inh = n(result.min_inhabitants)
gap_pct = ui.pct(result.max_share_in_reach)
definitions = dataset.indicator_definitions
kf = result.key_figures
p = result.population
people, of_people = ui.md(p.plural), ui.md(p.genitive)
totals = protected_totals(result)  # sums without suppressed counts, as in the exports


def total(key: str, noun: str) -> str:
    """A protected total with its noun ("190 Kinder"), and the districts left out for data protection if any."""
    left_out = totals[key].left_out
    districts = "Sozialraum" if left_out == 1 else "Sozialräume"
    note = f" (ohne {left_out} {districts} mit geschützter Zahl)" if left_out else ""
    return f"{n(totals[key].value)} {noun}{note}"


st.markdown(
    "Diese Seite beschreibt, wie jede Zahl im Präventionsatlas entsteht – mit den Einstellungen, die gerade "
    "gelten (Seitenleiste). Ändern Sie dort Jahr, Gewichte oder Radien, ändern sich auch die Angaben hier."
)
ui.stamp(dataset)
ui.need_note(result)

st.header("1. Datengrundlage")
with st.container(border=True):
    ui.data_state(dataset, result)
ui.population_note(result)
st.markdown(
    f"""
- **Jahr der Indikatoren:** {result.year} (vorhanden: {", ".join(str(y) for y in dataset.years)}).
- **Sozialräume:** {kf["districts"]} Sozialräume, {total("population", ui.md(p.description))}.
- **Wohnorte {of_people}:** {ui.md(result.residents_source)}.
- **Angebote:** {len(dataset.offers)} Standorte; welche Art welches Symbol hat, steht in der Legende der Karte.
"""
)
if result.residents_on_grid:
    st.warning(
        f"Ohne Wohnorte-Ebene{ui.layer_lacks(dataset, result)} werden die {people} jedes Sozialraums "
        f"gleichmäßig auf die Mittelpunkte eines {grid_name(result.grid_m)}s im Sozialraum verteilt (Zellen ab "
        f"{format_distance(settings.FALLBACK_GRID_M)}; bei sehr vielen oder großen Sozialräumen gröber, damit "
        f"höchstens etwa {n(settings.FALLBACK_MAX_POINTS)} Rasterpunkte entstehen). Reichweiten sind dann Näherungen."
    )

st.header("2. Bedarf: der Statusindex")
st.markdown(
    f"""
Der Index folgt dem Verfahren des Berliner *Monitoring Soziale Stadtentwicklung* (MSS):

1. **Indikatoren wählen und gewichten.** Im Index sind die Indikatoren mit Gewicht größer 0 (Tabelle unten).
2. **z-Standardisierung je Indikator:** z = (Wert − Mittelwert) ÷ Standardabweichung. Mittelwert und
   Standardabweichung werden **nur über die Sozialräume mit mindestens {min_inh} Einwohnern** und vollständigen
   Werten berechnet; die Standardabweichung ist die der Grundgesamtheit (Division durch *n*, nicht *n − 1*).
3. **Richtung:** Bei Indikatoren, deren hoher Wert *weniger* Bedarf bedeutet (Richtung −1), wird das
   Vorzeichen umgedreht. Danach gilt immer: positiver Wert = mehr Bedarf als im Durchschnitt.
4. **Gewichtete Summe** der z-Werte, die **noch einmal z-standardisiert** wird (wieder über dieselben Sozialräume).
   Das Ergebnis ist der **Statusindex**: 0 = Durchschnitt der Stadt, +1 = eine Standardabweichung mehr Bedarf.
5. **Statusklassen** (feste Grenzen des MSS):
   - *Status hoch*: Index unter {low}
   - *Status mittel*: {low} bis unter {high}
   - *Status niedrig*: {high} bis unter {very}
   - *Status sehr niedrig*: {very} und mehr
   - *nicht klassifiziert*: Sozialräume mit weniger als {min_inh} Einwohnern (zu kleine Zahlen für
     verlässliche Quoten). Sie erhalten einen Indexwert, aber keine Klasse.
6. **Sozialräume mit hohem Bedarf** sind die Klassen {" und ".join(f"*{c}*" for c in IN_NEED_CLASSES)}
   – im Jahr {result.year} sind das {kf["districts_in_need"]} von {kf["districts"]} Sozialräumen; in ihnen leben
   {total("population_in_need", people)}.
"""
)
weights = pd.DataFrame(
    {
        "Indikator": [str(definitions.at[k, "label"]) for k in definitions.index],
        "Einheit": [str(definitions.at[k, "unit"]) for k in definitions.index],
        "Richtung": [catalog.DIRECTIONS[1 if definitions.at[k, "direction"] > 0 else -1] for k in definitions.index],
        "Gewicht (aktuell)": [result.weights.get(k, 0.0) for k in definitions.index],
        "Beschreibung": [str(definitions.at[k, "description"]) for k in definitions.index],
    }
)
ui.table(weights, hide_index=True)
dynamics_text.methodik_section(result, dataset)

st.header("3. Reichweite der Angebote")
st.markdown(
    f"""
Jede Angebotsart wird an **ihrer Zielgruppe** gemessen (Lebensphase der Präventionskette, Tabelle unten) – oder,
wenn in der Seitenleiste eine Personenzahl gewählt ist, jede Art an derselben. Die Reichweite misst eines von drei
**Reichweitenmodellen**:

- **{catalog.REACH_MODELS["radius"]}:** in Reichweite ist, wer höchstens so weit vom **nächsten** Angebot der Art
  entfernt wohnt wie der **Radius** (Luftlinie in Metern im Koordinatensystem **{settings.METRIC_CRS}**, ETRS89 /
  UTM Zone 32N; egal, in welchem Sozialraum das Angebot liegt; Wege, Straßen, Barrieren oder Öffnungszeiten werden
  nicht berücksichtigt).
- **{catalog.REACH_MODELS["zuordnung"]}:** jeder Wohnort gehört zu einer Einrichtung (z. B. der Grundschule seines
  Schuleinzugsbereichs, sonst der nächsten Grundschule). In Reichweite ist, wessen Einrichtung das Angebot hat
  (z. B. ein FGZ). Für Lotsendienste zählt, wo eine Tabelle „Geburten je Klinik“ vorliegt, der Anteil der Geburten
  eines Sozialraums in Kliniken mit Lotsendienst.
- **{catalog.REACH_MODELS["gebiet"]}:** in Reichweite ist, wer in einem Zuständigkeitsgebiet eines Angebots der Art
  wohnt.
- Fehlen einem Modell seine Daten (keine Grundschulen, keine Gebiete), gilt die Luftlinie; die Spalte „Hinweis“
  sagt das.
- **Anteil in Reichweite** = Zielgruppe in Reichweite ÷ die ganze Zielgruppe des Sozialraums.
  **Ohne Angebot in Reichweite** = Zielgruppe × (1 − Anteil in Reichweite), gerundet.
- **Medianweg** (in jedem Modell): die Luftlinie, innerhalb der die Hälfte der Zielgruppe des Sozialraums das
  nächste Angebot der Art hat.
- **Zielgruppen-Zahlen:** aus der passenden Spalte der Indikatorentabelle (z. B. Kinder von 6 bis unter 10
  Jahren), sonst als Summe passender Altersgruppen, sonst **geschätzt** mit dem genannten Anteil (z. B. 4/18 der
  Kinder 0–17). Wo sie wohnen: aus der Wohnorte-Ebene, sonst je Sozialraum nach den Kinder- bzw. Einwohnerzahlen
  der Punkte verteilt, sonst gleichmäßig auf ein Raster (Zellen ab {format_distance(settings.FALLBACK_GRID_M)},
  gröber, wo die Sozialräume zusammen sonst mehr als etwa {n(settings.FALLBACK_MAX_POINTS)} Rasterpunkte ergäben).
- **Sozialräume insgesamt** (Übersicht, Karte des Bedarfs): {people}. Jetzt gemessen an:
  **{ui.md(ui.TARGET_GROUPS) if params.population is None else people}**.
- **Angebote im Sozialraum:** Zahl der Standorte, die im Sozialraum selbst liegen (nur zur Information).
"""
)
counts = dataset.offers["offer_type"].astype(str).value_counts()
radii = pd.DataFrame(
    {
        "Angebotsart": [str(dataset.offer_types.at[t, "label"]) for t in result.offer_types],
        "Radius (aktuell)": [format_distance(result.radii[t]) for t in result.offer_types],
        "Standard laut Tabelle": [format_distance(float(dataset.offer_types.at[t, "radius_m"]))
                                  for t in result.offer_types],
        "Standorte": [int(counts.get(t, 0)) for t in result.offer_types],
    }
)
ui.table(radii, hide_index=True)
st.markdown("**Zielgruppe und Reichweitenmodell je Angebotsart**")
ui.table(reach_model_table(dataset, result), hide_index=True)
not_analysed = [str(r["plural"]) for t, r in dataset.offer_types.iterrows() if t not in result.offer_types]
if not_analysed:
    st.caption(
        "Ohne Reichweitenanalyse (nur Kontext oder ohne Standorte in den Daten): "
        + ", ".join(map(ui.md, not_analysed)) + "."
    )

st.header("4. Versorgungslücken")
st.markdown(
    f"""
Ein Sozialraum hat eine **Versorgungslücke** bei einer Angebotsart, wenn

1. er ein **Sozialraum mit hohem Bedarf** ist (Status niedrig oder sehr niedrig) **und**
2. **weniger als {gap_pct}** der Zielgruppe der Art ein Angebot dieser Art in Reichweite haben.

Die Analyse-Tabelle ordnet zuerst die Versorgungslücken, dann nach der Zahl der Zielgruppe
**ohne Angebot in Reichweite** (absteigend).
Die Begründung nennt den Anteil der Zielgruppe außerhalb der Reichweite – beim Radius außerhalb des Radius und, ab
der Hälfte, den Medianweg; bei zugeordneten Einrichtungen den Anteil, dessen Einrichtung das Angebot nicht hat.
Die Kennzahl „davon in Reichweite“ auf der Übersicht ist die Summe von Zielgruppe × Anteil in Reichweite über
alle Sozialräume mit hohem Bedarf, geteilt durch die ganze Zielgruppe in diesen Sozialräumen.
"""
)

st.header("5. Karte")
st.markdown(
    f"""
- **Flächenfarben:** ColorBrewer-Palette *YlOrRd* (Gelb–Orange–Rot, für Farbfehlsichtige unterscheidbar);
  dunkler = mehr Bedarf. Bei „{ui.md(p.in_reach)}“ ist dunkler = weniger Reichweite.
- **Klasseneinteilungen:** MSS-Statusklassen (feste Grenzen, nur für den Index); *Quantile* (gleich viele
  Sozialräume je Klasse); *natürliche Brüche* (Fisher-Jenks: Klassen mit möglichst ähnlichen Werten);
  *gleiche Intervalle* (gleich breite Wertebereiche). Sozialräume unter {min_inh} Einwohnern bleiben grau.
- **Angebote:** Farbe und Form je Angebotsart aus der Tabelle `data/angebotsarten.csv`
  (Okabe-Ito-Farben, zusätzlich unterschiedliche Formen).
- **Versorgungslücken:** dick gestrichelter schwarzer Rand um den Sozialraum.
- **Reichweiten-Kreise:** Radius der Angebotsart um jeden Standort (Luftlinie).
- **Geometrie:** Für die Anzeige werden die Sozialraumgrenzen um bis zu {n(SIMPLIFY_M)} m vereinfacht
  (gemeinsame Grenzen bleiben deckungsgleich); gerechnet wird immer mit den vollständigen Grenzen.
- **Datenschutz:** Fallzahlen zwischen 1 und {settings.MIN_COUNT_SHOWN - 1} erscheinen in der Karte als
  „< {settings.MIN_COUNT_SHOWN}“.
- Die Karte braucht **kein Internet**. Nur die wählbare Hintergrundkarte OpenStreetMap lädt Kacheln nach.
- **Druckkarten** (Seite Export) können auf Wunsch auf einer OpenStreetMap-Hintergrundkarte liegen – nur wenn
  die Kacheln erreichbar oder zwischengespeichert sind; sonst entsteht eine Vektorkarte, und die Methodenzeile
  der Karte sagt das. Der Bericht für den Ausschuss ist immer eine Vektorkarte.
"""
)

st.subheader("Präventionskette (Seite Analyse)")
st.markdown(ui.md(chain_rule_text(result.max_share_in_reach)))
st.subheader("Schulsozialindex (Seite Grundschulen)")
st.markdown(
    "Der **Schulsozialindex NRW** (Stufe 1 = geringe bis 9 = sehr hohe Belastung der Schülerschaft, vom Land je Schule "
    "berechnet) ist ein zweites Bedarfssignal neben dem Statusindex: Er wird den gespeicherten Grundschulen über die "
    f"Schulnummer zugeordnet; ab Stufe {settings.SOZIALINDEX_HIGH} (auf der Seite Grundschulen wählbar) gilt eine "
    "Schule als stark belastet. Ein FGZ gehört zu der Grundschule, an der es liegt (höchstens "
    f"{format_distance(settings.HOST_MATCH_M)} entfernt). Der Index geht nicht in den Statusindex ein."
)

st.subheader("Standortvorschläge (Seite Standorte)")
st.markdown(
    "Für eine Angebotsart werden neue Standorte aus **Kandidaten** gewählt: den Einrichtungen ohne das Angebot (z. B. "
    "Grundschulen ohne FGZ, wahlweise erst ab einer Stufe des Schulsozialindex), einer hochgeladenen Kandidatenliste "
    f"oder einem Raster von {format_distance(settings.SITE_GRID_M)} in den Sozialräumen mit hohem Bedarf; einzelne "
    "Kandidaten lassen sich ausschließen. **Die bestehenden Angebote bleiben gesetzt:** Wer schon in Reichweite ist, "
    "zählt nicht noch einmal, gewonnen werden kann nur, wen sie nicht erreichen. Gezählt wird die Zielgruppe der "
    "Angebotsart mit ihrem Reichweitenmodell (Radius, zugeordnete Einrichtung, Zuständigkeitsgebiet), so wie es die "
    "Analyse misst; die Entfernung ist die Luftlinie. Jede Person zählt mit dem **Bedarfsgewicht** ihres "
    f"Sozialraums: {ui.md(need_weights_text())} (auf der Seite wählbar: nur Sozialräume mit hohem Bedarf)."
)
st.markdown(
    "Gesucht sind die *k* Standorte mit der größten bedarfsgewichteten Zahl zusätzlich erreichter Menschen – das "
    "Maximal-Abdeckungsproblem (MCLP, Church & ReVelle 1974) mit vorgegebenen Standorten –, oder die wenigsten "
    "Standorte, mit denen ein gewählter Anteil der Zielgruppe in Sozialräumen mit hohem Bedarf in Reichweite ist "
    "(Überdeckungsproblem). Beide werden als ganzzahliges lineares Programm mit dem Löser HiGHS exakt gelöst; nach "
    f"{n(settings.SITE_TIME_LIMIT_S)} Sekunden gilt die beste gefundene Lösung, und der Löserstatus nennt die "
    "Optimalitätslücke. Die Rangfolge: zuerst der Standort mit dem größten Zugewinn, dann jeweils der mit dem größten "
    "Zugewinn nach den höher platzierten. Ein Vorschlag ändert keine gespeicherten Daten."
)
st.subheader("Szenarien (Seite Szenarien)")
st.markdown(
    "Ein **Szenario** ist eine benannte Planungsvariante der Angebote: Angebote hinzufügen, verlegen, schließen, "
    "Kapazität ändern oder einen Standortvorschlag übernehmen, mit den Annahmen als Text. Szenarien liegen im "
    "Arbeitsbereich neben den echten Daten (dem **Bestand**) und verändern sie nie. Ist in der Seitenleiste ein "
    "Szenario gewählt, rechnen Übersicht, Karte, Analyse, Steckbrief und Export mit ihm und sagen es auf jeder "
    "Seite; der Vergleich zweier Stände zählt dieselben Sozialräume und dasselbe Indikatorjahr."
)

st.header("6. Quellen und Lizenzen")
sources = [f"- **Daten:** {ui.md(dataset.source)}"]
if dataset.synthetic:
    sources.append(
        "- **Musterstadt** ist eine erfundene Stadt: Grenzen, Einwohner, Indikatoren und Standorte sind mit "
        "`geo.demo` (fester Zufallsstartwert) erzeugt und gehören zum Projekt (MIT-Lizenz). "
        "Keine echten Personen oder Einrichtungen."
    )
sources += [
    "- **Statusindex:** Verfahren nach dem Monitoring Soziale Stadtentwicklung Berlin "
    "(Senatsverwaltung für Stadtentwicklung, Bauen und Wohnen).",
    "- **Kartenbibliothek:** Leaflet 1.9.4 © Volodymyr Agafonkin, CloudMade (BSD-2-Clause), lokal ausgeliefert.",
    "- **Hintergrundkarte (optional):** © OpenStreetMap-Mitwirkende, Open Database License (ODbL).",
    "- **Schulsozialindex und Schuldaten NRW** (wo hochgeladen): Ministerium für Schule und Bildung NRW / IT.NRW, "
    "Datenlizenz Deutschland – Namensnennung – Version 2.0.",
    "- **Optimierung der Standortvorschläge:** HiGHS (MIT-Lizenz) über SciPy (BSD-3-Clause).",
    "- **Klasseneinteilung:** mapclassify (PySAL, BSD-3-Clause). **Farben:** ColorBrewer, Cynthia A. Brewer "
    "(Apache-2.0).",
]
st.markdown("\n".join(sources))
