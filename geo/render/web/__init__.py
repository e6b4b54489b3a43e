"""The web map: map data, the Leaflet front end (assets in static/), the upload preview."""
