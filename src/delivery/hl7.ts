/**
 * HL7 v2.5 messages of the HL7 sink (pure; the MLLP exchange is in src/activities/deliver.ts):
 * ORU^R01 (MSH with the stable control id, PID from the source's patient module, OBR for the study, OBX per finding)
 * and the ACK a receiver answers with, both ways (build and parse), so the tests' listeners speak the same grammar.
 */
import type { StudySummary } from '../contracts';
import type { DeliveryPatient, DeliveryStudy } from './types';

/** Segments end with a carriage return (HL7 v2 2.5, 2.6). */
export const SEGMENT_END = '\r';

/** Escape one component's text: \ | ^ & ~ become \E\ \F\ \S\ \T\ \R\ (HL7 v2 2.7); line breaks become \.br\. */
export function escapeHl7(text: string): string {
  return text
    .replace(/\\/g, '\\E\\')
    .replace(/\|/g, '\\F\\')
    .replace(/\^/g, '\\S\\')
    .replace(/&/g, '\\T\\')
    .replace(/~/g, '\\R\\')
    .replace(/\r\n|\r|\n/g, '\\.br\\');
}

export function unescapeHl7(text: string): string {
  const map: Record<string, string> = { E: '\\', F: '|', S: '^', T: '&', R: '~', '.br': '\r' };
  return text.replace(/\\(E|F|S|T|R|\.br)\\/g, (_, k: string) => map[k]);
}

/** ISO 8601 -> HL7 DTM in UTC: YYYYMMDDHHMMSS+0000. */
export function hl7Time(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new Error(`not a time: ${iso}`);
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + '+0000';
}

/** DICOM PN (Family^Given^Middle^Prefix^Suffix) -> HL7 XPN (Family^Given^Middle^Suffix^Prefix), escaped. */
export function xpnFromDicom(pn: string | undefined): string {
  if (!pn) return '';
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = pn.split('=')[0].split('^');
  return [family, given, middle, suffix, prefix].map(escapeHl7).join('^').replace(/\^+$/, '');
}

export interface OruParties {
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
}

export interface OruInput extends OruParties {
  /** MSH-10: the stable message id (20 characters at most). */
  controlId: string;
  patient: DeliveryPatient;
  study: DeliveryStudy;
  summary: StudySummary;
}

/** Local code system of the labels and the algorithm (HL7 "L" would do; 99CXR names the pipeline). */
export const LOCAL_CODING = '99CXR';

function seg(...fields: string[]): string {
  return fields.join('|').replace(/\|+$/, '');
}

/**
 * The ORU^R01 for one study completion. Deterministic: its timestamps come from the summary (completion time), so a
 * retry sends the same bytes. Processing ID P, version 2.5, original acknowledgement mode (the listener's ACK).
 */
export function buildOruR01(input: OruInput): string {
  const { summary, patient, study } = input;
  if (input.controlId.length === 0 || input.controlId.length > 20) {
    throw new Error(`MSH-10 must be 1..20 characters (got ${input.controlId.length})`);
  }
  if (!patient.id) throw new Error('PID-3 needs the patient ID');
  const when = hl7Time(summary.completedAt);
  const studyTime = study.studyDate ? `${study.studyDate}${(study.studyTime ?? '').replace(/\..*$/, '')}` : '';
  const filler = escapeHl7(study.accessionNumber || input.controlId);
  const lines = [
    seg(
      'MSH',
      '^~\\&',
      escapeHl7(input.sendingApplication),
      escapeHl7(input.sendingFacility),
      escapeHl7(input.receivingApplication),
      escapeHl7(input.receivingFacility),
      when,
      '',
      'ORU^R01^ORU_R01',
      escapeHl7(input.controlId),
      'P',
      '2.5',
    ),
    seg(
      'PID',
      '1',
      '',
      `${escapeHl7(patient.id)}^^^${patient.issuer ? escapeHl7(patient.issuer) : ''}^PI`,
      '',
      xpnFromDicom(patient.name),
      '',
      patient.birthDate ?? '',
      patient.sex && /^[MFO]$/.test(patient.sex) ? patient.sex : 'U',
    ),
    // OBR-3 filler order (accession number), OBR-4 the service, OBR-7 study time, OBR-22 result time,
    // OBR-24 diagnostic service section RAD, OBR-25 result status F (final).
    seg(
      'OBR',
      '1',
      '',
      `${filler}^${escapeHl7(input.sendingApplication)}`,
      `CXR-AI^${escapeHl7(study.description || 'Chest X-ray AI result')}^${LOCAL_CODING}`,
      '',
      '',
      studyTime,
      ...Array<string>(14).fill(''),
      when,
      '',
      'RAD',
      'F',
    ),
  ];
  let n = 0;
  const obx = (type: string, code: string, value: string, rest: string[] = []): void => {
    n += 1;
    lines.push(seg('OBX', String(n), type, code, '', value, ...rest));
  };
  obx('ST', `110180^Study Instance UID^DCM`, escapeHl7(summary.studyInstanceUid), ['', '', '', '', '', 'F']);
  for (const f of summary.highestFindings) {
    // OBX-5 the probability, OBX-6 unit 1 (UCUM), OBX-7 the range below the threshold, OBX-8 A (at or above) or N.
    obx('NM', `${escapeHl7(f.label)}^${escapeHl7(f.label)}^${LOCAL_CODING}`, f.probability.toFixed(4), [
      '1^^UCUM',
      `<${f.threshold}`,
      f.positive ? 'A' : 'N',
      '',
      '',
      'F',
      '',
      '',
      when,
    ]);
  }
  const done = summary.images.filter((i) => i.status === 'done').length;
  obx('ST', `ALGORITHM^Algorithm^${LOCAL_CODING}`, escapeHl7(`${summary.model.id}@${summary.model.version}`), [
    '',
    '',
    '',
    '',
    '',
    'F',
  ]);
  obx('ST', `IMAGES^Images analysed^${LOCAL_CODING}`, escapeHl7(`${done} of ${summary.images.length} classified`), [
    '',
    '',
    '',
    '',
    '',
    'F',
  ]);
  return lines.join(SEGMENT_END) + SEGMENT_END;
}

/** Segments and their fields (field 0 is the segment name; MSH's field 1 is the separator itself, as in HL7). */
export function parseHl7(message: string): string[][] {
  const segments = message.split(/\r\n|\r|\n/).filter((s) => s.length > 0);
  return segments.map((s) => {
    const fields = s.split('|');
    return fields[0] === 'MSH' ? ['MSH', '|', ...fields.slice(1)] : fields;
  });
}

/** A field of the first segment named `name` (HL7 numbering: MSH-10 is field(m, 'MSH', 10)). */
export function field(segments: string[][], name: string, n: number): string | undefined {
  return segments.find((s) => s[0] === name)?.[n];
}

export type AckCode = 'AA' | 'AE' | 'AR' | 'CA' | 'CE' | 'CR';

export interface Ack {
  code: AckCode;
  /** MSA-2: the control id of the message it answers. */
  controlId: string;
  text?: string;
  /** ERR-8 (user message) or ERR-3 (HL7 error code), when present. */
  error?: string;
}

/** Parse an ACK; throws when it is not one. */
export function parseAck(message: string): Ack {
  const segs = parseHl7(message);
  if (segs[0]?.[0] !== 'MSH') throw new Error('not an HL7 message (no MSH)');
  const code = field(segs, 'MSA', 1);
  if (!code || !/^(AA|AE|AR|CA|CE|CR)$/.test(code)) throw new Error(`no MSA-1 acknowledgment code (got ${code})`);
  const err = segs.find((s) => s[0] === 'ERR');
  const text = field(segs, 'MSA', 3);
  const error = err ? err[8] || err[3] : undefined;
  return {
    code: code as AckCode,
    controlId: unescapeHl7(field(segs, 'MSA', 2) ?? ''),
    ...(text ? { text: unescapeHl7(text) } : {}),
    ...(error ? { error: unescapeHl7(error) } : {}),
  };
}

/** The ACK a receiver sends for `message` (used by the tests' listeners; any v2 receiver answers the same shape). */
export function buildAck(message: string, code: AckCode, controlId: string, now: string, text?: string): string {
  const segs = parseHl7(message);
  const msh = segs.find((s) => s[0] === 'MSH');
  if (!msh) throw new Error('not an HL7 message (no MSH)');
  const lines = [
    seg(
      'MSH',
      '^~\\&',
      msh[5] ?? '',
      msh[6] ?? '',
      msh[3] ?? '',
      msh[4] ?? '',
      hl7Time(now),
      '',
      'ACK^R01^ACK',
      controlId,
      'P',
      '2.5',
    ),
    seg('MSA', code, msh[10] ?? '', text ? escapeHl7(text) : ''),
  ];
  if (code !== 'AA' && code !== 'CA')
    lines.push(
      seg('ERR', '', '', '207^Application internal error^HL70357', 'E', '', '', '', text ? escapeHl7(text) : ''),
    );
  return lines.join(SEGMENT_END) + SEGMENT_END;
}
