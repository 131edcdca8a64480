// Behaviours pages declare with data attributes: the Content-Security-Policy runs no inline script and no
// handler attribute (onclick, onsubmit…), only the platform's own script files.
"use strict";

// <form data-confirm="Continue?">: asks before submitting.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// <select data-autosubmit>: submits its form when changed.
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
});

// <button data-print>: prints the page.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

// <div data-plotly-figure="{…}">: a Plotly figure (mujun.core.charts), drawn by the page's plotly.js.
for (const chart of document.querySelectorAll("div[data-plotly-figure]")) {
  const figure = JSON.parse(chart.dataset.plotlyFigure);
  window.Plotly.newPlot(chart, figure.data, figure.layout, { displaylogo: false, responsive: true });
}
