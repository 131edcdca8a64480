// The land map: region outlines, the parcels coloured by category or stage, a parcel's figures on click.
// Its settings come from #land-map's data attributes (tiles, popupUrl, parcelsLabel) and the page's JSON
// scripts; the parcels were requested by land/map-parcels.js.
"use strict";
(function () {
  const mapDiv = document.getElementById("land-map");
  const tiles = mapDiv.dataset.tiles;
  const map = L.map(mapDiv, { preferCanvas: true, zoomSnap: 0.25 }).setView([30.8, 120.0], 9);
  if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
  const regions = L.geoJSON(JSON.parse(document.getElementById("regions-geojson").textContent), {
    style: { color: "#444", weight: 1.5, fill: false, dashArray: "4 3" }, interactive: false,
  }).addTo(map);
  const colours = {
    category: JSON.parse(document.getElementById("category-colours").textContent),
    stage: JSON.parse(document.getElementById("stage-colours").textContent),
  };
  const params = new URLSearchParams(window.location.search);
  const colourBy = params.get("colour") === "stage" ? "stage" : "category";
  const panel = document.getElementById("parcel-panel");
  function show(id) {
    fetch(mapDiv.dataset.popupUrl.replace("/0/", "/" + id + "/"))
      .then((r) => r.text()).then((html) => { panel.innerHTML = html; });
  }
  const started = window.landStarted;
  window.parcelsRequest.then((data) => {
      const fetched = performance.now();
      const layer = L.geoJSON(data, {
        style: (f) => {
          const key = colourBy === "stage" ? f.properties.s : f.properties.c;
          const colour = colours[colourBy][key || ""] || "#6c757d";
          return { color: colour, weight: 1, fillColor: colour, fillOpacity: 0.55 };
        },
      });
      // One handler for the whole layer: 20,000 closures would cost more than the drawing.
      layer.on("click", (e) => { show(e.layer.feature.properties.id); });
      window.landTimings = { fetched: Math.round(fetched - started), built: Math.round(performance.now() - started) };
      // Fit first, then add: the canvas draws the parcels once.
      const bounds = data.features.length ? layer.getBounds() : regions.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10], animate: false });
      layer.addTo(map);
      window.parcelLayer = layer;
      const wanted = parseInt(window.location.hash.slice(1), 10);
      if (wanted) { layer.eachLayer((l) => { if (l.feature.properties.id === wanted) { map.fitBounds(l.getBounds(), { maxZoom: 16 }); show(wanted); } }); }
      requestAnimationFrame(() => {
        mapDiv.dataset.ready = "1";
        document.getElementById("map-status").textContent =
          data.features.length + " " + mapDiv.dataset.parcelsLabel + " · " + Math.round(performance.now() - started) + " ms";
      });
    });
  window.landMap = map;
})();
