/* PolicyWatch dashboard charts. Data comes from <script type="application/json">
   blocks rendered by the server; nothing here builds HTML from strings, so crawled
   text can only ever reach plotly as data. Every chart has a table or list beside it. */
(function () {
  "use strict";

  var KIND_COLOURS = {
    contradiction: "#b3261e",
    reversal: "#7b3fa0",
    reannouncement: "#b35900",
    reactive: "#00639b",
    burst: "#2e7d32"
  };

  function readData(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function layout(extra) {
    var base = {
      margin: { l: 180, r: 20, t: 10, b: 40 },
      hovermode: "closest",
      showlegend: true,
      legend: { orientation: "h" },
      font: { family: "system-ui, sans-serif", size: 12 }
    };
    for (var key in extra) { base[key] = extra[key]; }
    return base;
  }

  var CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["sendDataToCloud"] };

  function timelineChart(node, data) {
    var byId = {};
    data.documents.forEach(function (d) { byId[d.id] = d; });
    var traces = [];
    var rowOf = {};
    Object.keys(data.groups).forEach(function (name) {
      var docs = data.groups[name].map(function (id) { return byId[id]; }).filter(function (d) { return d && d.date; });
      docs.forEach(function (d) { if (!(d.id in rowOf)) { rowOf[d.id] = name; } });
      traces.push({
        type: "scatter", mode: "markers", name: name.replace(/_/g, " "),
        x: docs.map(function (d) { return d.date; }),
        y: docs.map(function () { return name.replace(/_/g, " "); }),
        text: docs.map(function (d) { return d.title; }),
        customdata: docs.map(function (d) { return d.id; }),
        hovertemplate: "%{text}<br>%{x|%d %b %Y}<extra></extra>",
        marker: { size: 10 }
      });
    });
    // a signal's line runs along its own theme's row when the document sits on it
    function rowFor(signal, doc) {
      var own = signal.theme && data.groups[signal.theme];
      return own && own.indexOf(doc.id) !== -1 ? signal.theme : rowOf[doc.id];
    }
    var seenKinds = {};
    data.signals.forEach(function (s) {
      var docs = s.documents.map(function (id) { return byId[id]; }).filter(function (d) { return d && d.date && d.id in rowOf; });
      if (docs.length < 2) { return; }
      traces.push({
        type: "scatter", mode: "lines", name: s.kind, legendgroup: s.kind,
        showlegend: !seenKinds[s.kind],
        x: docs.map(function (d) { return d.date; }),
        y: docs.map(function (d) { return rowFor(s, d).replace(/_/g, " "); }),
        line: { color: KIND_COLOURS[s.kind] || "#444", width: 2, dash: "dot" },
        hovertemplate: s.kind + "<extra></extra>"
      });
      seenKinds[s.kind] = true;
    });
    var rows = Object.keys(data.groups).length;
    Plotly.newPlot(node, traces, layout({ height: Math.max(260, 60 + rows * 36), xaxis: { type: "date" } }), CONFIG);
    node.on("plotly_click", function (event) {
      var point = event.points && event.points[0];
      if (point && point.customdata) { window.location.assign("/documents/" + encodeURIComponent(point.customdata)); }
    });
  }

  function themeYearsChart(node, rows) {
    var themes = {};
    rows.forEach(function (r) {
      (themes[r.theme] = themes[r.theme] || { x: [], y: [] });
      themes[r.theme].x.push(r.year); themes[r.theme].y.push(r.count);
    });
    var traces = Object.keys(themes).map(function (t) {
      return { type: "bar", name: t.replace(/_/g, " "), x: themes[t].x, y: themes[t].y };
    });
    Plotly.newPlot(node, traces, layout({ barmode: "stack", height: 380, margin: { l: 50, r: 20, t: 10, b: 40 } }), CONFIG);
  }

  function moneyChart(node, rows) {
    var years = rows.map(function (r) { return r.year; });
    Plotly.newPlot(node, [
      { type: "bar", name: "announced", x: years, y: rows.map(function (r) { return r.announced_gbp; }), marker: { color: "#00639b" } },
      { type: "bar", name: "re-announced", x: years, y: rows.map(function (r) { return r.reannounced_gbp; }), marker: { color: "#b35900" } }
    ], layout({ barmode: "group", height: 320, margin: { l: 80, r: 20, t: 10, b: 40 }, yaxis: { tickprefix: "£" } }), CONFIG);
  }

  var DRAW = { "timeline": timelineChart, "theme-years": themeYearsChart, "money": moneyChart };

  function drawAll() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (node) {
      var draw = DRAW[node.getAttribute("data-chart")];
      var data = readData(node.getAttribute("data-source"));
      if (draw && data) {
        draw(node, data);
        node.setAttribute("data-drawn", "true");
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
