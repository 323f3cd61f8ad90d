/** The experiment layer: designs × seeds as cells on the worker queue, one results table, statistics and charts. */
export { experimentJsonSchema, loadExperimentFile, type ExperimentFile, type LoadedExperiment } from './experiment-file.js';
export { CSV_COLUMNS, METRIC_COLUMNS, type MetricColumn, type ResultRecord, type ResultRow } from './result-row.js';
export { type ExperimentEvent, type ExperimentSummary, experimentPaths, runExperiment } from './run-experiment.js';
