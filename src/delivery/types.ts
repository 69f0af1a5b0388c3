/**
 * Result delivery (issue 25): the payloads of the delivery workflow and its activities, and what the builders need.
 * Pure types (bundled into the workflow sandbox). Patient demographics appear only in DeliveryPatient, which the
 * activities read from Orthanc themselves and never return: no Temporal payload carries them.
 */
import type { StudySummary } from '../contracts';
import type { Reason } from '../reasons';

export type SinkKind = 'webhook' | 'hl7' | 'fhir';

/** One sink of a delivery, as planned when it starts (recorded in the history, so replay sees the same plan). */
export interface SinkPlan {
  /** The sink's name (its kind: one sink of each kind is configured). */
  sink: SinkKind;
  /** Stable message id: derived from study UID + completion + sink (src/delivery/message-id.ts). */
  messageId: string;
  /** Where it goes, for operators (URL or host:port; never a secret). */
  target: string;
}

export interface SinkDeliveryInput {
  sink: SinkKind;
  messageId: string;
  summary: StudySummary;
}

/** What the receiver answered when it took the message: the proof of delivery. */
export interface DeliveryReceipt {
  sink: SinkKind;
  messageId: string;
  target: string;
  /** ISO time the receiver acknowledged (worker clock). */
  deliveredAt: string;
  /** The activity attempt that succeeded (1 = first try). */
  attempt: number;
  /** The receiver's own words: `HTTP 200 ...`, `MSA|AA|<control id>`, `DiagnosticReport/<id>/_history/<v>`. */
  receipt: string;
}

export type SinkState = 'pending' | 'delivered' | 'failed';

export interface SinkOutcome extends SinkPlan {
  state: SinkState;
  receipt?: DeliveryReceipt;
  /** Why the sink failed (a declared reason: DeliveryRejected, DeliveryMisconfigured, StepTimedOut, ...). */
  reason?: Reason;
}

/** The delivery workflow's query answer and result. */
export interface DeliveryResult {
  studyInstanceUid: string;
  completion: number;
  /** delivering while any sink is pending; then delivered, failed (all failed) or partly-delivered; no-sinks. */
  state: 'delivering' | 'delivered' | 'partly-delivered' | 'failed' | 'no-sinks';
  sinks: SinkOutcome[];
  finishedAt?: string;
}

/** The patient module of the study's source, read from Orthanc inside an activity. DICOM PN text as stored. */
export interface DeliveryPatient {
  id: string;
  issuer?: string;
  /** DICOM PN: Family^Given^Middle^Prefix^Suffix. */
  name?: string;
  /** YYYYMMDD. */
  birthDate?: string;
  /** M, F or O. */
  sex?: string;
}

/** The study's own attributes from Orthanc (not patient data). */
export interface DeliveryStudy {
  studyInstanceUid: string;
  accessionNumber?: string;
  description?: string;
  /** YYYYMMDD and HHMMSS as in DICOM. */
  studyDate?: string;
  studyTime?: string;
}
