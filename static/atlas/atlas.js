/* Präventionsatlas web map: draws the payload of geo/render/web/map_data.py with plain Leaflet (no plugins).
   Loaded from static/ (inlined by standalone_html); the map element's script only calls paAtlas.draw.
   Every text shown comes from the payload or the options (German, escaped in Python): none is written here. */
/* Markers of a SymbolGroup share the group's map listeners (zoom, viewreset, zoomanim) instead of adding three
   each: Leaflet compares every listener of a type before it adds one, so thousands of symbols would cost seconds. */
var paQuietMarker = L.Marker.extend({
    getEvents: function () { return {}; },
    onAdd: function (map) {
        this._zoomAnimated = this._zoomAnimated && map.options.markerZoomAnimation;
        this._initIcon();
        this.update();
    }
});
var paSymbolGroup = L.LayerGroup.extend({
    getEvents: function () {
        var events = {zoom: this._update, viewreset: this._update};
        if (this._zoomAnimated) { events.zoomanim = this._animate; }
        return events;
    },
    _update: function () { this.eachLayer(function (m) { m.update(); }); },
    _animate: function (e) { this.eachLayer(function (m) { if (m._zoomAnimated && m._map) { m._animateZoom(e); } }); }
});
/* A divIcon shared by many markers (one per offer type or Sozialindex level): its HTML is parsed once and each
   marker gets a copy of that element. */
var paSharedIcon = L.DivIcon.extend({
    createIcon: function () {
        if (!this._template) {
            this._template = document.createElement("div");
            this._template.innerHTML = this.options.html;
        }
        var div = this._template.cloneNode(true);
        this._setIconStyles(div, "icon");
        return div;
    }
});
window.paAtlas = {
    /* Value `i` of a column of the payload: [values] or [distinct values, index per row]
       (geo/render/web/payload.py, column). */
    pick: function (col, i) {
        return col.length === 1 ? col[0][i] : col[0][col[1][i]];
    },
    /* Tooltip `i` from its shared parts: a string for every district, else a column (geo/render/web/tips.py). */
    tipOf: function (parts, i) {
        var out = "";
        for (var k = 0; k < parts.length; k++) {
            out += typeof parts[k] === "string" ? parts[k] : window.paAtlas.pick(parts[k], i);
        }
        return out;
    },
    /* The districts as a GeoJSON FeatureCollection from their compact form (geo/render/web/payload.py,
       encode_districts): integer coordinates, each the difference to the vertex before, rings without their
       closing vertex; properties as columns. Each feature keeps its position as `i` (for its tooltip). */
    decodeDistricts: function (c) {
        var features = [], x = 0, y = 0, v = 0, scale = c.scale, keys = Object.keys(c.properties);
        for (var i = 0; i < c.n; i++) {
            var shapes = [];
            for (var p = c.parts[i]; p < c.parts[i + 1]; p++) {
                var shape = [];
                for (var r = c.polygons[p]; r < c.polygons[p + 1]; r++) {
                    var ring = [];
                    for (; v < c.rings[r + 1]; v++) {
                        x += c.coords[2 * v];
                        y += c.coords[2 * v + 1];
                        ring.push([x / scale, y / scale]);
                    }
                    if (ring.length) { ring.push(ring[0]); }
                    shape.push(ring);
                }
                shapes.push(shape);
            }
            var properties = {};
            for (var k = 0; k < keys.length; k++) {
                properties[keys[k]] = window.paAtlas.pick(c.properties[keys[k]], i);
            }
            features.push({type: "Feature", i: i, properties: properties,
                           geometry: shapes.length === 1 ? {type: "Polygon", coordinates: shapes[0]}
                                                         : {type: "MultiPolygon", coordinates: shapes}});
        }
        return {type: "FeatureCollection", features: features};
    },
    /* Point rows [lat, lon, ...columns, tip]: as they are, or from their compact form (geo/render/web/payload.py,
       encode_points). */
    rowsOf: function (p) {
        if (Array.isArray(p)) { return p; }
        var rows = [], x = 0, y = 0;
        for (var i = 0; i < p.n; i++) {
            x += p.coords[2 * i];
            y += p.coords[2 * i + 1];
            var row = [x / p.scale, y / p.scale];
            for (var k = 0; k < p.columns.length; k++) { row.push(window.paAtlas.pick(p.columns[k], i)); }
            row.push(window.paAtlas.tipOf(p.tips, i));
            rows.push(row);
        }
        return rows;
    },
    /* Draw `data` (map_data's payload) on the Leaflet `map`;
       `options`: {imagePath, fillOpacity, title, tileNotice, legendToggle, labelsLayer, controls}. */
    draw: function (map, data, options) {
        var shapes = window.paAtlas.decodeDistricts(data.districts), tips = data.districts.tips;
        var offers = window.paAtlas.rowsOf(data.offers);
        // Maps narrower than NARROW legend widths open with the legend folded (LEGEND_WIDTH: its CSS max-width).
        var NARROW = 2.8, LEGEND_WIDTH = 225;
        // The view of the whole area first, as fit() below chooses it (on a wide map the legend open at its full
        // width), so every layer is projected once at that zoom: a zoom change there would draw everything again.
        var first = map.getSize();
        if (first.x && first.y) {
            var right = first.x >= NARROW * LEGEND_WIDTH ? LEGEND_WIDTH + 16 : 8;
            map.fitBounds(data.bounds, {paddingTopLeft: [8, 8], paddingBottomRight: [right, 8], animate: false});
        }
        L.Icon.Default.imagePath = options.imagePath;
        var container = map.getContainer();
        // An accessible name for the map (the frame's document and the map region); Leaflet's keyboard
        // navigation (arrows, +/-) works once the map has the focus.
        container.setAttribute("role", "region");
        container.setAttribute("aria-label", options.title);
        if (!document.title) { document.title = options.title; }
        // Leaflet's keyboard handler focuses the map itself on mousedown; in Chromium that retargets the mouseup
        // to the map container, so a click never reaches a district. The container keeps its tabindex: a click
        // still focuses it natively and the arrow keys and +/- still work.
        if (map.keyboard && map.keyboard.enabled()) {
            L.DomEvent.off(container, "mousedown", map.keyboard._onMouseDown, map.keyboard);
        }
        var overlays = {};
        var districts = L.geoJSON(shapes, {
            style: function (f) {
                return {fillColor: f.properties.fill, fillOpacity: options.fillOpacity,
                        color: "#6b6b6b", weight: 0.8, opacity: 0.9};
            },
            onEachFeature: function (f, layer) {
                // The tooltip's HTML is joined from its shared parts only when it opens.
                layer.bindTooltip(function () { return window.paAtlas.tipOf(tips, f.i); },
                    {sticky: true, className: "pa-tip", direction: "auto", opacity: 0.97});
                layer.on("mouseover", function (e) { e.target.setStyle({weight: 2.5, color: "#1a1a1a"}); });
                layer.on("mouseout", function (e) { districts.resetStyle(e.target); });
                layer.on("mousemove", function () { keepInView(layer.getTooltip()); });
                // A click hands the district's feature to the page (streamlit-folium's last_active_drawing); the
                // time makes every click a new value, so the page acts on each click exactly once.
                layer.on("click", function () { f.properties.clicked = Date.now(); });
            }
        }).addTo(map);
        Object.keys(data.types).forEach(function (t) {
            var info = data.types[t];
            if (!info.radius) { return; }
            var g = L.layerGroup();
            offers.forEach(function (o) {
                if (o[2] !== t) { return; }
                L.circle([o[0], o[1]], {radius: info.radius, color: info.color, weight: 2, opacity: 0.9,
                    dashArray: "6 4", fill: false, interactive: false}).addTo(g);
            });
            if (data.reach) { g.addTo(map); }
            overlays[info.reach_label] = g;
        });
        map.createPane("paLabels");
        map.getPane("paLabels").style.zIndex = 550;
        map.getPane("paLabels").style.pointerEvents = "none";
        var gapLayer = null, badges = null;
        if (data.gap_label) {
            // Colour is never the only mark of a gap: hatched, outlined and (combined view) numbered.
            addHatchPattern();
            var isGap = function (f) { return f.properties.gap; };
            badges = new paSymbolGroup(data.labels.filter(function (l) { return l[4] > 0; }).map(function (l) {
                return new paQuietMarker([l[0], l[1]], {pane: "paLabels", interactive: false, keyboard: false,
                    icon: L.divIcon({className: "pa-badge-icon", html: "<span class='pa-badge'>" + l[4] + "</span>",
                                     iconSize: [18, 18], iconAnchor: [9, 9]})});
            }));
            gapLayer = L.featureGroup([
                L.geoJSON(shapes, {filter: isGap, interactive: false,
                    style: {stroke: false, fill: true, fillColor: "url(#pa-hatch)", fillOpacity: 1}}),
                L.geoJSON(shapes, {filter: isGap, interactive: false,
                    style: {fill: false, color: "#ffffff", weight: 6, opacity: 0.95}}),
                L.geoJSON(shapes, {filter: isGap, interactive: false,
                    style: {fill: false, color: "#1a1a1a", weight: 3, dashArray: "7 5", opacity: 1}}),
                badges
            ]).addTo(map);
            overlays[data.gap_label] = gapLayer;
        }
        if (data.attention_label) {
            // Districts "mit besonderem Aufmerksamkeitsbedarf": a solid outline on a white halo (gaps are dashed).
            var isAttention = function (f) { return f.properties.attention; };
            overlays[data.attention_label] = L.featureGroup([
                L.geoJSON(shapes, {filter: isAttention, interactive: false,
                    style: {fill: false, color: "#ffffff", weight: 7, opacity: 0.9}}),
                L.geoJSON(shapes, {filter: isAttention, interactive: false,
                    style: {fill: false, color: data.attention_color, weight: 3.5, opacity: 1,
                            className: "pa-attention"}})
            ]).addTo(map);
        }
        function addHatchPattern() {
            var svg = map.getPane("overlayPane").querySelector("svg");
            if (!svg || svg.querySelector("#pa-hatch")) { return; }
            var ns = "http://www.w3.org/2000/svg";
            var defs = document.createElementNS(ns, "defs");
            var pattern = document.createElementNS(ns, "pattern");
            pattern.setAttribute("id", "pa-hatch");
            pattern.setAttribute("patternUnits", "userSpaceOnUse");
            pattern.setAttribute("width", "7");
            pattern.setAttribute("height", "7");
            pattern.setAttribute("patternTransform", "rotate(45)");
            var line = document.createElementNS(ns, "line");
            line.setAttribute("x1", "0"); line.setAttribute("y1", "0");
            line.setAttribute("x2", "0"); line.setAttribute("y2", "7");
            line.setAttribute("stroke", "#1a1a1a"); line.setAttribute("stroke-width", "1.6");
            line.setAttribute("stroke-opacity", "0.75");
            pattern.appendChild(line);
            defs.appendChild(pattern);
            svg.insertBefore(defs, svg.firstChild);
        }
        // District names are made where they can show: from label_min_zoom on, in and around the view (a state's
        // thousands of names would cost seconds and are hidden at the zoom that shows it whole). labelMarkers[k]
        // is the marker of data.labels[k] (priority order) while it exists.
        var labels = new paSymbolGroup(), labelMarkers = [];
        function syncLabels() {
            if (!map.hasLayer(labels) || map.getZoom() < data.label_min_zoom) { return false; }
            var view = map.getBounds().pad(0.5), changed = false;
            data.labels.forEach(function (l, k) {
                var inside = view.contains([l[0], l[1]]);
                if (inside && !labelMarkers[k]) {
                    labelMarkers[k] = new paQuietMarker([l[0], l[1]], {pane: "paLabels", interactive: false,
                        keyboard: false,
                        icon: L.divIcon({className: "pa-label", html: "<span>" + l[2] + "</span>", iconSize: [0, 0]})
                    }).addTo(labels);
                    changed = true;
                } else if (!inside && labelMarkers[k]) {
                    labels.removeLayer(labelMarkers[k]);
                    labelMarkers[k] = null;
                    changed = true;
                }
            });
            return changed;
        }
        // Symbols: offerMarkers in drawing order; pending[k] = [marker, its group] until it is drawn (see addSymbols).
        var offerMarkers = [], pending = [];
        Object.keys(data.types).forEach(function (t) {
            var info = data.types[t];
            var icon = new paSharedIcon({className: "pa-offer", html: info.icon, iconSize: [18, 18],
                                         iconAnchor: [9, 9]});
            var g = new paSymbolGroup().addTo(map);
            offers.forEach(function (o) {
                if (o[2] !== t) { return; }
                var mk = new paQuietMarker([o[0], o[1]], {icon: icon, keyboard: false, riseOnHover: true})
                    .bindTooltip(o[3], {className: "pa-tip", direction: "top", offset: [0, -8], opacity: 0.97});
                offerMarkers.push(mk);
                pending.push([mk, g]);
            });
            overlays["<span>" + info.icon + info.label + "</span>"] = g;
        });
        if (data.schools) {
            // Grundschulen coloured by Schulsozialindex, beneath the offers: an FGZ at its school stays on top.
            var schools = new paSymbolGroup().addTo(map);
            var schoolIcons = data.schools.icons.map(function (svg) {
                return new paSharedIcon({className: "pa-offer pa-school", html: svg, iconSize: [16, 16],
                                         iconAnchor: [8, 8]});
            });
            window.paAtlas.rowsOf(data.schools.rows).forEach(function (o) {
                var mk = new paQuietMarker([o[0], o[1]], {icon: schoolIcons[o[2]], keyboard: false,
                                                          riseOnHover: true, zIndexOffset: -1000})
                    .bindTooltip(o[3], {className: "pa-tip", direction: "top", offset: [0, -8], opacity: 0.97});
                offerMarkers.push(mk);
                pending.push([mk, schools]);
            });
            overlays["<span>" + data.schools.icon + data.schools.label + "</span>"] = schools;
        }
        // A few symbols are drawn at once; thousands (a state's offers and schools) in portions after the districts
        // and the legend, so the map shows without waiting for them; the names then make room for them.
        var SYNC_SYMBOLS = 2000, SYMBOL_PORTION = 500;
        function addSymbols(from, portion) {
            var to = Math.min(pending.length, from + portion);
            for (var k = from; k < to; k++) { pending[k][1].addLayer(pending[k][0]); }
            if (to < pending.length) {
                setTimeout(function () { addSymbols(to, portion); }, 0);
            } else if (portion < pending.length) {
                pending = [];
                labelZoom();
            }
        }
        // Labels come in priority order (gaps, need, size). Each takes the first of a few places around its point
        // that is clear of symbols, badges and placed names; else the first clear of names; else it waits for a
        // closer zoom.
        function declutter() {
            var placed = [];
            var symbols = [];
            offerMarkers.concat(badges ? badges.getLayers() : []).forEach(function (mk) {
                var el = mk.getElement && mk.getElement();
                if (el && map.hasLayer(mk)) { symbols.push(el.getBoundingClientRect()); }
            });
            function hits(r, boxes, pad) {
                return boxes.filter(function (p) {
                    return !(r.right + pad < p.left || r.left - pad > p.right ||
                             r.bottom + 1 < p.top || r.top - 1 > p.bottom);
                }).length;
            }
            labelMarkers.forEach(function (mk) {
                var el = mk && mk.getElement();
                if (!el || !el.firstChild) { return; }
                var span = el.firstChild;
                span.style.visibility = "visible";
                span.style.transform = "";
                var r = span.getBoundingClientRect();
                var dy = r.height / 2 + 10, dx = r.width / 2 + 11;
                var best = null;
                [[0, 0], [0, dy], [0, -dy], [dx, 0], [-dx, 0]].forEach(function (o) {
                    var box = {left: r.left + o[0], right: r.right + o[0], top: r.top + o[1], bottom: r.bottom + o[1]};
                    if (hits(box, placed, 3)) { return; }
                    var n = hits(box, symbols, 0);
                    if (best === null || n < best.n) { best = {n: n, o: o, box: box}; }
                });
                if (best === null) { span.style.visibility = "hidden"; return; }
                if (best.o[0] || best.o[1]) {
                    span.style.transform = "translate(calc(-50% + " + best.o[0] + "px), calc(-50% + " + best.o[1] + "px))";
                }
                placed.push(best.box);
            });
        }
        if (data.labels.length) {
            if (data.show_labels) { labels.addTo(map); }
            overlays[options.labelsLayer] = labels;
        }
        L.control.layers(null, overlays, {collapsed: true, position: "topright"}).addTo(map);
        // Leaflet names its buttons in English: German names (title and accessible name).
        [["leaflet-control-zoom-in", options.controls.zoomIn], ["leaflet-control-zoom-out", options.controls.zoomOut],
         ["leaflet-control-layers-toggle", options.controls.layers]].forEach(function (c) {
            var el = container.querySelector("." + c[0]);
            if (el) { el.title = c[1]; el.setAttribute("aria-label", c[1]); }
        });
        var legendChosen = false;
        var legend = L.control({position: "bottomright"});
        legend.onAdd = function () {
            var div = L.DomUtil.create("div", "pa-legend");
            div.innerHTML = data.legend;
            // The legend's title folds it: a real button, so the keyboard reaches it too.
            var head = div.firstChild;
            var button = L.DomUtil.create("button", "pa-legend-toggle");
            button.type = "button";
            button.setAttribute("aria-expanded", "true");
            button.title = options.legendToggle;
            button.innerHTML = head.innerHTML;
            head.innerHTML = "";
            head.appendChild(button);
            L.DomEvent.on(button, "click", function () {
                legendChosen = true;
                var collapsed = div.classList.toggle("pa-collapsed");
                button.setAttribute("aria-expanded", collapsed ? "false" : "true");
            });
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        legend.addTo(map);
        L.control.scale({imperial: false, position: "bottomleft"}).addTo(map);
        if (data.stamp) {
            // Bottom left, above the scale: tooltips open above the pointer and would hide under a top stamp.
            var stamp = L.control({position: "bottomleft"});
            stamp.onAdd = function () {
                var div = L.DomUtil.create("div", "pa-stamp");
                div.innerHTML = data.stamp;
                return div;
            };
            stamp.addTo(map);
        }
        // Tooltips stay inside the map and off the controls (legend, layer switch, zoom, stamp): of the places right,
        // left, above and below the pointer, the first that fits, shifted into the map; else the one hiding least.
        function keepInView(tip) {
            var el = tip && tip.getElement();
            if (!el || !tip.isOpen()) { return; }
            el.style.marginLeft = "0px";
            el.style.marginTop = "0px";
            var frame = container.getBoundingClientRect();
            var r = el.getBoundingClientRect();
            var a = map.latLngToContainerPoint(tip.getLatLng());
            var ax = frame.left + a.x, ay = frame.top + a.y, w = r.width, h = r.height, gap = 14;
            var blocks = [].map.call(container.querySelectorAll(".leaflet-control"), function (c) {
                return c.getBoundingClientRect();
            }).filter(function (b) { return b.width > 0 && b.height > 0; });
            var best = null;
            [[ax + gap, ay - h / 2], [ax - gap - w, ay - h / 2], [ax - w / 2, ay - gap - h], [ax - w / 2, ay + gap],
             [ax + gap, ay - h - gap], [ax - gap - w, ay - h - gap], [ax + gap, ay + gap], [ax - gap - w, ay + gap]]
                .forEach(function (c) {
                    var x = Math.max(frame.left + 4, Math.min(c[0], frame.right - 4 - w));
                    var y = Math.max(frame.top + 4, Math.min(c[1], frame.bottom - 4 - h));
                    var cost = blocks.reduce(function (s, b) {
                        var ox = Math.min(x + w, b.right) - Math.max(x, b.left);
                        var oy = Math.min(y + h, b.bottom) - Math.max(y, b.top);
                        return s + (ox > 0 && oy > 0 ? ox * oy : 0);
                    }, 0);
                    if (ax > x - 2 && ax < x + w + 2 && ay > y - 2 && ay < y + h + 2) { cost += w * h; }  // on the pointer
                    if (best === null || cost < best.cost) { best = {cost: cost, x: x, y: y}; }
                });
            el.style.marginLeft = (best.x - r.left) + "px";
            el.style.marginTop = (best.y - r.top) + "px";
        }
        map.on("tooltipopen", function (e) { keepInView(e.tooltip); });
        // The background: when tiles cannot be loaded (no network), say so in the map once, and stop asking.
        map.eachLayer(function (layer) {
            if (!(layer instanceof L.TileLayer)) { return; }
            var loaded = 0, notice = null;
            layer.on("tileload", function () { loaded += 1; });
            layer.on("tileerror", function () {
                if (notice) { return; }
                notice = L.control({position: "topleft"});
                notice.onAdd = function () {
                    var div = L.DomUtil.create("div", "pa-notice");
                    div.setAttribute("role", "status");
                    div.innerHTML = options.tileNotice;
                    return div;
                };
                notice.addTo(map);
                if (!loaded) { layer.off("tileerror"); map.removeLayer(layer); }  // no request loop on each pan
            });
        });
        function labelZoom() {
            var hide = map.getZoom() < data.label_min_zoom;
            container.classList.toggle("pa-hide-labels", hide);
            if (!hide) { syncLabels(); declutter(); }
        }
        map.on("zoomend", labelZoom);
        map.on("moveend", function () { if (syncLabels()) { declutter(); } });  // names of the area panned to
        map.on("overlayadd overlayremove", labelZoom);  // names make room for the symbols shown
        // On wide maps keep the city clear of the legend (right); on narrow ones the legend starts folded (its
        // title stays, a click or Enter opens it) and the city takes the whole map, until the user folds or
        // opens it.
        function fit() {
            var size = map.getSize();
            if (!size.x || !size.y) { return; }  // hidden or being removed: nothing to fit into
            var div = legend.getContainer();
            if (!legendChosen) {
                div.classList.toggle("pa-collapsed", size.x < NARROW * LEGEND_WIDTH);
                div.querySelector(".pa-legend-toggle").setAttribute(
                    "aria-expanded", div.classList.contains("pa-collapsed") ? "false" : "true");
            }
            var open = !div.classList.contains("pa-collapsed");
            // (before the stylesheet applies, the legend is as wide as the map: never reserve more than its max-width)
            var right = open && size.x >= NARROW * LEGEND_WIDTH ? Math.min(div.offsetWidth, LEGEND_WIDTH) + 16 : 8;
            map.fitBounds(data.bounds, {paddingTopLeft: [8, 8], paddingBottomRight: [right, 8], animate: false});
            labelZoom();
        }
        // The frame may get its final size only after this script ran: fit again until the user moves the map.
        var touched = false;
        L.DomEvent.on(container, "mousedown touchstart wheel keydown", function () { touched = true; });
        if (window.ResizeObserver) {
            new ResizeObserver(function () {
                map.invalidateSize({animate: false});
                if (!touched) { fit(); }
            }).observe(container);
        }
        if (pending.length <= SYNC_SYMBOLS) {
            addSymbols(0, pending.length);
            pending = [];
        }
        fit();
        if (pending.length) { setTimeout(function () { addSymbols(0, SYMBOL_PORTION); }, 0); }
    }
};
