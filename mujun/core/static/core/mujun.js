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

// <div data-plotly-figure="{…}">: a Plotly figure (mujun.core.charts), drawn by the page's plotly.js, its
// toolbar in the page's language (plotly.js ships English only; these are the words its toolbar shows).
const PLOTLY_ZH_HANS = {
  moduleType: "locale",
  name: "zh-hans",
  dictionary: {
    "Download plot as a PNG": "下载图表为PNG图片", "Download plot": "下载图表", "Zoom": "缩放", "Pan": "平移",
    "Box Select": "矩形框选", "Lasso Select": "套索选择", "Zoom in": "放大", "Zoom out": "缩小",
    "Autoscale": "自动缩放", "Reset axes": "重置坐标轴", "Reset view": "重置视图", "Reset": "重置",
    "Toggle Spike Lines": "显示/隐藏辅助线", "Show closest data on hover": "悬停显示最近的数据",
    "Compare data on hover": "悬停比较数据", "Toggle show closest data on hover": "切换悬停显示最近的数据",
    "Double-click to zoom back out": "双击还原", "Double-click on legend to isolate one trace": "双击图例只显示该项",
  },
  format: { decimal: ".", thousands: "," },
};
if (window.Plotly) window.Plotly.register(PLOTLY_ZH_HANS);
for (const chart of document.querySelectorAll("div[data-plotly-figure]")) {
  const figure = JSON.parse(chart.dataset.plotlyFigure);
  const config = { displaylogo: false, responsive: true, locale: document.documentElement.lang };
  window.Plotly.newPlot(chart, figure.data, figure.layout, config);
}
