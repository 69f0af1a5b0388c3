/**
 * decideEligibility, rule by rule: each row is one header and the outcome the model's intended input
 * (the torchxrayvision defaults in scripts/models/txv-accepts.json, and the demo manifest) must give it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../../src/config';
import {
  ageFromAgeString,
  ageFromDates,
  decideEligibility,
  describeAccepts,
  type AcceptedInput,
  type Tags,
} from '../../../src/dicom/eligibility';
import { admissionStatement } from '../../../src/dicom/sr/document';
import { parseAccepts } from '../../../src/inference/accepts';
import { readManifest } from '../../../src/inference/manifest';
import { outcomeOf } from '../../../src/reasons';

const TXV: AcceptedInput = parseAccepts(
  JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'scripts', 'models', 'txv-accepts.json'), 'utf8')),
  'txv-accepts.json',
);
const DEMO: AcceptedInput = readManifest(path.join(PROJECT_ROOT, 'models', 'demo-cxr')).accepts;

/** An adult frontal DX chest film that every rule admits; rows below change one thing. */
const FILM: Tags = {
  Modality: 'DX',
  BodyPartExamined: 'CHEST',
  PresentationIntentType: 'FOR PRESENTATION',
  PhotometricInterpretation: 'MONOCHROME2',
  ViewPosition: 'PA',
  Rows: '2500',
  Columns: '2048',
  PatientAge: '045Y',
  PatientBirthDate: '19800101',
  StudyDate: '20250601',
  PixelData: null,
};

function without(tags: Tags, ...keys: string[]): Tags {
  const out = { ...tags };
  for (const k of keys) delete out[k];
  return out;
}

const viewCode = (value: string, scheme: string, meaning: string): Tags[] => [
  { CodeValue: value, CodingSchemeDesignator: scheme, CodeMeaning: meaning },
];

type Row = [name: string, tags: Tags, expected: string, message?: RegExp];

const ROWS: Row[] = [
  ['adult frontal PA DX film', FILM, 'classify'],
  ['AP film', { ...FILM, ViewPosition: 'AP' }, 'classify'],
  ['CR, THORAX, lower-case values', { ...FILM, Modality: 'cr', BodyPartExamined: 'thorax' }, 'classify'],
  ['CT', { ...FILM, Modality: 'CT' }, 'NotChestXray', /Modality is CT/],
  ['no Modality', without(FILM, 'Modality'), 'NotChestXray', /Modality is missing/],
  ['knee', { ...FILM, BodyPartExamined: 'KNEE' }, 'NotChestXray', /Body Part Examined is KNEE/],
  ['no Body Part Examined (accepted when missing)', without(FILM, 'BodyPartExamined'), 'classify'],
  ['empty Body Part Examined', { ...FILM, BodyPartExamined: '  ' }, 'classify'],
  ['no Pixel Data', without(FILM, 'PixelData'), 'NoPixelData', /no pixel data/],
  ['FOR PROCESSING', { ...FILM, PresentationIntentType: 'FOR PROCESSING' }, 'ForProcessingImage', /raw detector/],
  ['no Presentation Intent Type (CR, SC)', without(FILM, 'PresentationIntentType'), 'classify'],
  ['RGB', { ...FILM, PhotometricInterpretation: 'RGB' }, 'PhotometricNotAccepted', /RGB/],
  ['no Photometric Interpretation', without(FILM, 'PhotometricInterpretation'), 'PhotometricNotAccepted', /missing/],
  ['MONOCHROME1', { ...FILM, PhotometricInterpretation: 'MONOCHROME1' }, 'classify'],
  ['left lateral (View Position LL)', { ...FILM, ViewPosition: 'LL' }, 'NotFrontalView', /LL.*lateral/],
  ['right lateral (View Position RL)', { ...FILM, ViewPosition: 'RL' }, 'NotFrontalView', /RL/],
  ['decubitus', { ...FILM, ViewPosition: 'RLD' }, 'NotFrontalView', /RLD/],
  ['no view recorded (accepted when missing)', without(FILM, 'ViewPosition'), 'classify'],
  [
    'View Code Sequence PA (SCT), no View Position',
    { ...without(FILM, 'ViewPosition'), ViewCodeSequence: viewCode('272479007', 'SCT', 'postero-anterior') },
    'classify',
  ],
  [
    'View Code Sequence PA in legacy SNOMED-RT',
    { ...without(FILM, 'ViewPosition'), ViewCodeSequence: viewCode('R-10214', 'SRT', 'postero-anterior') },
    'classify',
  ],
  [
    'View Code Sequence left lateral',
    { ...without(FILM, 'ViewPosition'), ViewCodeSequence: viewCode('399173006', 'SCT', 'left lateral') },
    'NotFrontalView',
    /399173006, SCT, "left lateral"/,
  ],
  [
    'View Position PA contradicted by a lateral code',
    { ...FILM, ViewCodeSequence: viewCode('399067008', 'SCT', 'lateral') },
    'NotFrontalView',
    /View Position says PA/,
  ],
  // ---- View Position and View Code Sequence empty: the protocol texts (issue 24) ----
  ...(
    [
      ['Series Description', 'SeriesDescription', 'CHEST LAT'],
      ['Series Description', 'SeriesDescription', 'Thorax lateral'],
      ['Series Description LL', 'SeriesDescription', 'CHEST LL'],
      ['Series Description RL', 'SeriesDescription', 'RL'],
      ['Series Description decubitus', 'SeriesDescription', 'CHEST AP L DECUB'],
      ['Series Description lateral decubitus', 'SeriesDescription', 'LEFT LATERAL DECUBITUS'],
      ['Series Description oblique', 'SeriesDescription', 'RIBS RAO'],
      ['Protocol Name', 'ProtocolName', 'Thorax lat. stehend'],
      ['Acquisition Device Processing Description', 'AcquisitionDeviceProcessingDescription', 'LATERAL THORAX 0-15cm'],
    ] as const
  ).map(([what, key, text]): Row => [
    `${what} "${text}"`,
    { ...without(FILM, 'ViewPosition'), [key]: text },
    'NotFrontalView',
    new RegExp(`names a .*view \\(View Position and View Code Sequence are empty\\)`),
  ]),
  [
    'Performed Protocol Code Sequence meaning names a lateral (the highdicom dog, species aside)',
    {
      ...without(FILM, 'ViewPosition'),
      PerformedProtocolCodeSequence: viewCode('FCR0217-0000', 'Fuji Standard', 'THORAX LATERAL 0-15cm'),
    },
    'NotFrontalView',
    /Performed Protocol Code Sequence "THORAX LATERAL 0-15cm" names a lateral view/,
  ],
  [
    'Acquisition Context Sequence concept names a lateral',
    {
      ...without(FILM, 'ViewPosition'),
      AcquisitionContextSequence: [{ ConceptCodeSequence: viewCode('399067008', 'SCT', 'lateral') }],
    },
    'NotFrontalView',
    /Acquisition Context Sequence "lateral"/,
  ],
  [
    'a frontal protocol does not hide a lateral series description (any refusing text skips)',
    { ...without(FILM, 'ViewPosition'), ProtocolName: 'CHEST PA', SeriesDescription: 'LAT' },
    'NotFrontalView',
    /Series Description "LAT"/,
  ],
  ['Series Description "CHEST PA"', { ...without(FILM, 'ViewPosition'), SeriesDescription: 'CHEST PA' }, 'classify'],
  ['Series Description "Chest P-A"', { ...without(FILM, 'ViewPosition'), SeriesDescription: 'Chest P-A' }, 'classify'],
  [
    'Series Description naming both views decides nothing ("PA + LAT")',
    { ...without(FILM, 'ViewPosition'), SeriesDescription: 'THORAX PA + LAT' },
    'classify',
  ],
  [
    'words containing view letters are not views ("PALATE", "PLATE", "LATEX")',
    { ...without(FILM, 'ViewPosition'), SeriesDescription: 'PLATE LATEX PALATE' },
    'classify',
  ],
  ['a recorded View Position wins over the texts', { ...FILM, SeriesDescription: 'LATERAL' }, 'classify'],
  // ---- species (issue 24) ----
  [
    'Patient Species Description (a dog)',
    { ...FILM, PatientSpeciesDescription: 'Canis lupus familiaris' },
    'NonHumanPatient',
    /Patient Species Description "Canis lupus familiaris": a veterinary image/,
  ],
  [
    'Patient Species Code Sequence (a cat)',
    { ...FILM, PatientSpeciesCodeSequence: viewCode('448169003', 'SCT', 'Felis catus') },
    'NonHumanPatient',
    /448169003, SCT, "Felis catus"/,
  ],
  [
    'Patient Species Code Sequence Homo sapiens',
    { ...FILM, PatientSpeciesCodeSequence: viewCode('337915000', 'SCT', 'Homo sapiens') },
    'classify',
  ],
  ['Patient Species Description HUMAN', { ...FILM, PatientSpeciesDescription: 'HUMAN' }, 'classify'],
  [
    'a breed is recorded for animals only',
    { ...FILM, PatientBreedDescription: 'Labrador' },
    'NonHumanPatient',
    /Patient Breed Description/,
  ],
  [
    'a protocol naming an animal (the highdicom sample: "CANINE LATERAL THORAX 0-15cm")',
    {
      ...FILM,
      PerformedProtocolCodeSequence: viewCode('FCR0217-0000', 'Fuji Standard', 'CANINE LATERAL THORAX 0-15cm'),
    },
    'NonHumanPatient',
    /Performed Protocol Code Sequence "CANINE LATERAL THORAX 0-15cm" names an animal \(CANINE\)/,
  ],
  [
    'a Study Description naming an animal',
    { ...FILM, StudyDescription: 'Thorax feline' },
    'NonHumanPatient',
    /Study Description "Thorax feline" names an animal \(FELINE\)/,
  ],
  ['128x128', { ...FILM, Rows: '128', Columns: '128' }, 'ImageTooSmall', /128x128.*224x224/],
  ['223 columns', { ...FILM, Columns: '223' }, 'ImageTooSmall', /223x2500/],
  ['exactly 224x224', { ...FILM, Rows: '224', Columns: '224' }, 'classify'],
  [
    '5-year-old (Patient Age)',
    { ...FILM, PatientAge: '005Y' },
    'OutsideAgeRange',
    /younger than 18 years \(Patient Age\)/,
  ],
  ['17 years', { ...FILM, PatientAge: '017Y' }, 'OutsideAgeRange'],
  ['exactly 18 years', { ...FILM, PatientAge: '018Y' }, 'classify'],
  ['infant in months', { ...FILM, PatientAge: '010M' }, 'OutsideAgeRange'],
  ['bare number read as years (non-conformant AS)', { ...FILM, PatientAge: '81' }, 'classify'],
  [
    'child by birth date and study date (no Patient Age)',
    { ...without(FILM, 'PatientAge'), PatientBirthDate: '20200601', StudyDate: '20250531' },
    'OutsideAgeRange',
    /Birth Date and Study Date/,
  ],
  ['no age at all (accepted when missing)', without(FILM, 'PatientAge', 'PatientBirthDate', 'StudyDate'), 'classify'],
  ['unparseable Patient Age, no dates', { ...without(FILM, 'PatientBirthDate'), PatientAge: 'adult' }, 'classify'],
  [
    'first failing rule wins: a 5-year-old lateral FOR PROCESSING film',
    { ...FILM, PatientAge: '005Y', ViewPosition: 'LL', PresentationIntentType: 'FOR PROCESSING' },
    'ForProcessingImage',
  ],
];

describe('decideEligibility against the torchxrayvision defaults', { timeout: 30_000 }, () => {
  for (const [name, tags, expected, message] of ROWS) {
    it(`${name} -> ${expected}`, () => {
      const e = decideEligibility(TXV, tags);
      if (expected === 'classify') {
        assert.equal(e.classify, true, e.classify ? '' : `${e.type}: ${e.message}`);
        return;
      }
      assert.equal(e.classify, false);
      if (e.classify) return;
      assert.equal(e.type, expected);
      if (message) assert.match(e.message, message);
      // Every skip names the rule's attribute and never leaks the patient's age.
      assert.doesNotMatch(e.message, /\b0?0?5Y\b|\b45\b/);
      assert.equal(outcomeOf(e.type), e.type === 'NoPixelData' ? 'failed' : 'skipped');
    });
  }
});

describe('what the admission says (the SR states it)', { timeout: 30_000 }, () => {
  it('names the view and its attribute, each rule, and no age value', () => {
    const e = decideEligibility(TXV, FILM);
    assert.ok(e.classify && e.admission);
    assert.deepEqual(e.admission.view, {
      value: 'PA',
      from: 'ViewPosition',
      code: { value: '272479007', scheme: 'SCT', meaning: 'postero-anterior' },
    });
    assert.deepEqual(e.admission.rules, [
      'Modality DX',
      'Body Part Examined CHEST',
      'Presentation Intent Type FOR PRESENTATION',
      'Photometric Interpretation MONOCHROME2',
      'View Position PA',
      'Image 2048x2500 (at least 224x224)',
      'Patient age within at least 18 years (Patient Age)',
    ]);
  });

  it('says when an attribute was missing and accepted', () => {
    const e = decideEligibility(TXV, without(FILM, 'ViewPosition', 'PatientAge', 'PatientBirthDate'));
    assert.ok(e.classify && e.admission);
    assert.deepEqual(e.admission.view, { value: null, from: 'missing' });
    assert.ok(e.admission.rules.some((r) => /View not recorded .*accepted when missing/.test(r)));
    assert.ok(e.admission.rules.some((r) => /Patient age not recorded \(accepted when missing/.test(r)));
  });

  it('reads the view from View Code Sequence when View Position is empty', () => {
    const tags = {
      ...without(FILM, 'ViewPosition'),
      ViewCodeSequence: viewCode('399348003', 'SCT', 'antero-posterior'),
    };
    const e = decideEligibility(TXV, tags);
    assert.ok(e.classify && e.admission);
    assert.deepEqual(e.admission.view, {
      value: 'antero-posterior',
      from: 'ViewCodeSequence',
      code: { value: '399348003', scheme: 'SCT', meaning: 'antero-posterior' },
    });
    assert.ok(e.admission.rules.includes('View Code Sequence (399348003, SCT, "antero-posterior")'));
  });

  it('reads the view from a protocol text when View Position and its code are empty, and says which', () => {
    const e = decideEligibility(TXV, { ...without(FILM, 'ViewPosition'), ProtocolName: 'Thorax p.a. stehend' });
    assert.ok(e.classify && e.admission);
    assert.deepEqual(e.admission.view, {
      value: 'PA',
      from: 'ProtocolName',
      text: 'Thorax p.a. stehend',
      code: { value: '272479007', scheme: 'SCT', meaning: 'postero-anterior' },
    });
    assert.ok(
      e.admission.rules.includes(
        'Protocol Name "Thorax p.a. stehend" (a PA view; View Position and View Code Sequence empty)',
      ),
      JSON.stringify(e.admission.rules),
    );
    const sr = admissionStatement(e.admission);
    assert.match(sr, /classified as a PA view \(from Protocol Name "Thorax p\.a\. stehend"\)/);
  });

  it('names a recorded human species, and a manifest accepting any species admits a dog', () => {
    const human = decideEligibility(TXV, { ...FILM, PatientSpeciesDescription: 'Homo sapiens' });
    assert.ok(human.classify && human.admission);
    assert.ok(human.admission.rules.includes('Patient Species Description "Homo sapiens" (a human patient)'));
    const vet: AcceptedInput = { ...TXV, patientSpecies: 'any' };
    const dog = decideEligibility(vet, { ...FILM, PatientSpeciesDescription: 'CANINE' });
    assert.ok(dog.classify && dog.admission, JSON.stringify(dog));
    assert.ok(dog.admission.rules.some((r) => /not a human patient; the model accepts any species/.test(r)));
    // Nothing recorded: a human patient, and no line (the rules of ordinary films are unchanged).
    const plain = decideEligibility(TXV, FILM);
    assert.ok(plain.classify && plain.admission && !plain.admission.rules.some((r) => /[Ss]pecies/.test(r)));
  });

  it('reads a legacy SNOMED-RT view code as its SNOMED CT concept', () => {
    const tags = { ...without(FILM, 'ViewPosition'), ViewCodeSequence: viewCode('R-10214', 'SRT', 'postero-anterior') };
    const e = decideEligibility(TXV, tags);
    assert.ok(e.classify && e.admission && e.admission.view.from === 'ViewCodeSequence');
    assert.deepEqual(e.admission.view.code, { value: '272479007', scheme: 'SCT', meaning: 'postero-anterior' });
  });
});

describe('ifMissing: skip makes a missing attribute a skip of its rule', { timeout: 30_000 }, () => {
  const strict: AcceptedInput = {
    ...TXV,
    bodyPartsExamined: { ...TXV.bodyPartsExamined, ifMissing: 'skip' },
    presentationIntentTypes: { ...TXV.presentationIntentTypes, ifMissing: 'skip' },
    views: { ...TXV.views, ifMissing: 'skip' },
    patientAgeYears: { min: 18, max: 90, ifMissing: 'skip' },
  };
  const cases: [string[], string][] = [
    [['BodyPartExamined'], 'NotChestXray'],
    [['PresentationIntentType'], 'ForProcessingImage'],
    [['ViewPosition'], 'NotFrontalView'],
    [['PatientAge', 'PatientBirthDate'], 'OutsideAgeRange'],
  ];
  for (const [keys, type] of cases) {
    it(`${keys.join(' + ')} missing -> ${type}`, () => {
      const e = decideEligibility(strict, without(FILM, ...keys));
      assert.equal(e.classify ? 'classify' : e.type, type);
    });
  }
  it('max age is exclusive', () => {
    const e = decideEligibility(strict, { ...FILM, PatientAge: '090Y' });
    assert.equal(e.classify ? 'classify' : e.type, 'OutsideAgeRange');
    assert.equal(decideEligibility(strict, { ...FILM, PatientAge: '089Y' }).classify, true);
  });
});

describe('the demo model declares its own (any age, from 64x64)', { timeout: 30_000 }, () => {
  it('admits the small 5-year-old sample film the demo ships, still skips a lateral', () => {
    const sample: Tags = { ...without(FILM, 'ViewPosition'), PatientAge: '005Y', Rows: '169', Columns: '211' };
    assert.equal(decideEligibility(DEMO, sample).classify, true);
    const lateral = decideEligibility(DEMO, { ...FILM, ViewPosition: 'LL' });
    assert.equal(lateral.classify ? 'classify' : lateral.type, 'NotFrontalView');
    const tiny = decideEligibility(DEMO, { ...FILM, Rows: '32', Columns: '32' });
    assert.equal(tiny.classify ? 'classify' : tiny.type, 'ImageTooSmall');
  });
});

describe('age parsing', { timeout: 30_000 }, () => {
  it('reads DICOM AS values and dates', () => {
    assert.equal(ageFromAgeString('045Y'), 45);
    assert.equal(ageFromAgeString('006M'), 0.5);
    assert.equal(ageFromAgeString('81'), 81);
    assert.equal(ageFromAgeString('unknown'), undefined);
    assert.equal(ageFromDates('20000615', '20180614'), 17);
    assert.equal(ageFromDates('20000615', '20180615'), 18);
    assert.equal(ageFromDates('20000615', '19990101'), undefined);
    assert.equal(ageFromDates('2000', '20180615'), undefined);
  });
});

describe('describeAccepts', { timeout: 30_000 }, () => {
  it('says in one line what a model reads', () => {
    assert.equal(
      describeAccepts(TXV),
      'CR, DX; human patients; body part CHEST, THORAX or unrecorded; views PA, AP or unrecorded; FOR PRESENTATION or unrecorded; ' +
        'MONOCHROME1, MONOCHROME2; at least 224x224; age >= 18 years or unrecorded',
    );
    assert.match(describeAccepts(DEMO), /at least 64x64; any age$/);
  });
});
