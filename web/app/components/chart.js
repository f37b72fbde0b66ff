// Charts through Chart.js (vendored UMD build), loaded the first time a chart is shown.
import { html, useEffect, useRef, useState } from "../lib.js";

let chartLibrary = null;

export function loadChartLibrary() {
  if (!chartLibrary) {
    chartLibrary = new Promise((resolve, reject) => {
      if (window.Chart) return resolve(window.Chart);
      const script = document.createElement("script");
      script.src = new URL("../../vendor/chart.umd.min.js", import.meta.url).href;
      script.onload = () => resolve(window.Chart);
      script.onerror = () => {
        chartLibrary = null;
        reject(new Error("the chart library did not load"));
      };
      document.head.append(script);
    });
  }
  return chartLibrary;
}

/** Seconds on the time axis when the whole curve spans less than half an hour; in `timeZone` if given. */
function tickFormat(series, timeZone) {
  const times = series.flatMap((entry) => entry.points.map((point) => point.x));
  const span = times.length ? Math.max(...times) - Math.min(...times) : 0;
  const format = span < 30 * 60 * 1000 ? { hour: "2-digit", minute: "2-digit", second: "2-digit" } : { hour: "2-digit", minute: "2-digit" };
  return timeZone ? { ...format, timeZone } : format;
}

/**
 * A line chart over time: series [{label, points: [{x: Date ms, y}], axis: "left"|"right", color,
 * dash?: [on, off], stepped?: bool}]; a null y is a gap. range {min, max} (Date ms) fixes the time axis,
 * tickStepMs spaces its ticks from range.min, timeZone labels them (the site's hours, not the browser's).
 */
export function TimeChart({ series, leftTitle, rightTitle, label, range = null, timeZone = null, tickStepMs = null, pointRadius = 0 }) {
  const canvas = useRef(null);
  const chart = useRef(null);
  const latest = useRef(series);
  latest.current = series;
  const [problem, setProblem] = useState(null);

  useEffect(() => {
    let cancelled = false;
    loadChartLibrary()
      .then((Chart) => {
        if (cancelled || !canvas.current) return;
        const datasets = series.map((entry) => ({
          label: entry.label,
          data: entry.points,
          yAxisID: entry.axis === "right" ? "right" : "left",
          borderColor: entry.color,
          backgroundColor: entry.color,
          pointRadius,
          borderWidth: 2,
          borderDash: entry.dash || [],
          stepped: entry.stepped ? "before" : false,
          tension: entry.stepped ? 0 : 0.2,
          spanGaps: false,
        }));
        if (chart.current) {
          chart.current.data.datasets = datasets;
          chart.current.options.scales.x.min = range?.min;
          chart.current.options.scales.x.max = range?.max;
          chart.current.update("none");
          return;
        }
        chart.current = new Chart(canvas.current, {
          type: "line",
          data: { datasets },
          options: {
            animation: false,
            maintainAspectRatio: false,
            parsing: false,
            interaction: { mode: "index", intersect: false },
            scales: {
              x: {
                type: "linear",
                min: range?.min,
                max: range?.max,
                // Ticks from the range's start (a site's midnight), not from multiples of the step.
                afterBuildTicks: (scale) => {
                  if (!tickStepMs || !range) return;
                  const ticks = [];
                  for (let value = range.min; value <= range.max; value += tickStepMs) ticks.push({ value });
                  scale.ticks = ticks;
                },
                ticks: {
                  callback: (value) => new Date(value).toLocaleTimeString([], tickFormat(latest.current, timeZone)),
                },
              },
              left: { type: "linear", position: "left", title: { display: true, text: leftTitle }, beginAtZero: true },
              right: {
                type: "linear",
                display: Boolean(rightTitle),
                position: "right",
                title: { display: Boolean(rightTitle), text: rightTitle },
                beginAtZero: true,
                grid: { drawOnChartArea: false },
              },
            },
            plugins: {
              tooltip: {
                callbacks: {
                  title: (items) => (items.length ? new Date(items[0].parsed.x).toLocaleString([], timeZone ? { timeZone } : {}) : ""),
                },
              },
            },
          },
        });
      })
      .catch((error) => setProblem(error.message));
    return () => {
      cancelled = true;
    };
  }, [series]);

  useEffect(() => () => chart.current && chart.current.destroy(), []);

  if (problem) return html`<p class="muted">Chart unavailable: ${problem}</p>`;
  return html`<div class="chart-box"><canvas ref=${canvas} role="img" aria-label=${label}></canvas></div>`;
}
