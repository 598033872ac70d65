// The results of a topology run: the writer the runners append records to,
// and what turns the records into a summary and plots.
export { ResultsWriter, readRecords, timestampName, SAMPLES_FILE } from './writer.js';
export { summarize, type RunSummary, type PhaseSummary, type NodeSummary, type PhaseComparison, type Change } from './summary.js';
export { formatSummary, formatSummaryMarkdown, resultLines } from './summary-format.js';
export { chartSpecs, CHART_NAMES, type ChartName } from './chart-specs.js';
export { renderResults, renderSvg, writeCharts, type RenderedResults } from './charts.js';
