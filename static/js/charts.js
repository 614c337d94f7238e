// Draws the charts of the dashboard pages with ECharts (static/vendor/echarts).
// Each chart element names a JSON block with its data; the same figures are in a
// table next to it, so nothing here is the only way to read them.
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;

  var PALETTE = ["#1f6fb2", "#d9822b", "#2a9d8f", "#8e5ea2", "#c0392b", "#6b8e23", "#7f8c8d", "#b8860b"];

  function data(el) {
    return JSON.parse(document.getElementById(el.dataset.source).textContent);
  }

  function labelFor(keys, labels, key) {
    var i = keys ? keys.indexOf(key) : -1;
    return i >= 0 ? labels[i] : key;
  }

  var builders = {
    "stacked-months": function (d) {
      var names = Object.keys(d.series);
      return {
        color: PALETTE,
        tooltip: { trigger: "axis" },
        legend: { type: "scroll", bottom: 0 },
        grid: { left: 40, right: 16, top: 16, bottom: 64 },
        xAxis: { type: "category", data: d.months },
        yAxis: { type: "value", minInterval: 1 },
        dataZoom: d.months.length > 36 ? [{ type: "slider", bottom: 28, height: 16 }] : [],
        series: names.map(function (n) {
          return { name: labelFor(d.keys, d.labels, n), type: "bar", stack: "all", data: d.series[n] };
        }),
      };
    },
    "lines-months": function (d) {
      var names = Object.keys(d.series);
      return {
        color: PALETTE,
        tooltip: { trigger: "axis" },
        legend: { type: "scroll", bottom: 0 },
        grid: { left: 40, right: 16, top: 16, bottom: 64 },
        xAxis: { type: "category", data: d.months },
        yAxis: { type: "value", minInterval: 1 },
        dataZoom: d.months.length > 36 ? [{ type: "slider", bottom: 28, height: 16 }] : [],
        series: names.map(function (n) {
          return { name: n, type: "line", showSymbol: false, data: d.series[n] };
        }),
      };
    },
    "heatmap-weeks": function (d) {
      var cells = [], max = 1;
      d.counts.forEach(function (row, y) {
        row.forEach(function (v, x) {
          cells.push([x, y, v]);
          if (v > max) max = v;
        });
      });
      return {
        tooltip: {
          formatter: function (p) {
            return d.locations[p.value[1]] + "<br>week of " + d.weeks[p.value[0]] + ": " + p.value[2] + " visits";
          },
        },
        grid: { left: 8, right: 16, top: 8, bottom: 70, containLabel: true },
        xAxis: { type: "category", data: d.weeks, splitArea: { show: true } },
        yAxis: {
          type: "category",
          data: d.locations,
          axisLabel: { width: 140, overflow: "truncate" },
        },
        visualMap: {
          min: 0, max: max, calculable: false, orient: "horizontal", left: "center", bottom: 0,
          inRange: { color: ["#f4f8fb", "#1f6fb2"] },
        },
        series: [{ type: "heatmap", data: cells }],
      };
    },
    // People trained per target group in three stacked parts: women, men, and those whose
    // sex was not recorded (grey, its own part), so "not recorded" is never drawn
    // as zero women.
    "bar-groups": function (d) {
      var part = function (name, values, color) {
        return { name: name, type: "bar", stack: "people", data: values, itemStyle: { color: color } };
      };
      return {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { bottom: 0 },
        grid: { left: 8, right: 16, top: 8, bottom: 40, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: d.groups },
        series: [
          part("Women", d.women, PALETTE[3]),
          part("Men", d.men, PALETTE[2]),
          part("Not recorded", d.not_recorded, "#b9c0c6"),
        ],
      };
    },
  };

  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var build = builders[el.dataset.chart];
    var d = data(el);
    if (!build) return;
    var empty = (d.months && d.months.length === 0) || (d.locations && d.locations.length === 0) ||
      (d.groups && d.groups.length === 0);
    if (empty) {
      el.classList.add("chart-empty");
      el.textContent = "No data for this period.";
      return;
    }
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(build(d));
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();

// Printed pages show the figures as tables (print.css hides the charts).
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details.chart-table").forEach(function (d) { d.open = true; });
});
