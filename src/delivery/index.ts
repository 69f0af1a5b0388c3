/** Result delivery's pure parts: message ids, the webhook body and signature, HL7 v2 + MLLP, the FHIR bundle. */
export * from './types';
export { deliveryMessageId, stableUuid } from './message-id';
export * from './webhook';
export * from './hl7';
export * from './mllp';
export * from './fhir';
