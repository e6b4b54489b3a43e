/* Präventionsatlas site suggestions: draws the `sites` payload of geo/render/web/site_map.py on top of the atlas map.
   Existing offers (locked, grey), candidate sites (small dots), the suggested sites (numbered by rank) and the reach
   of the new sites. Every text comes from the payload (German, escaped in Python): none is written here. */
window.paSites = {
    draw: function (map, sites) {
        var reach = L.layerGroup();
        sites.reach_circles.forEach(function (c) {
            L.circle([c[0], c[1]], {radius: c[2], color: sites.color, weight: 2, dashArray: "6 4", fill: true,
                fillColor: sites.color, fillOpacity: 0.08, interactive: false}).addTo(reach);
        });
        if (sites.reach_areas) {
            L.geoJSON(sites.reach_areas, {interactive: false, style: {color: sites.color, weight: 2,
                dashArray: "6 4", fillColor: sites.color, fillOpacity: 0.12}}).addTo(reach);
        }
        reach.addTo(map);
        var existing = L.layerGroup();
        var lockedIcon = L.divIcon({className: "pa-offer pa-locked", html: sites.locked_icon, iconSize: [16, 16],
                                    iconAnchor: [8, 8]});
        sites.existing.forEach(function (o) {
            L.marker([o[0], o[1]], {icon: lockedIcon, keyboard: false, riseOnHover: true})
                .bindTooltip(o[2], {className: "pa-tip", direction: "top", offset: [0, -8], opacity: 0.97})
                .addTo(existing);
        });
        existing.addTo(map);
        var candidates = L.layerGroup();
        sites.candidates.forEach(function (o) {
            L.circleMarker([o[0], o[1]], {radius: 4, color: "#1a1a1a", weight: 1, fillColor: "#ffffff",
                fillOpacity: 1, className: "pa-candidate"})
                .bindTooltip(o[2], {className: "pa-tip", direction: "top", offset: [0, -4], opacity: 0.97})
                .addTo(candidates);
        });
        candidates.addTo(map);
        var chosen = L.layerGroup();
        sites.suggested.forEach(function (o) {
            var icon = L.divIcon({className: "pa-site-icon", iconSize: [24, 24], iconAnchor: [12, 12],
                html: "<span class='pa-site' style='background:" + sites.color + "'>" + o[2] + "</span>"});
            L.marker([o[0], o[1]], {icon: icon, keyboard: false, riseOnHover: true, zIndexOffset: 1000})
                .bindTooltip(o[3], {className: "pa-tip", direction: "top", offset: [0, -12], opacity: 0.97})
                .addTo(chosen);
        });
        chosen.addTo(map);
    }
};
