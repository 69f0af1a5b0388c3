// Workflow entry point bundled by the worker. Only workflow code may be exported from here.
export { ingestZipWorkflow } from './ingest-zip';
export { processInstanceWorkflow } from './process-instance';
export { healthCheckWorkflow } from './health-check';
export { followOrthancWorkflow } from './follow-orthanc';
export { reprocessWorkflow } from './reprocess';
export { deliverStudyResult } from './deliver-study';
export { studyWorkflow } from './study';
