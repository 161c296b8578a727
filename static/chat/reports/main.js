// Entry point of /reports/: draws the charts from the page's JSON
// (`json_script` "report-charts") with the vendored Chart.js (window.Chart).
// Without JavaScript the tables below each chart hold the same figures.
import { drawCharts } from "./charts.js";

const data = document.getElementById("report-charts");
if (data && window.Chart) {
  drawCharts(window.Chart, JSON.parse(data.textContent), document);
}
