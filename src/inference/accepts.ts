/**
 * The manifest's `accepts` section: what the model was made for (its intended input), validated at worker start
 * like the rest of the manifest. Every field is required: a model that does not say what it accepts is refused,
 * rather than given defaults nobody chose. The meaning of each field and the rules that read it are in
 * src/dicom/eligibility.ts; scripts/models/common.py writes the torchxrayvision defaults.
 */
import { ModelError } from '../errors';
import type { AcceptedInput, CodedView, IfMissing } from '../dicom/eligibility';

type Json = unknown;

const VIEW_POSITIONS = ['AP', 'PA', 'LL', 'RL', 'RLD', 'LLD', 'RLO', 'LLO'] as const; // PS3.3 C.8.11.5.1.1
// The pixel decoder (src/dicom/pixels.ts) reads greyscale radiographs only.
const PHOTOMETRICS = ['MONOCHROME1', 'MONOCHROME2'] as const;
const INTENTS = ['FOR PRESENTATION', 'FOR PROCESSING'] as const;

/** Validate the `accepts` section of a parsed manifest. `where` names the manifest in errors. */
export function parseAccepts(raw: Json, where: string): AcceptedInput {
  const fail = (field: string, want: string, got: Json): never => {
    throw new ModelError(
      `Model manifest ${where}: field "accepts${field ? '.' + field : ''}" must be ${want} (found ${JSON.stringify(got) ?? 'nothing'}). ` +
        'The "accepts" section declares what the model was made for (see src/dicom/eligibility.ts).',
    );
  };
  const obj = (v: Json, field: string): Record<string, Json> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'an object', v);
    return v as Record<string, Json>;
  };
  const terms = (v: Json, field: string, allowed?: readonly string[], canBeEmpty = false): string[] => {
    if (!Array.isArray(v) || (!canBeEmpty && v.length === 0)) fail(field, 'a non-empty list of DICOM terms', v);
    const list = v as Json[];
    for (const t of list) {
      if (typeof t !== 'string' || t.trim() === '' || t !== t.trim().toUpperCase())
        fail(field, 'upper-case DICOM terms without spaces around them', t);
      if (allowed && !allowed.includes(t as string)) fail(field, `terms among ${allowed.join(', ')}`, t);
    }
    return list as string[];
  };
  const ifMissing = (v: Json, field: string): IfMissing => {
    if (v !== 'accept' && v !== 'skip') fail(field, '"accept" or "skip" (what to do when the attribute is empty)', v);
    return v as IfMissing;
  };
  const size = (v: Json, field: string): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) fail(field, 'an integer in [1, 65535]', v);
    return v as number;
  };
  const years = (v: Json, field: string): number | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 150)
      fail(field, 'a number of years in [0, 150]', v);
    return v as number;
  };

  const a = obj(raw, '');
  const body = obj(a.bodyPartsExamined, 'bodyPartsExamined');
  const intent = obj(a.presentationIntentTypes, 'presentationIntentTypes');
  const views = obj(a.views, 'views');
  const min = obj(a.minimumSize, 'minimumSize');

  if (!Array.isArray(views.viewCodes)) fail('views.viewCodes', 'a list of codes (may be empty)', views.viewCodes);
  const viewCodes: CodedView[] = (views.viewCodes as Json[]).map((c, i) => {
    const o = obj(c, `views.viewCodes[${i}]`);
    for (const k of ['value', 'scheme', 'meaning'] as const) {
      if (typeof o[k] !== 'string' || (o[k] as string).trim() === '')
        fail(`views.viewCodes[${i}].${k}`, 'a non-empty string', o[k]);
    }
    return { value: o.value as string, scheme: o.scheme as string, meaning: o.meaning as string };
  });

  let patientAgeYears: AcceptedInput['patientAgeYears'];
  if (a.patientAgeYears !== undefined && a.patientAgeYears !== null) {
    const p = obj(a.patientAgeYears, 'patientAgeYears');
    const lo = years(p.min, 'patientAgeYears.min');
    const hi = years(p.max, 'patientAgeYears.max');
    if (lo === undefined && hi === undefined) fail('patientAgeYears', 'a min and/or max (or leave the section out)', p);
    if (lo !== undefined && hi !== undefined && !(hi > lo)) fail('patientAgeYears.max', 'greater than min', hi);
    patientAgeYears = {
      ...(lo !== undefined ? { min: lo } : {}),
      ...(hi !== undefined ? { max: hi } : {}),
      ifMissing: ifMissing(p.ifMissing, 'patientAgeYears.ifMissing'),
    };
  }
  if (a.basis !== undefined && typeof a.basis !== 'string') fail('basis', 'a string', a.basis);
  if (a.patientSpecies !== undefined && a.patientSpecies !== 'human' && a.patientSpecies !== 'any')
    fail('patientSpecies', '"human" or "any" (or leave it out: human)', a.patientSpecies);

  return {
    modalities: terms(a.modalities, 'modalities'),
    bodyPartsExamined: {
      values: terms(body.values, 'bodyPartsExamined.values'),
      ifMissing: ifMissing(body.ifMissing, 'bodyPartsExamined.ifMissing'),
    },
    presentationIntentTypes: {
      values: terms(intent.values, 'presentationIntentTypes.values', INTENTS),
      ifMissing: ifMissing(intent.ifMissing, 'presentationIntentTypes.ifMissing'),
    },
    photometricInterpretations: terms(a.photometricInterpretations, 'photometricInterpretations', PHOTOMETRICS),
    views: {
      viewPositions: terms(views.viewPositions, 'views.viewPositions', VIEW_POSITIONS),
      viewCodes,
      ifMissing: ifMissing(views.ifMissing, 'views.ifMissing'),
    },
    minimumSize: { rows: size(min.rows, 'minimumSize.rows'), columns: size(min.columns, 'minimumSize.columns') },
    ...(a.patientSpecies === 'any' || a.patientSpecies === 'human' ? { patientSpecies: a.patientSpecies } : {}),
    ...(patientAgeYears ? { patientAgeYears } : {}),
    ...(typeof a.basis === 'string' ? { basis: a.basis } : {}),
  };
}
