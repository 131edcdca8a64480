// Starts loading the map's parcels at once, while Leaflet and the page's other scripts load (land/map.js
// draws them). The script tag carries the parcels' URL in data-url.
"use strict";
window.landStarted = performance.now();
window.parcelsRequest = (() => {
  const params = new URLSearchParams(window.location.search), query = new URLSearchParams();
  for (const key of ["region", "category"]) { if (params.get(key)) query.set(key, params.get(key)); }
  return fetch(document.currentScript.dataset.url + "?" + query.toString()).then((r) => r.json());
})();
