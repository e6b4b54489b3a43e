/* Präventionsatlas – Streamlit's own interface texts in German, lang="de" and a German title for the map frame.
 *
 * The frame (app.py → app_pages/_shared.py `language()`) runs this once per browser tab inside the app's own
 * document. Streamlit has no German translation and no parameter for these texts (the file uploader's button,
 * "… per file", "Select all", "No results", "Press Enter to apply", the main menu, "Running..."), so a
 * MutationObserver replaces exactly the known English strings – whole text nodes or whole attribute values,
 * never markup: nothing is parsed as HTML, and a text that is not in the lists (e.g. a user's file name) is
 * left alone. The strings come from Streamlit 1.67's frontend bundle; tests/e2e/test_german_a11y.py checks that
 * none of them is left visible on any page.
 */
(function () {
  "use strict";
  const script = document.currentScript;
  const mapTitle = (script && script.dataset.mapTitle) || "Karte";
  if (window.paGerman) {  // the element was mounted again (page switch): the observer is still running
    window.paGerman.mapTitle = mapTitle;
    window.paGerman.sweep(document.body);
    return;
  }

  /** Whole texts (trimmed) → German. */
  const TEXT = new Map([
    // st.file_uploader
    ["Upload", "Datei auswählen"],
    ["Upload directories", "Ordner auswählen"],
    ["Add files", "Dateien hinzufügen"],
    ["Drag and drop a file here", "Datei hierher ziehen"],
    ["Drag and drop files here", "Dateien hierher ziehen"],
    ["Drag and drop directories here", "Ordner hierher ziehen"],
    ["Browse files", "Datei auswählen"],
    // st.multiselect / st.selectbox
    ["Select all", "Alle auswählen"],
    ["Clear all", "Alle entfernen"],
    ["No results", "Keine Treffer"],
    ["No options to select", "Keine Auswahl möglich"],
    ["Choose an option", "Bitte wählen"],
    ["Choose options", "Bitte wählen"],
    // input instructions under text and number inputs
    ["Press Enter to apply", "Mit Enter übernehmen"],
    ["Press Enter to submit form", "Mit Enter absenden"],
    ["Press Ctrl+Enter to apply", "Mit Strg+Enter übernehmen"],
    ["Press ⌘+Enter to apply", "Mit ⌘+Enter übernehmen"],
    // status widget, main menu, frame
    ["Running...", "Wird berechnet …"],
    ["Stop", "Abbrechen"],
    ["Rerun", "Neu berechnen"],
    ["Settings", "Einstellungen"],
    ["Print", "Drucken"],
    ["Record a screencast", "Bildschirmaufnahme"],
    ["Record screen", "Bildschirm aufnehmen"],
    ["Stop recording", "Aufnahme beenden"],
    ["Clear caches", "Zwischenspeicher leeren"],
    ["About", "Über"],
    ["Clear cache", "Zwischenspeicher leeren"],
    ["Get help", "Hilfe"],
    ["Report a bug", "Fehler melden"],
    ["Made with Streamlit", "Erstellt mit Streamlit"],
    ["Made with Streamlit v", "Erstellt mit Streamlit "],
    ["Skip to main content", "Zum Inhalt springen"],
    ["View less", "Weniger anzeigen"],
    ["Download failed", "Herunterladen fehlgeschlagen"],
    ["Copied", "Kopiert"],
    // the table's search (st.dataframe toolbar)
    ["Type to search", "Suchbegriff eingeben"],
  ]);

  /** Texts with a number or a name in them: [pattern, replacement]. */
  const PATTERNS = [
    [/^(\d+(?:\.\d+)?)\s?([KMG]B) per file$/, (m, n, unit) => `Höchstens ${n.replace(".", ",")} ${unit} je Datei`],
    [/^View (\d+) more$/, (m, n) => `${n} weitere anzeigen`],
    [/^Select (\d+) matches$/, (m, n) => `${n} Treffer auswählen`],
    [/^(\d+) results?$/, (m, n) => `${n} Treffer`],
  ];

  /** Whole attribute values (labels screen readers announce, tooltips, placeholders) → German. */
  const ATTRIBUTE_TEXT = new Map([
    ["Clear value", "Auswahl löschen"],
    ["Clear all", "Alle entfernen"],
    ["Increment", "Erhöhen"],
    ["Decrement", "Verringern"],
    ["Selected values", "Gewählte Werte"],
    ["Choose an option", "Bitte wählen"],
    ["Choose options", "Bitte wählen"],
    ["Show password", "Passwort anzeigen"],
    ["Hide password", "Passwort verbergen"],
    ["Main menu", "Hauptmenü"],
    ["Sidebar", "Seitenleiste"],
    ["Collapse sidebar", "Seitenleiste einklappen"],
    ["Expand sidebar", "Seitenleiste ausklappen"],
    ["App pages", "Seiten"],
    ["Navigate to home page", "Zur Startseite"],
    ["Notifications", "Benachrichtigungen"],
    ["Running...", "Wird berechnet …"],
    ["Fullscreen", "Vollbild"],
    ["Close fullscreen", "Vollbild beenden"],
    ["Download as CSV", "Als CSV herunterladen"],
    ["Search", "Suchen"],
    ["Close", "Schließen"],
    ["Show/hide columns", "Spalten ein- und ausblenden"],
    ["Previous Result", "Vorheriger Treffer"],
    ["Next Result", "Nächster Treffer"],
    ["Close Search", "Suche schließen"],
    ["Help", "Hilfe"],
    ["Copy version to clipboard", "Version in die Zwischenablage kopieren"],
    ["Link to heading", "Link zu dieser Überschrift"],
  ]);
  const ATTRIBUTE_PATTERNS = [
    [/^Remove (.+)$/, (m, name) => `${name} entfernen`],
    [/^Help for (.+)$/, (m, name) => `Hilfe zu ${name}`],
  ];
  const ATTRIBUTES = ["aria-label", "title", "placeholder"];
  /** streamlit-folium names its frame after the component; screen readers read that name. */
  const MAP_FRAME_TITLE = "streamlit_folium.st_folium";

  function translated(value, exact, patterns) {
    const trimmed = value.trim();
    if (!trimmed) return null;
    let german = exact.get(trimmed);
    if (german === undefined) {
      for (const [pattern, replace] of patterns) {
        if (pattern.test(trimmed)) {
          german = trimmed.replace(pattern, replace);
          break;
        }
      }
    }
    if (german === undefined) return null;
    const start = value.indexOf(trimmed);
    return value.slice(0, start) + german + value.slice(start + trimmed.length);
  }

  function textNode(node) {
    // Markdown is the app's own text, German already, and may quote user data ("Stop" as a district name);
    // Streamlit writes its own button captions ("Upload") as Markdown too
    const parent = node.parentElement;
    if (parent && parent.closest('[data-testid="stMarkdownContainer"]') && !parent.closest("button")) return;
    const german = translated(node.nodeValue, TEXT, PATTERNS);
    if (german !== null && german !== node.nodeValue) node.nodeValue = german;
  }

  function element(el) {
    for (const name of ATTRIBUTES) {
      const value = el.getAttribute(name);
      if (value === null) continue;
      const german = translated(value, ATTRIBUTE_TEXT, ATTRIBUTE_PATTERNS);
      if (german !== null && german !== value) el.setAttribute(name, german);
    }
    if (el.tagName === "INPUT" && el.type === "file" && !el.hasAttribute("aria-label")) {
      el.setAttribute("aria-label", "Datei auswählen");  // else the browser's own name, "file upload"
    }
    if (el.tagName === "IFRAME" && el.getAttribute("title") === MAP_FRAME_TITLE) {
      el.setAttribute("title", state.mapTitle);
    }
  }

  function sweep(root) {
    if (!root) return;
    if (root.nodeType === Node.TEXT_NODE) {
      textNode(root);
      return;
    }
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    element(root);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.nodeType === Node.TEXT_NODE) textNode(node);
      else element(node);
    }
  }

  function german() {
    if (document.documentElement.lang !== "de") document.documentElement.lang = "de";
  }

  const state = {mapTitle, sweep};
  window.paGerman = state;
  german();
  sweep(document.body);
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === "childList") record.addedNodes.forEach(sweep);
      else if (record.type === "characterData") textNode(record.target);
      else if (record.target === document.documentElement) german();
      else element(record.target);
    }
  }).observe(document.documentElement, {
    subtree: true, childList: true, characterData: true, attributes: true,
    attributeFilter: [...ATTRIBUTES, "lang"],
  });
})();
