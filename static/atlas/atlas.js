/* Präventionsatlas web map: draws the payload of geo/render/web/map_data.py with plain Leaflet (no plugins).
   Loaded from static/ (inlined by standalone_html); the map element's script only calls paAtlas.draw. */
window.paAtlas = {
    /* Draw `data` (map_data's payload) on the Leaflet `map`; `options`: {imagePath, fillOpacity}. */
    draw: function (map, data, options) {
        L.Icon.Default.imagePath = options.imagePath;
        var overlays = {};
        var districts = L.geoJSON(data.districts, {
            style: function (f) {
                return {fillColor: f.properties.fill, fillOpacity: options.fillOpacity,
                        color: "#6b6b6b", weight: 0.8, opacity: 0.9};
            },
            onEachFeature: function (f, layer) {
                layer.bindTooltip(f.properties.tip,
                    {sticky: true, className: "pa-tip", direction: "auto", opacity: 0.97});
                layer.on("mouseover", function (e) { e.target.setStyle({weight: 2.5, color: "#1a1a1a"}); });
                layer.on("mouseout", function (e) { districts.resetStyle(e.target); });
            }
        }).addTo(map);
        var reachGroups = [];
        Object.keys(data.types).forEach(function (t) {
            var info = data.types[t];
            if (!info.radius) { return; }
            var g = L.layerGroup();
            data.offers.forEach(function (o) {
                if (o[2] !== t) { return; }
                L.circle([o[0], o[1]], {radius: info.radius, color: info.color, weight: 2, opacity: 0.9,
                    dashArray: "6 4", fill: false, interactive: false}).addTo(g);
            });
            if (data.reach) { g.addTo(map); }
            overlays[info.reach_label] = g;
        });
        if (data.gap_label) {
            var gaps = L.featureGroup([
                L.geoJSON(data.districts, {filter: function (f) { return f.properties.gap; }, interactive: false,
                    style: {fill: false, color: "#ffffff", weight: 6, opacity: 0.95}}),
                L.geoJSON(data.districts, {filter: function (f) { return f.properties.gap; }, interactive: false,
                    style: {fill: false, color: "#1a1a1a", weight: 3, dashArray: "7 5", opacity: 1}})
            ]).addTo(map);
            overlays[data.gap_label] = gaps;
        }
        map.createPane("paLabels");
        map.getPane("paLabels").style.zIndex = 550;
        map.getPane("paLabels").style.pointerEvents = "none";
        var labels = L.layerGroup();
        var labelMarkers = data.labels.map(function (l) {
            return L.marker([l[0], l[1]], {pane: "paLabels", interactive: false, keyboard: false,
                icon: L.divIcon({className: "pa-label", html: "<span>" + l[2] + "</span>", iconSize: [0, 0]})
            }).addTo(labels);
        });
        // Labels come in priority order; one that would overlap an earlier one waits for a closer zoom.
        function declutter() {
            var placed = [];
            labelMarkers.forEach(function (mk) {
                var el = mk.getElement();
                if (!el || !el.firstChild) { return; }
                var span = el.firstChild;
                span.style.visibility = "visible";
                var r = span.getBoundingClientRect();
                var free = placed.every(function (p) {
                    return r.right + 3 < p.left || r.left - 3 > p.right ||
                        r.bottom + 1 < p.top || r.top - 1 > p.bottom;
                });
                if (free) { placed.push(r); } else { span.style.visibility = "hidden"; }
            });
        }
        if (data.labels.length) {
            if (data.show_labels) { labels.addTo(map); }
            overlays["Bezirksnamen"] = labels;
        }
        Object.keys(data.types).forEach(function (t) {
            var info = data.types[t];
            var icon = L.divIcon({className: "pa-offer", html: info.icon, iconSize: [18, 18], iconAnchor: [9, 9]});
            var g = L.layerGroup();
            data.offers.forEach(function (o) {
                if (o[2] !== t) { return; }
                L.marker([o[0], o[1]], {icon: icon, keyboard: false, riseOnHover: true})
                    .bindTooltip(o[3], {className: "pa-tip", direction: "top", offset: [0, -8], opacity: 0.97})
                    .addTo(g);
            });
            g.addTo(map);
            overlays["<span>" + info.icon + info.label + "</span>"] = g;
        });
        L.control.layers(null, overlays, {collapsed: true, position: "topright"}).addTo(map);
        var legend = L.control({position: "bottomright"});
        legend.onAdd = function () {
            var div = L.DomUtil.create("div", "pa-legend");
            div.innerHTML = data.legend;
            div.firstChild.title = "Legende ein- oder ausklappen";
            L.DomEvent.on(div.firstChild, "click", function () { div.classList.toggle("pa-collapsed"); });
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
        function labelZoom() {
            var hide = map.getZoom() < data.label_min_zoom;
            map.getContainer().classList.toggle("pa-hide-labels", hide);
            if (!hide) { declutter(); }
        }
        map.on("zoomend", labelZoom);
        map.on("overlayadd", function (e) { if (e.layer === labels) { labelZoom(); } });
        // On wide maps keep the city clear of the legend (right).
        function fit() {
            var size = map.getSize();
            if (!size.x || !size.y) { return; }  // hidden or being removed: nothing to fit into
            var legendWidth = legend.getContainer().offsetWidth;
            var right = size.x > 2.2 * legendWidth ? legendWidth + 16 : 8;
            map.fitBounds(data.bounds, {paddingTopLeft: [8, 8], paddingBottomRight: [right, 8], animate: false});
            labelZoom();
        }
        // The frame may get its final size only after this script ran: fit again until the user moves the map.
        var touched = false;
        L.DomEvent.on(map.getContainer(), "mousedown touchstart wheel keydown", function () { touched = true; });
        if (window.ResizeObserver) {
            new ResizeObserver(function () {
                map.invalidateSize({animate: false});
                if (!touched) { fit(); }
            }).observe(map.getContainer());
        }
        fit();
    }
};
