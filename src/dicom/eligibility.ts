/**
 * Which stored instances a model reads: decided from the model's declared intended input (the manifest's
 * `accepts` section) and the instance's DICOM attributes (Orthanc simplified tags). Pure: no I/O, no clock.
 * The one function the upload activity, and any later re-processing or Orthanc-following path, calls.
 *
 * Rules, checked in this order; the first one an image fails is its skip reason (one type per rule):
 *   1. Modality (0008,0060) in `modalities`                                  else NotChestXray
 *   2. Body Part Examined (0018,0015) in `bodyPartsExamined.values`          else NotChestXray
 *   3. Species: a human patient, unless `patientSpecies` is `any`             else NonHumanPatient
 *      Read from Patient Species Code Sequence (0010,2202), else Patient Species Description (0010,2201), else
 *      Patient Breed Description / Code Sequence (0010,2292 / 2293: animals only), else an animal named in the
 *      protocol texts below or Study Description (CANINE, FELINE, EQUINE, VETERINARY, DOG, ...). Nothing recorded:
 *      a human patient (DICOM writes species for veterinary patients only), and the SR adds no line for it.
 *   4. Pixel Data present (a radiograph without an image is a failure)       else NoPixelData (failed)
 *   5. Presentation Intent Type (0008,0068) in `presentationIntentTypes`     else ForProcessingImage
 *   6. Photometric Interpretation (0028,0004) in `photometricInterpretations` else PhotometricNotAccepted
 *   7. View: View Position (0018,5101) in `views.viewPositions`, and the first View Code Sequence (0054,0220) item
 *      in `views.viewCodes`; when both are present both must be accepted    else NotFrontalView
 *      When both are empty (many CR plates, veterinary DR, secondary captures), the texts modalities write the
 *      protocol into, in this order: Performed Protocol Code Sequence (0040,0260) code meanings, Acquisition Context
 *      Sequence (0040,0555) concept meanings and text values, Protocol Name (0018,1030), Acquisition Device
 *      Processing Description (0018,1400, where Fuji/Konica write the exposure menu), Series Description
 *      (0008,103E). Each is read for view words (PA, AP, FRONTAL; LAT, LATERAL, LL, RL; DECUB, LLD, RLD; OBL, LAO,
 *      RAO...; see TEXT_VIEWS): a text naming a view the model does not accept skips the image (any one of them:
 *      conservative), else the first text naming an accepted view admits it, and the SR names that attribute and
 *      its text. A text naming both a frontal and a lateral view ("PA + LAT", a series of both) decides nothing;
 *      decubitus and oblique override the projection ("AP LEFT LATERAL DECUBITUS" is a decubitus view). No text
 *      names a view: the manifest's `views.ifMissing` decides, as before. Study Description is not read for the
 *      view: it names the whole examination ("CHEST 2 VIEWS"), not this image.
 *   8. Rows (0028,0010) and Columns (0028,0011) at least `minimumSize`       else ImageTooSmall
 *   9. Patient age in `patientAgeYears` [min, max): from Patient Age (0010,1010), else Patient Birth Date
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
  SPECIES_HOMO_SAPIENS,
  VIEW_ANTERO_POSTERIOR,
  VIEW_FRONTAL,
  VIEW_LATERAL,
  VIEW_LEFT_LATERAL,
  VIEW_POSTERO_ANTERIOR,
  VIEW_RIGHT_LATERAL,
} from './codes';
import { hasTag, type SimplifiedTags, tagItem, tagString as str } from './tags';
import type { Admission, Eligibility, ViewSource } from '../contracts';

/** A coded concept as DICOM writes it in a Code Sequence item. */
export interface CodedView {
  value: string;
  scheme: string;
  meaning: string;
}

export type IfMissing = 'accept' | 'skip';

/** The manifest's `accepts` section: what the model was made for. Validated by src/inference/accepts.ts. */
export interface AcceptedInput {
  /** Modality values (CS), e.g. CR, DX. */
  modalities: string[];
  /** Body Part Examined values (CS), e.g. CHEST, THORAX. */
  bodyPartsExamined: { values: string[]; ifMissing: IfMissing };
  /** Presentation Intent Type values, e.g. FOR PRESENTATION. */
  presentationIntentTypes: { values: string[]; ifMissing: IfMissing };
  /** Photometric Interpretation values, e.g. MONOCHROME1, MONOCHROME2. */
  photometricInterpretations: string[];
  /** View Position defined terms (PA, AP, LL, ...) and View Code Sequence codes (CID 4010) that are accepted. */
  views: { viewPositions: string[]; viewCodes: CodedView[]; ifMissing: IfMissing };
  /** Smallest Rows x Columns read (the model enlarges smaller images, inventing no detail). */
  minimumSize: { rows: number; columns: number };
  /**
   * `human` (the default when absent): a patient recorded (or described) as another species is skipped
   * (NonHumanPatient); `any`: any species is read (a veterinary model).
   */
  patientSpecies?: 'human' | 'any';
  /** Patient age range in years, min inclusive, max exclusive; absent: any age. */
  patientAgeYears?: { min?: number; max?: number; ifMissing: IfMissing };
  /** Why these values (e.g. the training data they follow); shown to people reading the manifest. */
  basis?: string;
}

/** Orthanc's simplified tags: the one declaration is src/dicom/tags.ts. */
export type Tags = SimplifiedTags;

/** The skip (and failure) reasons this module decides; declared with the others in src/reasons.ts. */
export const ELIGIBILITY_REASONS = {
  notChestXray: 'NotChestXray',
  noPixelData: 'NoPixelData',
  forProcessing: 'ForProcessingImage',
  photometric: 'PhotometricNotAccepted',
  notFrontal: 'NotFrontalView',
  nonHuman: 'NonHumanPatient',
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
function canonicalCode(c: CodedView): CodedView {
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

function codeText(c: { value: string; scheme: string; meaning: string }): string {
  return `(${c.value}, ${c.scheme}, "${c.meaning}")`;
}

const skip = (type: ReasonType, message: string): Eligibility => ({ classify: false, type, message });
const NOT_CLASSIFIED = 'Stored in Orthanc, not classified.';

/** The names of the attributes a view is read from, as the SR and the skip messages print them. */
export const VIEW_SOURCE_NAMES: Readonly<Record<ViewSource, string>> = {
  ViewPosition: 'View Position',
  ViewCodeSequence: 'View Code Sequence',
  PerformedProtocolCodeSequence: 'Performed Protocol Code Sequence',
  AcquisitionContextSequence: 'Acquisition Context Sequence',
  ProtocolName: 'Protocol Name',
  AcquisitionDeviceProcessingDescription: 'Acquisition Device Processing Description',
  SeriesDescription: 'Series Description',
};

type TextSource = Exclude<ViewSource, 'ViewPosition' | 'ViewCodeSequence'>;

/** A view named in free text, and the View Position terms it stands for (any one accepted admits it). */
interface TextView {
  label: string;
  kind: 'frontal' | 'lateral' | 'decubitus' | 'oblique';
  positions: readonly string[];
  code?: Code;
}

/**
 * View words as modalities write them in protocol names and series descriptions (whole words, after upper-casing
 * and turning punctuation into spaces: "Chest P-A" reads "CHEST P A", so "P A" is listed). More specific rows
 * (one View Position) win over generic ones of the same kind.
 */
const TEXT_VIEWS: readonly { words: readonly string[]; view: TextView }[] = [
  {
    words: ['PA', 'P A', 'POSTEROANTERIOR', 'POSTERO ANTERIOR', 'POSTERIOR ANTERIOR'],
    view: { label: 'PA', kind: 'frontal', positions: ['PA'], code: VIEW_POSTERO_ANTERIOR },
  },
  {
    words: ['AP', 'A P', 'ANTEROPOSTERIOR', 'ANTERO POSTERIOR', 'ANTERIOR POSTERIOR'],
    view: { label: 'AP', kind: 'frontal', positions: ['AP'], code: VIEW_ANTERO_POSTERIOR },
  },
  { words: ['FRONTAL'], view: { label: 'frontal', kind: 'frontal', positions: ['PA', 'AP'], code: VIEW_FRONTAL } },
  {
    words: ['LL', 'LLAT', 'LEFT LATERAL', 'LEFT LAT', 'LT LAT', 'LT LATERAL', 'L LAT'],
    view: { label: 'left lateral', kind: 'lateral', positions: ['LL'], code: VIEW_LEFT_LATERAL },
  },
  {
    words: ['RL', 'RLAT', 'RIGHT LATERAL', 'RIGHT LAT', 'RT LAT', 'RT LATERAL', 'R LAT'],
    view: { label: 'right lateral', kind: 'lateral', positions: ['RL'], code: VIEW_RIGHT_LATERAL },
  },
  {
    words: ['LAT', 'LATERAL', 'LATERALE', 'LATERAAL', 'LATERO', 'SEITLICH', 'X TABLE LAT', 'CROSS TABLE'],
    view: { label: 'lateral', kind: 'lateral', positions: ['LL', 'RL'], code: VIEW_LATERAL },
  },
  {
    words: ['LLD', 'LEFT LATERAL DECUBITUS', 'LEFT DECUB', 'LT DECUB', 'L DECUB'],
    view: { label: 'left lateral decubitus', kind: 'decubitus', positions: ['LLD'] },
  },
  {
    words: ['RLD', 'RIGHT LATERAL DECUBITUS', 'RIGHT DECUB', 'RT DECUB', 'R DECUB'],
    view: { label: 'right lateral decubitus', kind: 'decubitus', positions: ['RLD'] },
  },
  {
    words: ['DECUB', 'DECUBITUS', 'LATERAL DECUBITUS'],
    view: { label: 'decubitus', kind: 'decubitus', positions: ['LLD', 'RLD'] },
  },
  {
    words: ['OBL', 'OBLIQUE', 'LAO', 'RAO', 'LPO', 'RPO', 'RLO', 'LLO'],
    view: { label: 'oblique', kind: 'oblique', positions: ['RLO', 'LLO'] },
  },
];

/** " WORD WORD " for whole-word matching. */
function words(text: string): string {
  return ` ${text
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, ' ')
    .trim()} `;
}

/**
 * The view a text names, or undefined when it names none, or both a frontal and a lateral view (ambiguous).
 * Decubitus and oblique override the projection words they come with.
 */
export function viewFromText(text: string): TextView | undefined {
  const w = words(text);
  const found = TEXT_VIEWS.filter((row) => row.words.some((word) => w.includes(` ${word} `))).map((r) => r.view);
  if (found.length === 0) return undefined;
  const modifier = found.find((v) => v.kind === 'decubitus') ?? found.find((v) => v.kind === 'oblique');
  const kinds = new Set(found.map((v) => v.kind));
  const kind = modifier?.kind ?? (kinds.size === 1 ? found[0].kind : undefined);
  if (kind === undefined) return undefined;
  const ofKind = found.filter((v) => v.kind === kind);
  const specific = ofKind.filter((v) => v.positions.length === 1);
  // One specific view (e.g. "LEFT LATERAL" with its generic "LATERAL"), else the generic one of that kind.
  const distinct = [...new Set(specific.map((v) => v.label))];
  if (distinct.length === 1) return specific[0];
  return (
    ofKind.find((v) => v.positions.length > 1) ??
    TEXT_VIEWS.find((r) => r.view.kind === kind && r.view.positions.length > 1)?.view
  );
}

/** The texts modalities write the protocol into, in reading order (see rule 7 above). */
function protocolTexts(tags: Tags): { from: TextSource; text: string }[] {
  const out: { from: TextSource; text: string }[] = [];
  const items = (k: string): Tags[] => {
    const v = tags[k];
    return Array.isArray(v) ? v : [];
  };
  for (const it of items('PerformedProtocolCodeSequence')) {
    const m = str(it, 'CodeMeaning');
    if (m !== undefined) out.push({ from: 'PerformedProtocolCodeSequence', text: m });
  }
  for (const it of items('AcquisitionContextSequence')) {
    const concept = tagItem(it, 'ConceptCodeSequence');
    const m = concept ? str(concept, 'CodeMeaning') : undefined;
    if (m !== undefined) out.push({ from: 'AcquisitionContextSequence', text: m });
    const t = str(it, 'TextValue');
    if (t !== undefined) out.push({ from: 'AcquisitionContextSequence', text: t });
  }
  for (const k of ['ProtocolName', 'AcquisitionDeviceProcessingDescription', 'SeriesDescription'] as const) {
    const t = str(tags, k);
    if (t !== undefined) out.push({ from: k, text: t });
  }
  return out;
}

/** A header text as a message quotes it: at most 64 characters (an LO), in quotes. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 61)}...` : text);
}

/** Animal words in protocol texts and Study Description (whole words), as veterinary modalities write them. */
const ANIMAL_WORDS = [
  'CANINE',
  'FELINE',
  'EQUINE',
  'BOVINE',
  'OVINE',
  'PORCINE',
  'CAPRINE',
  'LAPINE',
  'AVIAN',
  'VETERINARY',
  'DOG',
  'CAT',
  'HORSE',
] as const;

/** The species rule: what the header says about the patient's species, and whether the model accepts it. */
function decideSpecies(
  accepts: AcceptedInput,
  tags: Tags,
): { ok: true; rule?: string } | { ok: false; message: string } {
  let evidence: { what: string; human: boolean } | undefined;
  const item = tagItem(tags, 'PatientSpeciesCodeSequence');
  const value = item ? str(item, 'CodeValue') : undefined;
  const scheme = item ? str(item, 'CodingSchemeDesignator')?.toUpperCase() : undefined;
  const description = str(tags, 'PatientSpeciesDescription');
  if (item && value !== undefined && scheme !== undefined) {
    const human =
      (scheme === 'SCT' && value === SPECIES_HOMO_SAPIENS.value) || (scheme === 'SRT' && value === 'L-85B00');
    evidence = {
      what: `Patient Species Code Sequence ${codeText({ value, scheme, meaning: str(item, 'CodeMeaning') ?? '?' })}`,
      human,
    };
  } else if (description !== undefined) {
    evidence = {
      what: `Patient Species Description ${quoted(description)}`,
      human: /^(HOMO SAPIENS|HUMAN)$/.test(description.toUpperCase()),
    };
  } else if (str(tags, 'PatientBreedDescription') !== undefined || tagItem(tags, 'PatientBreedCodeSequence')) {
    evidence = {
      what: `Patient Breed Description ${quoted(str(tags, 'PatientBreedDescription') ?? 'coded')} (a breed is recorded for animals only)`,
      human: false,
    };
  } else {
    const texts = [
      ...protocolTexts(tags).map((t) => ({ name: VIEW_SOURCE_NAMES[t.from], text: t.text })),
      ...(str(tags, 'StudyDescription') !== undefined
        ? [{ name: 'Study Description', text: str(tags, 'StudyDescription') as string }]
        : []),
    ];
    for (const t of texts) {
      const w = words(t.text);
      const animal = ANIMAL_WORDS.find((a) => w.includes(` ${a} `));
      if (animal !== undefined) {
        evidence = { what: `${t.name} ${quoted(t.text)} names an animal (${animal})`, human: false };
        break;
      }
    }
  }
  if (evidence === undefined) return { ok: true };
  if (evidence.human) return { ok: true, rule: `${evidence.what} (a human patient)` };
  if (accepts.patientSpecies === 'any') {
    return { ok: true, rule: `${evidence.what} (not a human patient; the model accepts any species)` };
  }
  return {
    ok: false,
    message: `${evidence.what}: a veterinary image; the model was made for human patients only (its manifest's accepts.patientSpecies). ${NOT_CLASSIFIED}`,
  };
}

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
    const named = protocolTexts(tags).flatMap((t) => {
      const view = viewFromText(t.text);
      return view ? [{ ...t, view }] : [];
    });
    const accepted = (v: TextView): boolean => v.positions.some((p) => accepts.viewPositions.includes(p));
    const refused = named.find((n) => !accepted(n.view));
    if (refused !== undefined) {
      return {
        ok: false,
        message: `${VIEW_SOURCE_NAMES[refused.from]} ${quoted(refused.text)} names a ${refused.view.label} view (View Position and View Code Sequence are empty); the model was made for ${list(accepts.viewPositions)} views only. ${NOT_CLASSIFIED}`,
      };
    }
    if (named.length > 0) {
      const n = named[0];
      return {
        ok: true,
        admitted: {
          value: n.view.label,
          from: n.from,
          text: n.text,
          ...(n.view.code !== undefined ? { code: { ...n.view.code } } : {}),
        },
      };
    }
    if (accepts.ifMissing === 'accept') return { ok: true, admitted: { value: null, from: 'missing' } };
    return {
      ok: false,
      message: `The image records no view (View Position and View Code Sequence are empty, and no protocol text names one) and this model's manifest requires one of ${accepted}. Record the view at the modality, or classify it with a model that accepts unrecorded views. ${NOT_CLASSIFIED}`,
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
    a.patientSpecies === 'any' ? 'any species' : 'human patients',
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

  const species = decideSpecies(accepts, tags);
  if (!species.ok) return skip(R.nonHuman, species.message);
  if (species.rule !== undefined) rules.push(species.rule);

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
  const a = view.admitted;
  rules.push(
    a.from === 'missing'
      ? 'View not recorded (View Position and View Code Sequence empty, no protocol text names one; accepted when missing)'
      : a.from === 'ViewPosition'
        ? `View Position ${a.value}`
        : a.from === 'ViewCodeSequence'
          ? `View Code Sequence ${a.code ? codeText(a.code) : a.value}`
          : `${VIEW_SOURCE_NAMES[a.from]} ${quoted(a.text ?? '')} (a ${a.value} view; View Position and View Code Sequence empty)`,
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
