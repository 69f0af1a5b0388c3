import { defineQuery } from '@temporalio/workflow';
import type { IngestProgress } from './types';
import type { DeliveryResult } from '../delivery/types';

/** Live progress of an ingest: counts, in-flight children, the latest problems. */
export const progressQuery = defineQuery<IngestProgress>('progress');

/** deliverStudyResult's state: the plan, each sink's state and receipt (src/workflows/deliver-study.ts). */
export const deliveryStateQuery = defineQuery<DeliveryResult>('deliveryState');
