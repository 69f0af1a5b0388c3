/**
 * Which stored instances a model reads: decided from the model's declared intended input (the manifest's
 * `accepts` section) and the instance's DICOM attributes (Orthanc simplified tags). Pure: no I/O, no clock.
 * The one function the upload activity, and any later re-processing or Orthanc-following path, calls.
 *
 * Rules, checked in this order; the first one an image fails is its skip reason (one type per rule):
 *   1. Modality (0008,0060) in `modalities`                                  else NotChestXray
 *   2. Body Part Examined (0018,0015) in `bodyPartsExamined.values`          else NotChestXray
 *   3. Pixel Data present (a radiograph without an image is a failure)       else NoPixelData (failed)
 *   4. Presentation Intent Type (0008,0068) in `presentationIntentTypes`     else ForProcessingImage
 *   5. Photometric Interpretation (0028,0004) in `photometricInterpretations` else PhotometricNotAccepted
 *   6. View: View Position (0018,5101) in `views.viewPositions`, and the first View Code Sequence (0054,0220) item
 *      in `views.viewCodes`; when both are present both must be accepted    else NotFrontalView
 *   7. Rows (0028,0010) and Columns (0028,0011) at least `minimumSize`       else ImageTooSmall
 *   8. Patient age in `patientAgeYears` [min, max): from Patient Age (0010,1010), else Patient Birth Date
 *      (0010,0030) and Study Date (0008,0020)                                else OutsideAgeRange
 *
 * Missing attributes are a decision of the manifest, rule by rule (`ifMissing: 'accept' | 'skip'`), because what is
 * normal depends on the source: CR and Secondary Capture IODs have no Presentation Intent Type at all; many chest
 * films (and the NIH ChestX-ray14 secondary captures) carry no View Position; anonymised exports blank the age and
 * birth date. An admitted image whose attribute was missing says so in its report. Always-required: Modality
 * (without it nothing says this is a radiograph) and Photometric Interpretation (Type 1 with pixel data: without it
 * the image cannot be displayed either way round). Rows and Columns are Type 1 as well: when missing, the size rule
 * cannot judge and leaves the image to the pixel decoder, which fails it as unreadable.
 *
 * Image Laterality (0020,0062) is not a rule: the chest is unpaired (DX requires U or empty there; the bundled highdicom
 * sample says L regardless), so it tells nothing about the view. A model for a paired part would add one here.
 *
 * Skip messages carry no patient data (Temporal histories must not): an age rule says "younger than 18 years",
 * never the age itself; the operator finds the value in Orthanc.
 */
import type { ReasonType } from '../reasons';
import {
  type Code,
  VIEW_ANTERO_POSTERIOR,
  VIEW_FRONTAL,
  VIEW_LATERAL,
  VIEW_LEFT_LATERAL,
  VIEW_POSTERO_ANTERIOR,
  VIEW_RIGHT_LATERAL,
} from './codes';
import { hasTag, type SimplifiedTags, tagItem, tagString as str } from './tags';
import type { AcceptedInput, Admission, CodedValue, Eligibility, IfMissing } from '../contracts';

/** Orthanc's simplified tags: the one declaration is src/dicom/tags.ts. */
export type Tags = SimplifiedTags;

/** The skip (and failure) reasons this module decides; declared with the others in src/reasons.ts. */
export const ELIGIBILITY_REASONS = {
  notChestXray: 'NotChestXray',
  noPixelData: 'NoPixelData',
  forProcessing: 'ForProcessingImage',
  photometric: 'PhotometricNotAccepted',
  notFrontal: 'NotFrontalView',
  tooSmall: 'ImageTooSmall',
  age: 'OutsideAgeRange',
} as const satisfies Record<string, ReasonType>;

/**
 * Well-known View Code Sequence concepts (CID 4010 "DX View", SNOMED CT, plus the legacy SNOMED-RT codes older
 * modalities still write) and the View Position term each means: used to read a legacy code as its SNOMED CT
 * equivalent, to name a code in messages, and to give the SR a coded view for a View Position.
 */
const VIEW_CODES: readonly { code: Code; legacy?: string; viewPosition?: string }[] = [
  { code: VIEW_POSTERO_ANTERIOR, legacy: 'R-10214', viewPosition: 'PA' },
  { code: VIEW_ANTERO_POSTERIOR, legacy: 'R-10206', viewPosition: 'AP' },
  { code: VIEW_FRONTAL },
  { code: VIEW_LEFT_LATERAL, legacy: 'R-10232', viewPosition: 'LL' },
  { code: VIEW_RIGHT_LATERAL, legacy: 'R-10236', viewPosition: 'RL' },
  { code: VIEW_LATERAL, legacy: 'R-102CD' },
];

/** The SNOMED CT concept a code stands for (a legacy SRT code mapped), with its standard meaning when known. */
function canonicalCode(c: CodedValue): CodedValue {
  const scheme = c.scheme.toUpperCase();
  const row = VIEW_CODES.find(
    (r) => (scheme === 'SCT' && r.code.value === c.value) || (scheme === 'SRT' && r.legacy === c.value),
  );
  return row ? { ...row.code } : { value: c.value, scheme, meaning: c.meaning };
}

function upper(tags: Tags, key: string): string | undefined {
  return str(tags, key)?.toUpperCase();
}

function posInt(tags: Tags, key: string): number | undefined {
  const s = str(tags, key);
  const n = s === undefined ? NaN : Number(s.split('\\')[0]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Patient age in years from an AS value (nnnD/W/M/Y). A bare number (a common non-conformance) is read as years. */
export function ageFromAgeString(as: string): number | undefined {
  const m = /^(\d{1,3})\s*([DWMY]?)$/i.exec(as.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const per: Record<string, number> = { D: 365.25, W: 52.1775, M: 12, Y: 1, '': 1 };
  return n / per[m[2].toUpperCase()];
}

function parseDa(v: string | undefined): { y: number; m: number; d: number } | undefined {
  const m = v === undefined ? null : /^(\d{4})(\d{2})(\d{2})$/.exec(v);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return undefined;
  return { y, m: mo, d };
}

/** Completed years between two DA values, or undefined when either is unusable or the study predates the birth. */
export function ageFromDates(birthDate: string | undefined, studyDate: string | undefined): number | undefined {
  const b = parseDa(birthDate);
  const s = parseDa(studyDate);
  if (!b || !s) return undefined;
  const years = s.y - b.y - (s.m < b.m || (s.m === b.m && s.d < b.d) ? 1 : 0);
  return years >= 0 ? years : undefined;
}

/** The patient's age in years and where it was read, or undefined when the header does not say. */
export function patientAge(tags: Tags): { years: number; from: string } | undefined {
  const as = str(tags, 'PatientAge');
  const fromAs = as === undefined ? undefined : ageFromAgeString(as);
  if (fromAs !== undefined) return { years: fromAs, from: 'Patient Age' };
  const fromDates = ageFromDates(str(tags, 'PatientBirthDate'), str(tags, 'StudyDate'));
  if (fromDates !== undefined) return { years: fromDates, from: 'Patient Birth Date and Study Date' };
  return undefined;
}

function list(values: readonly string[]): string {
  return values.length === 0 ? 'none' : values.join(', ');
}

function codeText(c: CodedValue): string {
  return `(${c.value}, ${c.scheme}, "${c.meaning}")`;
}

const skip = (type: ReasonType, message: string): Eligibility => ({ classify: false, type, message });
const NOT_CLASSIFIED = 'Stored in Orthanc, not classified.';

/** The view rule alone: what the header says, and whether the model accepts it. */
function decideView(
  accepts: AcceptedInput['views'],
  tags: Tags,
): { ok: true; admitted: Admission['view'] } | { ok: false; message: string } {
  const vp = upper(tags, 'ViewPosition');
  const item = tagItem(tags, 'ViewCodeSequence');
  const rawValue = item ? str(item, 'CodeValue') : undefined;
  const rawScheme = item ? str(item, 'CodingSchemeDesignator') : undefined;
  const code =
    rawValue !== undefined && rawScheme !== undefined
      ? canonicalCode({ value: rawValue, scheme: rawScheme, meaning: (item && str(item, 'CodeMeaning')) ?? '?' })
      : undefined;
  const accepted = `${list(accepts.viewPositions)}${
    accepts.viewCodes.length > 0 ? ` (View Position) or ${accepts.viewCodes.map(codeText).join(', ')}` : ''
  }`;
  if (vp === undefined && code === undefined) {
    if (accepts.ifMissing === 'accept') return { ok: true, admitted: { value: null, from: 'missing' } };
    return {
      ok: false,
      message: `The image records no view (View Position and View Code Sequence are empty) and this model's manifest requires one of ${accepted}. Record the view at the modality, or classify it with a model that accepts unrecorded views. ${NOT_CLASSIFIED}`,
    };
  }
  if (vp !== undefined && !accepts.viewPositions.includes(vp)) {
    return {
      ok: false,
      message: `View Position is ${vp}; the model was made for ${list(accepts.viewPositions)} views only (${
        vp === 'LL' || vp === 'RL' ? 'a lateral film' : 'not one it reads'
      }). ${NOT_CLASSIFIED}`,
    };
  }
  if (code !== undefined) {
    const ok = accepts.viewCodes.some((c) => {
      const a = canonicalCode(c);
      return a.scheme === code.scheme && a.value === code.value;
    });
    if (!ok) {
      return {
        ok: false,
        message: `View Code Sequence is ${codeText(code)}${
          vp !== undefined ? ` (View Position says ${vp})` : ''
        }; the model was made for ${accepted}. ${NOT_CLASSIFIED}`,
      };
    }
    if (vp === undefined) return { ok: true, admitted: { value: code.meaning, from: 'ViewCodeSequence', code } };
  }
  const vpCode = code ?? VIEW_CODES.find((r) => r.viewPosition === vp)?.code;
  return {
    ok: true,
    admitted: { value: vp as string, from: 'ViewPosition', ...(vpCode !== undefined ? { code: { ...vpCode } } : {}) },
  };
}

/** One line saying what a model accepts (for `cxr doctor` and the worker's start line). */
export function describeAccepts(a: AcceptedInput): string {
  const missing = (m: IfMissing): string => (m === 'accept' ? 'or unrecorded' : 'required');
  const age = a.patientAgeYears;
  return [
    `${list(a.modalities)}`,
    `body part ${list(a.bodyPartsExamined.values)} ${missing(a.bodyPartsExamined.ifMissing)}`,
    `views ${list(a.views.viewPositions)} ${missing(a.views.ifMissing)}`,
    `${list(a.presentationIntentTypes.values)} ${missing(a.presentationIntentTypes.ifMissing)}`,
    list(a.photometricInterpretations),
    `at least ${a.minimumSize.columns}x${a.minimumSize.rows}`,
    age === undefined
      ? 'any age'
      : `age ${age.min !== undefined ? `>= ${age.min}` : ''}${age.min !== undefined && age.max !== undefined ? ' and ' : ''}${
          age.max !== undefined ? `< ${age.max}` : ''
        } years ${missing(age.ifMissing)}`,
  ].join('; ');
}

/**
 * Should the model classify this instance? `accepts` is the model manifest's section, `tags` the instance's
 * simplified tags (Orthanc's /instances/{id}/simplified-tags: Pixel Data is listed, with a null value, exactly when
 * present). Returns the skip reason of the first rule the image fails, or the admission: what each rule found, in
 * words a reader of the report can check against the image header (never the patient's age or other demographics).
 */
export function decideEligibility(accepts: AcceptedInput, tags: Tags): Eligibility {
  const R = ELIGIBILITY_REASONS;
  const rules: string[] = [];

  const modality = upper(tags, 'Modality');
  if (modality === undefined || !accepts.modalities.includes(modality)) {
    return skip(
      R.notChestXray,
      `Modality is ${modality ?? 'missing'}; the model reads ${list(accepts.modalities)} images only. ${NOT_CLASSIFIED}`,
    );
  }
  rules.push(`Modality ${modality}`);

  const bodyPart = upper(tags, 'BodyPartExamined');
  if (bodyPart === undefined) {
    if (accepts.bodyPartsExamined.ifMissing === 'skip') {
      return skip(
        R.notChestXray,
        `Body Part Examined is empty and this model's manifest requires one of ${list(accepts.bodyPartsExamined.values)}. ${NOT_CLASSIFIED}`,
      );
    }
    rules.push('Body Part Examined not recorded (accepted when missing)');
  } else if (!accepts.bodyPartsExamined.values.includes(bodyPart)) {
    return skip(
      R.notChestXray,
      `Body Part Examined is ${bodyPart}; the model reads ${list(accepts.bodyPartsExamined.values)} only. ${NOT_CLASSIFIED}`,
    );
  } else {
    rules.push(`Body Part Examined ${bodyPart}`);
  }

  const hasPixelData = ['PixelData', 'FloatPixelData', 'DoubleFloatPixelData'].some((k) => hasTag(tags, k));
  if (!hasPixelData) {
    return skip(
      R.noPixelData,
      `This ${modality} instance has no pixel data, so there is no image to classify. Re-export it from the modality with the image.`,
    );
  }

  const intent = upper(tags, 'PresentationIntentType');
  if (intent === undefined) {
    if (accepts.presentationIntentTypes.ifMissing === 'skip') {
      return skip(
        R.forProcessing,
        `The image has no Presentation Intent Type and this model's manifest requires ${list(accepts.presentationIntentTypes.values)}. ${NOT_CLASSIFIED}`,
      );
    }
    rules.push('Presentation Intent Type not recorded (accepted when missing: CR and secondary captures have none)');
  } else if (!accepts.presentationIntentTypes.values.includes(intent)) {
    return skip(
      R.forProcessing,
      `Presentation Intent Type is ${intent}: a raw detector image, not a viewable radiograph; the model reads ${list(accepts.presentationIntentTypes.values)} images. Send the processed (FOR PRESENTATION) image from the modality. ${NOT_CLASSIFIED}`,
    );
  } else {
    rules.push(`Presentation Intent Type ${intent}`);
  }

  const photometric = upper(tags, 'PhotometricInterpretation');
  if (photometric === undefined || !accepts.photometricInterpretations.includes(photometric)) {
    return skip(
      R.photometric,
      `Photometric Interpretation is ${photometric ?? 'missing'}; the model reads ${list(accepts.photometricInterpretations)} images only. ${NOT_CLASSIFIED}`,
    );
  }
  rules.push(`Photometric Interpretation ${photometric}`);

  const view = decideView(accepts.views, tags);
  if (!view.ok) return skip(R.notFrontal, view.message);
  rules.push(
    view.admitted.from === 'missing'
      ? 'View not recorded (View Position and View Code Sequence empty; accepted when missing)'
      : view.admitted.from === 'ViewPosition'
        ? `View Position ${view.admitted.value}`
        : `View Code Sequence ${view.admitted.code ? codeText(view.admitted.code) : view.admitted.value}`,
  );

  const rows = posInt(tags, 'Rows');
  const columns = posInt(tags, 'Columns');
  const min = accepts.minimumSize;
  if (rows !== undefined && columns !== undefined) {
    if (rows < min.rows || columns < min.columns) {
      return skip(
        R.tooSmall,
        `The image is ${columns}x${rows} pixels (columns x rows); the model needs at least ${min.columns}x${min.rows}: it would be enlarged, and a thumbnail or reduced copy holds too little detail to classify. Send the full-resolution image. ${NOT_CLASSIFIED}`,
      );
    }
    rules.push(`Image ${columns}x${rows} (at least ${min.columns}x${min.rows})`);
  }

  const range = accepts.patientAgeYears;
  if (range !== undefined) {
    const age = patientAge(tags);
    const bounds = `${range.min !== undefined ? `at least ${range.min}` : ''}${
      range.min !== undefined && range.max !== undefined ? ' and ' : ''
    }${range.max !== undefined ? `under ${range.max}` : ''} years`;
    if (age === undefined) {
      if (range.ifMissing === 'skip') {
        return skip(
          R.age,
          `The patient's age is not recorded (Patient Age, or Patient Birth Date with Study Date) and the model is meant for patients ${bounds} only. ${NOT_CLASSIFIED}`,
        );
      }
      rules.push(`Patient age not recorded (accepted when missing; the model is meant for patients ${bounds})`);
    } else if (range.min !== undefined && age.years < range.min) {
      return skip(
        R.age,
        `The patient is younger than ${range.min} years (${age.from}); the model is meant for patients ${bounds} only. ${NOT_CLASSIFIED}`,
      );
    } else if (range.max !== undefined && age.years >= range.max) {
      return skip(
        R.age,
        `The patient is ${range.max} years or older (${age.from}); the model is meant for patients ${bounds} only. ${NOT_CLASSIFIED}`,
      );
    } else {
      rules.push(`Patient age within ${bounds} (${age.from})`);
    }
  }

  return { classify: true, admission: { view: view.admitted, rules } };
}
