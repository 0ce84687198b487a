/**
 * The report page's script, bundled into the HTML file by cli/reports/html.ts: draws the charts from
 * the timeline embedded in the page. Only the ECharts parts it uses are bundled, with the SVG renderer
 * (crisp when zoomed or printed, and the chart's marks are DOM elements).
 */
import { BarChart, LineChart, ScatterChart } from 'echarts/charts';
import {
  AriaComponent,
  AxisPointerComponent,
  DataZoomInsideComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import type { Timeline } from '../../../shared/report/timeline';
import { chartHeight, chartOption } from './charts';

echarts.use([
  LineChart,
  BarChart,
  ScatterChart,
  GridComponent,
  TooltipComponent,
  AxisPointerComponent,
  LegendComponent,
  MarkLineComponent,
  DataZoomInsideComponent,
  AriaComponent,
  SVGRenderer,
]);

const data = document.getElementById('fledge-timeline');
const container = document.getElementById('fledge-chart');
if (data && container) {
  const timeline = JSON.parse(data.textContent ?? '{}') as Timeline;
  container.style.height = `${chartHeight(timeline)}px`;
  const chart = echarts.init(container, null, { renderer: 'svg' });
  chart.setOption(chartOption(timeline));
  window.addEventListener('resize', () => chart.resize());
  // For people poking at the page in devtools, and for the browser test.
  Object.assign(window, { fledgeReport: { chart, timeline } });
}
