/** Search attributes the pipeline writes, so ingests and entries can be filtered in the Web UI. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ZIP_NAME = defineSearchAttributeKey('CxrZipName', SearchAttributeType.KEYWORD);
export const ZIP_SHA256 = defineSearchAttributeKey('CxrZipSha256', SearchAttributeType.KEYWORD);
/** Ingest: listing | running | completed | rejected. Entry: processing | done | failed | skipped. */
export const STATE = defineSearchAttributeKey('CxrState', SearchAttributeType.KEYWORD);
export const TOTAL = defineSearchAttributeKey('CxrTotal', SearchAttributeType.INT);
export const DONE = defineSearchAttributeKey('CxrDone', SearchAttributeType.INT);
export const FAILED = defineSearchAttributeKey('CxrFailed', SearchAttributeType.INT);
export const ENTRY_NAME = defineSearchAttributeKey('CxrEntryName', SearchAttributeType.KEYWORD);
export const RETRY_OF = defineSearchAttributeKey('CxrRetryOf', SearchAttributeType.KEYWORD);
/** Ingest, follow, reprocess and study: urgent | routine | backfill (src/priority.ts), set when the job starts. */
export const PRIORITY = defineSearchAttributeKey('CxrPriority', SearchAttributeType.KEYWORD);
/** Study workflow: the Study Instance UID it collects (CxrState open | completed; CxrTotal/Done/Failed its images). */
export const STUDY_UID = defineSearchAttributeKey('CxrStudyUid', SearchAttributeType.KEYWORD);
/** Delivery (deliverStudyResult): one `<sink>=<state>` per sink, e.g. `fhir=delivered`, `hl7=pending`. */
export const DELIVERIES = defineSearchAttributeKey('CxrDeliveries', SearchAttributeType.KEYWORD_LIST);
