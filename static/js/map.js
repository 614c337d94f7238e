// Maps of the field with ECharts (static/vendor/echarts): country borders from Natural
// Earth (static/vendor/world-atlas, 1:50m), turned from TopoJSON into GeoJSON by
// topojson-client, drawn in a `geo` component framed on the Western Balkans. Nothing
// is fetched from outside the app; data comes from JSON blocks in the page (the CSP
// forbids inline scripts).
//
// [data-place-map]: the places of a dashboard, a circle each, its area growing with the
//   activities there; coloured by the type most of them are; a red ring for open alerts;
//   a click opens the filtered list (the same figures are in a table next to the map).
// [data-pick-map]: the location form; a click fills the latitude and longitude inputs,
//   and typing in them moves the marker.
(function () {
  "use strict";
  if (typeof echarts === "undefined" || typeof topojson === "undefined") return;

  var ATLAS = "/static/vendor/world-atlas/countries-50m.json";
  // The Western Balkans, with room around: [[west, north], [east, south]] in degrees.
  var FRAME = [[13.2, 46.9], [23.6, 39.4]];
  // Countries drawn: those whose outline reaches into this wider box (the rest of the
  // world is never on screen, so it is not drawn).
  var NEAR = { west: 4, east: 34, south: 33, north: 52 };
  var ALERT = "#b3261e";
  var SEA = "#e3eef6";
  // One colour per activity type (the legend names them), the same as on the charts
  // (static/js/charts.js); readable on the pale land.
  var TYPE_COLOURS = {
    monitoring_visit: "#1f6fb2",
    training: "#2a9d8f",
    report: "#b8860b",
    meeting: "#8e5ea2",
    event: "#d9822b",
    awareness: "#6b8e23",
    assistance: "#5f6b75",
    research_support: "#a0522d",
  };
  var FALLBACK = ["#1f6fb2", "#d9822b", "#2a9d8f", "#8e5ea2", "#c0392b", "#6b8e23", "#7f8c8d", "#b8860b"];

  var atlas = null;
  function loadAtlas() {
    if (!atlas) {
      atlas = fetch(ATLAS, { credentials: "same-origin" })
        .then(function (r) {
          if (!r.ok) throw new Error("map borders: " + r.status);
          return r.json();
        })
        .then(function (topo) {
          var world = topojson.feature(topo, topo.objects.countries);
          world.features = world.features.filter(near);
          world.features.forEach(function (f) {
            f.properties = { name: f.properties.name };
          });
          echarts.registerMap("balkans", world);
        });
    }
    return atlas;
  }

  function near(feature) {
    var box = { west: 180, east: -180, south: 90, north: -90 };
    (function walk(c) {
      if (typeof c[0] === "number") {
        box.west = Math.min(box.west, c[0]);
        box.east = Math.max(box.east, c[0]);
        box.south = Math.min(box.south, c[1]);
        box.north = Math.max(box.north, c[1]);
      } else {
        c.forEach(walk);
      }
    })(feature.geometry ? feature.geometry.coordinates : []);
    return box.west < NEAR.east && box.east > NEAR.west && box.south < NEAR.north && box.north > NEAR.south;
  }

  function geo(extra) {
    var g = {
      map: "balkans",
      boundingCoords: FRAME,
      // on a phone, a finger on the map scrolls the page rather than the map
      roam: window.innerWidth >= 600,
      scaleLimit: { min: 0.8, max: 12 },
      itemStyle: { areaColor: "#f4f3ee", borderColor: "#7d8893", borderWidth: 0.8 },
      emphasis: { disabled: true },
      select: { disabled: true },
      label: { show: false },
      tooltip: { show: false },
    };
    Object.keys(extra || {}).forEach(function (k) { g[k] = extra[k]; });
    return g;
  }

  function payload(el) {
    return JSON.parse(document.getElementById(el.dataset.source).textContent);
  }

  // --- the places of a dashboard --------------------------------------------------------

  function placeMap(el) {
    var d = payload(el);
    var drawn = d.places.filter(function (p) { return p.latitude !== null && p.longitude !== null; });
    if (!drawn.length) {
      el.classList.add("chart-empty");
      el.textContent = d.places.length ? "No place with activities in this period has coordinates." : "No data for this period.";
      return;
    }
    var max = drawn.reduce(function (m, p) { return Math.max(m, p.activities); }, 1);
    // the circle's area, not its width, grows with the count
    var size = function (n) { return 8 + 40 * Math.sqrt(n / max); };
    var types = [];
    drawn.forEach(function (p) { if (types.indexOf(p.main_type) < 0) types.push(p.main_type); });
    types.sort(function (a, b) { return d.type_keys.indexOf(a) - d.type_keys.indexOf(b); });
    var labelOf = function (t) {
      var i = d.type_keys.indexOf(t);
      return i >= 0 ? d.type_labels[i] : t;
    };
    var series = types.map(function (t, i) {
      return {
        name: labelOf(t),
        type: "scatter",
        coordinateSystem: "geo",
        color: TYPE_COLOURS[t] || FALLBACK[i % FALLBACK.length],
        // the largest last, so a small place is never hidden under a large one's circle
        data: drawn.filter(function (p) { return p.main_type === t; })
          .sort(function (a, b) { return b.activities - a.activities; })
          .map(function (p) {
            return {
              name: p.name,
              value: [p.longitude, p.latitude, p.activities],
              place: p,
              symbolSize: size(p.activities),
              itemStyle: p.open_alerts
                ? { borderColor: ALERT, borderWidth: 3, opacity: 0.85 }
                : { borderColor: "#fff", borderWidth: 1, opacity: 0.85 },
            };
          }),
        emphasis: { scale: 1.15, itemStyle: { opacity: 1 } },
        cursor: "pointer",
      };
    });
    var option = {
      animation: false,
      backgroundColor: SEA,
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var place = p.data.place;
          var lines = [place.name + " (" + place.country_name + ")", place.activities + " activities"];
          Object.keys(place.by_type).forEach(function (t) { lines.push(labelOf(t) + ": " + place.by_type[t]); });
          if (place.open_alerts) lines.push("Open alerts: " + place.open_alerts);
          lines.push("Click to list them");
          return lines.map(escapeHtml).join("<br>");
        },
      },
      legend: { type: "scroll", bottom: 0, data: types.map(labelOf) },
      geo: geo({ top: 8, bottom: 40, boundingCoords: d.frame || FRAME }),
      series: series,
    };
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.on("finished", function () { el.dataset.ready = "1"; });
    chart.setOption(option);
    chart.on("click", function (p) {
      if (p.componentType === "series" && p.data && p.data.place && p.data.place.href) {
        window.location.assign(p.data.place.href);
      }
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // --- the location form: click to place the point ---------------------------------------

  function pickMap(el) {
    var form = el.closest("form") || document;
    var lat = form.querySelector("[name=latitude]");
    var lon = form.querySelector("[name=longitude]");
    if (!lat || !lon) return;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.on("finished", function () { el.dataset.ready = "1"; });
    var read = function () {
      var y = parseFloat(String(lat.value).replace(",", "."));
      var x = parseFloat(String(lon.value).replace(",", "."));
      return isFinite(x) && isFinite(y) && Math.abs(y) <= 90 && Math.abs(x) <= 180 ? [x, y] : null;
    };
    var draw = function () {
      var point = read();
      chart.setOption({
        series: [{
          id: "point", type: "scatter", coordinateSystem: "geo", symbolSize: 14, color: ALERT,
          itemStyle: { borderColor: "#fff", borderWidth: 2 },
          data: point ? [{ name: "The place", value: point }] : [],
        }],
      });
    };
    chart.setOption({ animation: false, backgroundColor: SEA, geo: geo({ top: 4, bottom: 4 }), series: [] });
    draw();
    chart.getZr().on("click", function (e) {
      var point = chart.convertFromPixel({ geoIndex: 0 }, [e.offsetX, e.offsetY]);
      if (!point || !isFinite(point[0]) || !isFinite(point[1])) return;
      lon.value = point[0].toFixed(4);
      lat.value = point[1].toFixed(4);
      [lat, lon].forEach(function (input) { input.dispatchEvent(new Event("input", { bubbles: true })); });
      draw();
    });
    lat.addEventListener("input", draw);
    lon.addEventListener("input", draw);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var maps = document.querySelectorAll("[data-place-map], [data-pick-map]");
  if (!maps.length) return;
  loadAtlas().then(function () {
    maps.forEach(function (el) {
      if (el.hasAttribute("data-place-map")) placeMap(el);
      else pickMap(el);
    });
  }).catch(function () {
    maps.forEach(function (el) {
      el.classList.add("chart-empty");
      el.textContent = "The map could not be drawn; the figures are in the table.";
    });
  });
})();
