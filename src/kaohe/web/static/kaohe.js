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

  // a ranking row expands into the agent's items, grade and next-grade hint (a fragment)
  function whyToggles() {
    document.querySelectorAll("button.why-toggle").forEach(function (button) {
      button.addEventListener("click", function () {
        var row = button.closest("tr");
        var next = row.nextElementSibling;
        if (next && next.classList.contains("why-row")) {
          next.hidden = !next.hidden;
          button.setAttribute("aria-expanded", next.hidden ? "false" : "true");
          return;
        }
        var extra = document.createElement("tr");
        extra.className = "why-row";
        var cell = document.createElement("td");
        cell.colSpan = row.children.length;
        cell.textContent = "…";
        extra.appendChild(cell);
        row.after(extra);
        button.setAttribute("aria-expanded", "true");
        fetch(button.dataset.url, { credentials: "same-origin" })
          .then(function (r) { return r.text(); })
          .then(function (html) { cell.innerHTML = html; });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderCharts();
    whyToggles();
    autoSubmit();
    confirmButtons();
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  });
  window.kaohe = { renderCharts: renderCharts };
})();
