import assert from "node:assert/strict";
import { test } from "node:test";

import { COLOURS, chartConfig, drawCharts } from "../../static/chat/reports/charts.js";

const spec = {
  id: "chart-trend",
  type: "bar",
  title: "Questions by day and channel",
  stacked: true,
  labels: ["Mon 5 Oct 2026", "Tue 6 Oct 2026"],
  datasets: [
    { label: "Live chat", data: [3, 0] },
    { label: "Email", data: [1, null] },
  ],
};

test("a chart shows its table's labels and figures, one coloured series per column", () => {
  const config = chartConfig(spec);
  assert.equal(config.type, "bar");
  assert.deepEqual(config.data.labels, spec.labels);
  assert.deepEqual(
    config.data.datasets.map((d) => [d.label, d.data, d.backgroundColor]),
    [
      ["Live chat", [3, 0], COLOURS[0]],
      ["Email", [1, null], COLOURS[1]],
    ],
  );
  assert.equal(config.options.plugins.title.text, spec.title);
  assert.equal(config.options.plugins.legend.display, true);
  assert.equal(config.options.scales.y.stacked, true);
});

test("a line chart is a line, unstacked, its one series without a legend", () => {
  const config = chartConfig({ ...spec, type: "line", stacked: false, datasets: [spec.datasets[0]] });
  assert.equal(config.type, "line");
  assert.equal(config.options.scales.x.stacked, false);
  assert.equal(config.options.plugins.legend.display, false);
  assert.equal(config.data.datasets[0].borderWidth, 2);
});

test("drawCharts draws on each chart's canvas and skips a missing one", () => {
  const canvases = { "chart-trend": { id: "chart-trend" } };
  const doc = { getElementById: (id) => canvases[id] ?? null };
  const made = [];
  class FakeChart {
    constructor(canvas, config) {
      made.push([canvas.id, config.type]);
    }
  }
  const drawn = drawCharts(FakeChart, [spec, { ...spec, id: "chart-none" }], doc);
  assert.equal(drawn.length, 1);
  assert.deepEqual(made, [["chart-trend", "bar"]]);
});
