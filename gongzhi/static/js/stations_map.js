// The finder's small map: the place searched from and the stations of the list around it, numbered as the list
// is. The list is the page; the map is a picture of it, drawn with Apache ECharts (already vendored for the grid
// maps) on plain longitude/latitude axes: no tiles, nothing fetched from elsewhere.
//
// ECharts is a large file, so it is asked for only after the page has loaded (the list is usable at once), not
// at all when the phone says its connection is slow or metered, and the box stays hidden unless the chart is
// drawn: without script, on a failed download, the page is the list alone.
(function () {
  "use strict";
  var box = document.getElementById("st-map");
  var source = document.getElementById("st-map-data");
  if (!box || !source) { return; }
  var connection = navigator.connection || {};
  if (connection.saveData || /(^|-)2g$/.test(connection.effectiveType || "")) { return; }

  var COLORS = { now: "#1a7f37", shut: "#6b7380", soon: "#b7791f", here: "#1a5fb4" };
  var M_PER_DEG = 111320;
  var RINGS = [100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];

  function ring(here, metres) {
    var lng = here[0], lat = here[1], out = [];
    var dlat = metres / M_PER_DEG, dlng = metres / (M_PER_DEG * Math.cos(lat * Math.PI / 180));
    for (var i = 0; i <= 64; i++) {
      var a = i / 64 * 2 * Math.PI;
      out.push([lng + dlng * Math.cos(a), lat + dlat * Math.sin(a)]);
    }
    return out;
  }

  // Axis ranges centred on the place searched from, holding every point, in the drawing area's own shape with
  // metres the same both ways.
  function frame(here, points, width, height) {
    var cos = Math.cos(here[1] * Math.PI / 180);
    var dx = 0.002, dy = 0.002;  // at least some 200 m each way, in latitude degrees
    points.forEach(function (p) {
      dx = Math.max(dx, Math.abs(p.value[0] - here[0]) * cos);
      dy = Math.max(dy, Math.abs(p.value[1] - here[1]));
    });
    dx *= 1.1; dy *= 1.1;
    if (dx / dy > width / height) { dy = dx * height / width; } else { dx = dy * width / height; }
    return { x: [here[0] - dx / cos, here[0] + dx / cos], y: [here[1] - dy, here[1] + dy], half: Math.min(dx, dy) };
  }

  function label(metres) {
    return metres >= 1000 ? (metres / 1000) + " km" : metres + " m";
  }

  function draw() {
    if (!window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    box.hidden = false;
    var canvas = box.querySelector(".st-map");
    // Room around the drawing area for the pins, which stand above their points.
    var pad = { left: 18, right: 18, top: 34, bottom: 12 };
    var f = frame(data.here, data.points, (canvas.clientWidth || 320) - pad.left - pad.right,
                  (canvas.clientHeight || 240) - pad.top - pad.bottom);
    // One ring for scale: the largest round distance inside the frame.
    var metres = RINGS.filter(function (m) { return m <= f.half * M_PER_DEG; }).pop() || RINGS[0];
    var chart = echarts.init(canvas, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      aria: { enabled: false },  // the box's label and the list say it in words
      grid: pad,
      xAxis: { type: "value", min: f.x[0], max: f.x[1], show: false },
      yAxis: { type: "value", min: f.y[0], max: f.y[1], show: false },
      tooltip: { trigger: "item", confine: true, formatter: function (p) { return p.data.tip || ""; } },
      series: [
        { type: "line", data: ring(data.here, metres), symbol: "none", silent: true,
          lineStyle: { color: "#b4bcc8", type: "dashed", width: 1 },
          endLabel: { show: true, formatter: label(metres), color: "#5c6673", fontSize: 11 } },
        { type: "scatter", data: [{ value: data.here, tip: box.dataset.here }], symbol: "circle", symbolSize: 14,
          itemStyle: { color: COLORS.here, borderColor: "#fff", borderWidth: 2, opacity: 1 }, z: 4 },
        { type: "scatter", symbol: "pin", symbolSize: 30, symbolOffset: [0, "-40%"], z: 5,
          data: data.points.map(function (p) {
            return { value: p.value, tip: p.n + ". " + p.name, url: p.url,
                     itemStyle: { color: COLORS[p.state], opacity: 1 },
                     label: { show: true, formatter: String(p.n), color: "#fff", fontSize: 11, offset: [0, -4] } };
          }) }
      ]
    });
    chart.on("click", function (p) { if (p.data && p.data.url) { window.location.href = p.data.url; } });
    window.addEventListener("resize", function () { chart.resize(); });
    var results = document.getElementById("st-results");
    if (results) { results.classList.add("st-numbered"); }
    box.dataset.drawn = "true";
  }

  function load() {
    if (window.echarts) { draw(); return; }
    var script = document.createElement("script");
    script.src = box.dataset.echarts;
    script.async = true;
    script.onload = draw;
    document.head.appendChild(script);
  }

  if (document.readyState === "complete") { load(); } else { window.addEventListener("load", load); }
})();
