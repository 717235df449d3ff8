/** Report pages: what `mmalign report`, `align --report` and `corpus align --report` write. */
export { writeReport, REPORT_FILE, type WriteReportOptions, type WriteReportResult, type VideoReportResult, type CorpusReportResult } from './write.js';
export { readVideoReport, type ReadVideoReportOptions } from './read-video.js';
export { readCorpusReport } from './read-corpus.js';
export { renderVideoPage } from './page.js';
export { renderCorpusPage } from './corpus-page.js';
export { lookupSemantic, type SemanticLookup } from './models.js';
export type { VideoReport, CorpusReport, ReportCue, ReportPair, ReportModel, SyncMapping, RunCounts, CorpusVideoEntry, Histogram } from './types.js';
