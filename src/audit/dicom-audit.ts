/**
 * DICOM audit messages (PS3.15 Annex A.5, the RFC 3881-derived XML schema), built from an audit record.
 * Pure: no I/O. Each operator action maps to a DICOM audit event (EventID from CID 400, action code) plus a
 * local EventTypeCode (code system 99CXR) naming the command, so a collector can filter on either.
 */
import type { AuditAction, AuditRecord } from './record';

export interface Coded {
  code: string;
  scheme: string;
  meaning: string;
}

const DCM = (code: string, meaning: string): Coded => ({ code, scheme: 'DCM', meaning });
const LOCAL = (code: string, meaning: string): Coded => ({ code, scheme: '99CXR', meaning });

/** DCM audit codes used here (PS3.16 CIDs 400, 401, 402, 404). */
export const AUDIT_CODES = {
  applicationActivity: DCM('110100', 'Application Activity'),
  instancesAccessed: DCM('110103', 'DICOM Instances Accessed'),
  import: DCM('110107', 'Import'),
  export: DCM('110106', 'Export'),
  userAuthentication: DCM('110114', 'User Authentication'),
  applicationStart: DCM('110120', 'Application Start'),
  login: DCM('110122', 'Login'),
  applicationStop: DCM('110121', 'Application Stop'),
  application: DCM('110150', 'Application'),
  applicationLauncher: DCM('110151', 'Application Launcher'),
  destinationRole: DCM('110152', 'Destination Role ID'),
  sourceRole: DCM('110153', 'Source Role ID'),
  studyInstanceUid: DCM('110180', 'Study Instance UID'),
  workflowId: LOCAL('workflow-id', 'Temporal workflow ID'),
  fileSha256: LOCAL('sha256', 'SHA-256 of the file'),
} as const;

interface EventShape {
  id: Coded;
  /** C create, R read, U update, D delete, E execute. */
  actionCode: 'C' | 'R' | 'U' | 'D' | 'E';
  types: Coded[];
  /** Role of the operator and of the pipeline in this event. */
  operatorRole: Coded;
  pipelineRole: Coded;
}

/** One row per operator action: adding an action is one line here and one in AuditAction. */
export const AUDIT_EVENTS: Record<AuditAction, EventShape> = {
  ingest: imp('ingest', 'Ingest a zip'),
  'ingest-again': imp('ingest-again', 'Ingest a zip again'),
  'retry-failed': imp('retry-failed', 'Retry failed entries'),
  'verify-repair': imp('verify-repair', 'Repair missing entries'),
  reprocess: {
    id: AUDIT_CODES.instancesAccessed,
    actionCode: 'C',
    types: [LOCAL('reprocess', 'Re-process stored images')],
    operatorRole: AUDIT_CODES.sourceRole,
    pipelineRole: AUDIT_CODES.destinationRole,
  },
  'follow-start': app('follow-start', 'Start following Orthanc', AUDIT_CODES.applicationStart),
  'follow-stop': app('follow-stop', 'Stop following Orthanc', AUDIT_CODES.applicationStop),
  'study-complete': {
    id: AUDIT_CODES.applicationActivity,
    actionCode: 'U',
    types: [LOCAL('study-complete', 'Complete a study')],
    operatorRole: AUDIT_CODES.applicationLauncher,
    pipelineRole: AUDIT_CODES.application,
  },
  'viewer-study': {
    id: AUDIT_CODES.instancesAccessed,
    actionCode: 'R',
    types: [LOCAL('viewer-study', 'Study shown in the viewer')],
    operatorRole: AUDIT_CODES.destinationRole,
    pipelineRole: AUDIT_CODES.sourceRole,
  },
  'viewer-login': {
    id: AUDIT_CODES.userAuthentication,
    actionCode: 'E',
    types: [AUDIT_CODES.login, LOCAL('viewer-login', 'Viewer login')],
    operatorRole: AUDIT_CODES.applicationLauncher,
    pipelineRole: AUDIT_CODES.application,
  },
  'result-delivery': {
    id: AUDIT_CODES.export,
    actionCode: 'R',
    types: [LOCAL('result-delivery', "Deliver a study's AI result")],
    operatorRole: AUDIT_CODES.sourceRole,
    pipelineRole: AUDIT_CODES.destinationRole,
  },
};

function imp(code: string, meaning: string): EventShape {
  return {
    id: AUDIT_CODES.import,
    actionCode: 'C',
    types: [LOCAL(code, meaning)],
    operatorRole: AUDIT_CODES.sourceRole,
    pipelineRole: AUDIT_CODES.destinationRole,
  };
}

function app(code: string, meaning: string, type: Coded): EventShape {
  return {
    id: AUDIT_CODES.applicationActivity,
    actionCode: 'E',
    types: [type, LOCAL(code, meaning)],
    operatorRole: AUDIT_CODES.applicationLauncher,
    pipelineRole: AUDIT_CODES.application,
  };
}

/** EventOutcomeIndicator: 0 success, 4 minor failure, 8 serious failure, 12 major failure. */
export const OUTCOME_INDICATOR = { success: 0, 'minor-failure': 4, 'serious-failure': 8, 'major-failure': 12 } as const;

/** XML attribute/text escaping; control characters XML 1.0 cannot carry are dropped. */
export function xmlEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) continue;
    out += '<>&"\''.includes(ch) ? `&#${c};` : ch;
  }
  return out;
}

function coded(tag: string, c: Coded): string {
  return `<${tag} csd-code="${xmlEscape(c.code)}" codeSystemName="${c.scheme}" originalText="${xmlEscape(c.meaning)}"/>`;
}

function attrs(a: Record<string, string | undefined>): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlEscape(v as string)}"`)
    .join('');
}

function detail(type: string, value: string): string {
  return `<ParticipantObjectDetail type="${xmlEscape(type)}" value="${Buffer.from(value, 'utf8').toString('base64')}"/>`;
}

interface ObjectSpec {
  id: string;
  typeCode: '1' | '2' | '3' | '4';
  role: string;
  idType: Coded;
  name?: string;
  details: [string, string][];
}

/** The objects an action touched, from the record's `what`: the workflow (job), the zip (file), a study. */
function objectsOf(r: AuditRecord): ObjectSpec[] {
  const objs: ObjectSpec[] = [];
  const rest: [string, string][] = [];
  const what = r.what;
  const workflowId = what.ingestId ?? what.workflowId;
  for (const [k, v] of Object.entries(what)) {
    if (v === undefined || v === null) continue;
    if (['ingestId', 'workflowId', 'zipSha256', 'zipPath', 'studyInstanceUid'].includes(k)) continue;
    if (typeof v === 'object') for (const [ck, cv] of Object.entries(v)) rest.push([`${k}.${ck}`, String(cv)]);
    else rest.push([k, String(v)]);
  }
  if (typeof workflowId === 'string')
    objs.push({ id: workflowId, typeCode: '2', role: '20', idType: AUDIT_CODES.workflowId, details: [] });
  if (typeof what.zipSha256 === 'string')
    objs.push({
      id: what.zipSha256,
      typeCode: '2',
      role: '4',
      idType: AUDIT_CODES.fileSha256,
      name: typeof what.zipPath === 'string' ? what.zipPath : undefined,
      details: [],
    });
  if (typeof what.studyInstanceUid === 'string')
    objs.push({
      id: what.studyInstanceUid,
      typeCode: '2',
      role: '3',
      idType: AUDIT_CODES.studyInstanceUid,
      details: [],
    });
  if (objs.length > 0) objs[0].details.push(...rest);
  else if (rest.length > 0)
    objs.push({ id: r.action, typeCode: '2', role: '20', idType: LOCAL('request', 'Operator request'), details: rest });
  return objs;
}

/** The PS3.15 A.5 AuditMessage XML for one record. */
export function dicomAuditMessage(r: AuditRecord): string {
  const ev = AUDIT_EVENTS[r.action];
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', '<AuditMessage>'];
  out.push(
    `<EventIdentification${attrs({
      EventActionCode: ev.actionCode,
      EventDateTime: r.time,
      EventOutcomeIndicator: String(OUTCOME_INDICATOR[r.outcome]),
    })}>`,
    coded('EventID', ev.id),
    ...ev.types.map((t) => coded('EventTypeCode', t)),
    ...(r.message ? [`<EventOutcomeDescription>${xmlEscape(r.message)}</EventOutcomeDescription>`] : []),
    '</EventIdentification>',
  );
  out.push(
    `<ActiveParticipant${attrs({
      UserID: r.who,
      AlternativeUserID: r.osUser !== r.who ? r.osUser : undefined,
      UserName: r.temporalIdentity,
      UserIsRequestor: 'true',
      NetworkAccessPointID: r.host,
      NetworkAccessPointTypeCode: '1',
    })}>`,
    coded('RoleIDCode', ev.operatorRole),
    '</ActiveParticipant>',
    `<ActiveParticipant${attrs({
      UserID: 'cxr-pipeline',
      AlternativeUserID: String(r.pid),
      UserIsRequestor: 'false',
      NetworkAccessPointID: r.host,
      NetworkAccessPointTypeCode: '1',
    })}>`,
    coded('RoleIDCode', ev.pipelineRole),
    '</ActiveParticipant>',
    `<AuditSourceIdentification${attrs({ AuditSourceID: `cxr-pipeline@${r.host}` })}>`,
    '<AuditSourceTypeCode csd-code="4" codeSystemName="DCM" originalText="Application Server process tier in a multi-tier system"/>',
    '</AuditSourceIdentification>',
  );
  for (const o of objectsOf(r)) {
    out.push(
      `<ParticipantObjectIdentification${attrs({
        ParticipantObjectID: o.id,
        ParticipantObjectTypeCode: o.typeCode,
        ParticipantObjectTypeCodeRole: o.role,
      })}>`,
      coded('ParticipantObjectIDTypeCode', o.idType),
      ...(o.name ? [`<ParticipantObjectName>${xmlEscape(o.name)}</ParticipantObjectName>`] : []),
      ...o.details.map(([k, v]) => detail(k, v)),
      '</ParticipantObjectIdentification>',
    );
  }
  out.push('</AuditMessage>');
  return out.join('');
}
