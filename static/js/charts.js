// Draws the charts of the dashboard pages with ECharts (static/vendor/echarts).
// Each chart element names a JSON block with its data; the same figures are in a
// table next to it, so nothing here is the only way to read them.
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;

  var PALETTE = ["#1f6fb2", "#d9822b", "#2a9d8f", "#8e5ea2", "#c0392b", "#6b8e23", "#7f8c8d", "#b8860b"];
  // An activity type has one colour on every chart and on the map (static/js/map.js).
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
  function colourOf(name, i) {
    return TYPE_COLOURS[name] || PALETTE[i % PALETTE.length];
  }

  function data(el) {
    return JSON.parse(document.getElementById(el.dataset.source).textContent);
  }

  function labelFor(keys, labels, key) {
    var i = keys ? keys.indexOf(key) : -1;
    return i >= 0 ? labels[i] : key;
  }

  // Records known only to their quarter or year are drawn apart, in a second grid on
  // the right ("2015, month unknown"), never in the period's first month.
  function withUnknown(option, d, names, nameOf, stacked) {
    var unknown = d.unknown || [];
    option.grid = [option.grid];
    option.xAxis = [option.xAxis];
    option.yAxis = [option.yAxis];
    if (!unknown.length) return option;
    // beside the months on a wide screen, below them on a phone
    if (window.innerWidth < 600) {
      option.grid[0].bottom = "52%";
      option.grid.push({ left: 40, right: 16, top: "58%", bottom: 64, containLabel: false });
    } else {
      option.grid[0].right = "30%";
      option.grid.push({ left: "74%", right: 16, top: 16, bottom: 64, containLabel: false });
    }
    option.xAxis.push({
      type: "category", gridIndex: 1,
      // "2015" or "Q3 2015"; * when it only may fall in the period
      data: unknown.map(function (b) {
        return b.label.replace(", month unknown", "") + (b.inside ? "" : " *");
      }),
      axisLabel: { interval: 0, fontSize: 10, rotate: unknown.length > 4 ? 30 : 0 },
      name: "month unknown", nameLocation: "middle", nameGap: unknown.length > 4 ? 36 : 22,
    });
    // one scale for both grids, so a bar "month unknown" reads against the months
    var top = 1;
    d.months.forEach(function (m, i) {
      var total = 0;
      names.forEach(function (n) {
        var v = (d.series[n] || [])[i] || 0;
        total = stacked ? total + v : Math.max(total, v);
      });
      top = Math.max(top, total);
    });
    unknown.forEach(function (b) {
      var total = 0;
      Object.keys(b.series).forEach(function (n) {
        total = stacked ? total + b.series[n] : Math.max(total, b.series[n]);
      });
      top = Math.max(top, total);
    });
    var step = top > 50 ? 10 : top > 10 ? 5 : 1;
    top = Math.ceil(top / step) * step;
    option.yAxis[0].max = top;
    option.yAxis.push({ type: "value", gridIndex: 1, minInterval: 1, max: top });
    names.forEach(function (n, i) {
      option.series.push({
        name: nameOf(n), type: "bar", xAxisIndex: 1, yAxisIndex: 1,
        stack: stacked ? "unknown" : undefined, color: colourOf(n, i),
        data: unknown.map(function (b) { return b.series[n] || 0; }),
      });
    });
    return option;
  }

  function allNames(d) {
    var names = Object.keys(d.series);
    (d.unknown || []).forEach(function (b) {
      Object.keys(b.series).forEach(function (n) { if (names.indexOf(n) < 0) names.push(n); });
    });
    return names;
  }

  // Colour steps for visit counts, each labelled with its numbers ("0", "1", "2–3", …).
  function pieces(max) {
    var colours = ["#f4f8fb", "#c6dbef", "#7fb0d8", "#3d85c0", "#1f6fb2", "#0b3f6e"];
    var result = [{ value: 0, label: "0", color: colours[0] }];
    var steps = Math.min(max, 5), size = Math.ceil(max / steps), low = 1;
    for (var i = 1; low <= max; i++) {
      var high = Math.min(max, low + size - 1);
      result.push({ gte: low, lte: high, label: low === high ? String(low) : low + "–" + high,
        color: colours[Math.min(i, colours.length - 1)] });
      low = high + 1;
    }
    return result;
  }

  var builders = {
    "stacked-months": function (d) {
      var names = allNames(d);
      var nameOf = function (n) { return labelFor(d.keys, d.labels, n); };
      return withUnknown({
        tooltip: { trigger: "axis" },
        legend: { type: "scroll", bottom: 0 },
        grid: { left: 40, right: 16, top: 16, bottom: 64 },
        xAxis: { type: "category", data: d.months },
        yAxis: { type: "value", minInterval: 1 },
        dataZoom: d.months.length > 36 ? [{ type: "slider", bottom: 28, height: 16, xAxisIndex: 0 }] : [],
        series: names.map(function (n, i) {
          return { name: nameOf(n), type: "bar", stack: "all", color: colourOf(n, i),
            data: d.series[n] || d.months.map(function () { return 0; }) };
        }),
      }, d, names, nameOf, true);
    },
    "lines-months": function (d) {
      var names = allNames(d);
      var nameOf = function (n) { return n; };
      return withUnknown({
        tooltip: { trigger: "axis" },
        legend: { type: "scroll", bottom: 0 },
        grid: { left: 40, right: 16, top: 16, bottom: 64 },
        xAxis: { type: "category", data: d.months },
        yAxis: { type: "value", minInterval: 1 },
        dataZoom: d.months.length > 36 ? [{ type: "slider", bottom: 28, height: 16, xAxisIndex: 0 }] : [],
        series: names.map(function (n, i) {
          return { name: n, type: "line", showSymbol: false, color: PALETTE[i % PALETTE.length],
            data: d.series[n] || d.months.map(function () { return 0; }) };
        }),
      }, d, names, nameOf, false);
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
          // whole names, broken over lines on a phone rather than cut off
          axisLabel: { width: window.innerWidth < 600 ? 90 : 180, overflow: "break", lineHeight: 13, fontSize: 11 },
        },
        visualMap: {
          type: "piecewise", orient: "horizontal", left: "center", bottom: 0,
          pieces: pieces(max), textStyle: { fontSize: 11 },
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
    var empty = (d.months && d.months.length === 0 && !(d.unknown && d.unknown.length)) || (d.locations && d.locations.length === 0) ||
      (d.groups && d.groups.length === 0);
    if (empty) {
      el.classList.add("chart-empty");
      el.textContent = "No data for this period.";
      return;
    }
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(build(d));
    window.addEventListener("resize", function () { if (!printing) chart.resize(); });
  });
})();

// Printed pages (A4, 14 mm margins: 182 mm of text, about 680 px) draw each chart at the
// page's width, so its labels keep their size; back to the window's width afterwards.
// While printing, the window's resize events (the page laid out for paper) leave them be.
var PRINT_WIDTH = 680;
var printing = false;
function forPrint(on) {
  printing = on;
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var chart = window.echarts && echarts.getInstanceByDom(el);
    if (!chart) return;
    if (on) chart.resize({ width: PRINT_WIDTH, height: Math.min(el.offsetHeight || 300, 300), animation: { duration: 0 } });
    else chart.resize({ width: "auto", height: "auto" });
    // drawn now, not at the next animation frame, which comes after the page is printed
    if (on && chart.getZr) chart.getZr().refreshImmediately();
  });
}
window.addEventListener("beforeprint", function () { if (!printing) forPrint(true); });
window.addEventListener("afterprint", function () { if (printing) forPrint(false); });
window.matchMedia("print").addEventListener("change", function (e) {
  if (e.matches !== printing) forPrint(e.matches);
});
