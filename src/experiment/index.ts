/** The experiment layer: designs × seeds as cells on the worker queue, one results table, statistics and charts. */
export { experimentJsonSchema, loadExperimentFile, type ExperimentFile, type LoadedExperiment } from './experiment-file.js';
export { CSV_COLUMNS, METRIC_COLUMNS, type MetricColumn, type ResultRecord, type ResultRow } from './result-row.js';
export { type ExperimentEvent, type ExperimentSummary, experimentPaths, runExperiment } from './run-experiment.js';
export {
  bootstrapMean,
  type Interval,
  mean,
  pairedDifferences,
  quantile,
  resampleMeans,
  seedsToDetect,
  standardDeviation,
} from './bootstrap.js';
export { type DesignStats, type ExperimentStats, experimentStats, type PairedStats, readResults } from './experiment-stats.js';
export {
  designTable,
  type ExperimentReportFiles,
  formatDifference,
  formatInterval,
  pairedTable,
  type ReportChart,
  reportCharts,
  reportMetrics,
  writeExperimentReport,
} from './experiment-report.js';
export {
  type ExperimentDetail,
  type ExperimentOverview,
  type ExperimentProgress,
  findExperimentDirectories,
  readExperimentDetail,
  readExperimentOverview,
} from './experiment-directory.js';
export { paretoFront } from './experiment-charts.js';
export { type DesignForecast, type ExperimentForecast, planExperiment } from './experiment-plan.js';
export { METRIC_LABELS } from './experiment-charts.js';
