// LayerChart, fetched on first use: the screens that draw a chart paint their numbers
// first and the bars a moment later, and the window's first bundle stays small.
import type { BarChart } from 'layerchart';

export type BarChartComponent = typeof BarChart;

let pending: Promise<BarChartComponent> | null = null;

/** LayerChart's bar chart, once its chunk is here (fetched once, whoever asks first). */
export function barChart(): Promise<BarChartComponent> {
  pending ??= import('layerchart').then(
    (m) => m.BarChart,
    (e) => {
      pending = null;
      throw e;
    },
  );
  return pending;
}
