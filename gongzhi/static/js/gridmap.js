// Maps of compounds drawn with Apache ECharts from our own GeoJSON: no tiles, nothing fetched.
//
// <div class="grid-map" data-map="ID" data-clickable> reads its data from <script id="ID"
// type="application/json"> (Django's json_script): {geojson: FeatureCollection of compounds, points:
// [{name, value: [lng, lat]}]}. The compound in focus (properties.focus) is filled, the others light. The
// box carries role="img" and an aria-label, and the page says in words what the map shows, so screen
// readers skip the canvas; the map takes no keyboard focus and no touch gestures (the page scrolls).
(function () {
  "use strict";
  if (!window.echarts) { return; }

  var FOCUS = { areaColor: "rgba(200, 16, 46, .16)", borderColor: "#c8102e", borderWidth: 2 };
  var OTHER = { areaColor: "#f1f3f6", borderColor: "#b4bcc8", borderWidth: 1 };

  // [[west, north], [east, south]] of the features' coordinates and the points.
  function bounds(features, points) {
    var b = { w: 180, e: -180, s: 90, n: -90 };
    function add(lng, lat) {
      b.w = Math.min(b.w, lng); b.e = Math.max(b.e, lng); b.s = Math.min(b.s, lat); b.n = Math.max(b.n, lat);
    }
    features.forEach(function (f) {
      JSON.stringify(f.geometry.coordinates).replace(/\[(-?[\d.]+),(-?[\d.]+)\]/g, function (_m, lng, lat) {
        add(parseFloat(lng), parseFloat(lat)); return "";
      });
    });
    points.forEach(function (p) { add(p.value[0], p.value[1]); });
    return b;
  }

  function draw(box) {
    var source = document.getElementById(box.dataset.map);
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var mapName = "gongzhi-" + box.dataset.map;
    echarts.registerMap(mapName, data.geojson);
    var byCode = {};
    data.geojson.features.forEach(function (f) { byCode[f.properties.code] = f.properties; });
    var all = bounds(data.geojson.features, data.points);
    var focus = data.geojson.features.filter(function (f) { return f.properties.focus; });
    // A map about one compound frames it, with room around for its neighbours; a community's shows them all.
    var frame = null;
    if (focus.length) {
      var b = bounds(focus, data.points);
      var pad = Math.max(b.e - b.w, b.n - b.s) * 0.9;
      frame = [[b.w - pad, b.n + pad], [b.e + pad, b.s - pad]];
    }
    var chart = echarts.init(box, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      aria: { enabled: false },  // the box's own aria-label and the page's text say it better
      tooltip: { trigger: "item", confine: true },
      geo: {
        map: mapName,
        nameProperty: "code",  // codes are unique; names need not be
        roam: false,
        // Longitude degrees are shorter than latitude degrees away from the equator: keep the shapes true.
        aspectScale: Math.cos((all.n + all.s) / 2 * Math.PI / 180),
        boundingCoords: frame,
        layoutCenter: ["50%", "50%"],
        layoutSize: "92%",
        itemStyle: OTHER,
        label: {
          show: true, fontSize: 11, color: "#5c6673",
          formatter: function (p) { return (byCode[p.name] || {}).name || ""; }
        },
        emphasis: { label: { show: true }, itemStyle: { areaColor: "rgba(26, 95, 180, .18)" } },
        select: { disabled: true },
        tooltip: { formatter: function (p) { return (byCode[p.name] || {}).name || ""; } },
        regions: focus.map(function (f) {
          return { name: f.properties.code, itemStyle: FOCUS, label: { color: "#1f2328", fontWeight: "bold" } };
        })
      },
      series: [{
        type: "scatter",
        coordinateSystem: "geo",
        data: data.points,
        symbol: "pin",
        symbolSize: 30,
        symbolOffset: [0, "-40%"],
        itemStyle: { color: "#1a5fb4" },
        tooltip: { formatter: function (p) { return p.name; } },
        z: 5
      }]
    });
    if (box.hasAttribute("data-clickable")) {
      chart.on("click", function (p) {
        var props = p.componentType === "geo" && byCode[p.name];
        if (props && props.url) { window.location.href = props.url; }
      });
    }
    window.addEventListener("resize", function () { chart.resize(); });
    box.dataset.drawn = "true";
  }

  function drawAll() { document.querySelectorAll(".grid-map[data-map]").forEach(draw); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", drawAll); } else { drawAll(); }
})();
