// The reports page's charts (templates/chat/reports/index.html): Chart.js
// configurations built from the JSON the server renders with each table, so
// a chart always shows the figures of the table beside it.

// Colour-blind-safe series colours (Okabe and Ito), dark enough on white.
export const COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];

/** A Chart.js configuration of one chart of the page.
 * @param {{type: string, title: string, stacked: boolean, labels: string[],
 *          datasets: {label: string, data: (number|null)[]}[]}} spec */
export function chartConfig(spec) {
  const line = spec.type === "line";
  return {
    type: line ? "line" : "bar",
    data: {
      labels: spec.labels,
      datasets: spec.datasets.map((set, i) => ({
        label: set.label,
        data: set.data,
        backgroundColor: COLOURS[i % COLOURS.length],
        borderColor: COLOURS[i % COLOURS.length],
        borderWidth: line ? 2 : 0,
        pointRadius: line ? 2 : undefined,
        spanGaps: true,
      })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: {
        title: { display: true, text: spec.title },
        legend: { display: spec.datasets.length > 1 },
      },
      scales: {
        x: { stacked: Boolean(spec.stacked) },
        y: { stacked: Boolean(spec.stacked), beginAtZero: true },
      },
    },
  };
}

/** Draw every chart of `specs` on its canvas (`spec.id`) with `Chart`;
 * returns the charts drawn. A missing canvas is skipped. */
export function drawCharts(Chart, specs, doc) {
  const drawn = [];
  for (const spec of specs) {
    const canvas = doc.getElementById(spec.id);
    if (canvas) drawn.push(new Chart(canvas, chartConfig(spec)));
  }
  return drawn;
}
