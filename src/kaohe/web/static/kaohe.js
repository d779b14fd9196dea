// kaohe web: render every <div class="chart" data-option='{json}'> with ECharts, mark it
// data-rendered="1" (the browser tests wait for it), and auto-submit filter forms.
(function () {
  "use strict";
  var charts = [];

  function renderCharts() {
    document.querySelectorAll("div.chart[data-option]").forEach(function (el) {
      if (el.dataset.rendered === "1" || typeof echarts === "undefined") { return; }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(JSON.parse(el.dataset.option));
      charts.push(chart);
      el.dataset.rendered = "1";
    });
  }

  function autoSubmit() {
    document.querySelectorAll("form.autosubmit select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  function confirmButtons() {
    document.querySelectorAll("[data-confirm]").forEach(function (el) {
      el.addEventListener("click", function (event) {
        if (!window.confirm(el.dataset.confirm)) { event.preventDefault(); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderCharts();
    autoSubmit();
    confirmButtons();
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  });
  window.kaohe = { renderCharts: renderCharts };
})();
