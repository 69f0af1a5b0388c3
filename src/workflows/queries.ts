import { defineQuery } from '@temporalio/workflow';
import type { IngestProgress } from './types';

/** Live progress of an ingest: counts, in-flight children, the latest problems. */
export const progressQuery = defineQuery<IngestProgress>('progress');
