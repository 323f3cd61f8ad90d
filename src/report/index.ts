/** The report layer: a run's summary, team metrics, `report.md` and the run directory they are written to. */
export { createRunDirectory, type RunFiles, runFiles, writeRunRecord } from './run-record.js';
export type { RunSummary } from './summary.js';
export { criticalPath, DIAGRAM_FORMATS, type DiagramFormat, planDiagram } from './plan-diagram.js';
export { costChart, timelineChart } from './run-charts.js';
export { pricedSummary, runSchedule } from './run-views.js';
export type { ScheduleSpan } from './model-schedule.js';
export type { SpendLine } from './summary.js';
export type { DesignMember, DesignTiers, RunDesign } from './run-design.js';
export type { RunQuality } from './run-quality.js';
export { formatDuration } from './run-metrics.js';
export { SERIES_COLOURS, STATUS_COLOURS, shortText, svgDocument, xmlText } from './svg-text.js';
