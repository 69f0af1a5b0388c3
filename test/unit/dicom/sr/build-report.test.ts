import assert from 'node:assert/strict';
import { test } from 'node:test';
import dcmjs from 'dcmjs';
import { ReportBuildError } from '../../../../src/errors';
import {
  buildReport,
  buildReportDataset,
  deriveReportUids,
  seriesDescription,
  sourceImageFromTags,
  type BuildReportInput,
} from '../../../../src/dicom/sr';
import { parseReport } from '../../../../src/dicom/sr';
import { readWithPydicom, validateSr } from '../../../helpers/dicom-validate';
import { demoAllLabels, partialUtf8 } from '../../../fixtures/sr/inputs';

/** The only dciodvfy warning we accept: our private coding scheme's designator is, by design, not a DICOM term. */
const LOCAL_SCHEME_WARNING =
  'Warning - Unrecognized defined term <99CXRAI> for value 1 of attribute <Coding Scheme Designator>';

function header(bytes: Buffer): Record<string, unknown> {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(ab).dict);
}

test(
  'the validation helper can fail: a file dciodvfy cannot check is an error, not a pass',
  { timeout: 60_000 },
  async () => {
    const v = await validateSr(Buffer.from('not a DICOM file at all\n'));
    assert.equal(v.iod, '');
    assert.ok(v.errors.length > 0, 'errors reported');
    assert.ok(
      v.errors.some((e) => /exited with status|no IOD verdict|Abort|Error/.test(e)),
      v.errors.join('\n'),
    );
    assert.equal(v.dsrdumpOk, false);
  },
);

const CASES = [
  ['18 labels, non-diagnostic', demoAllLabels],
  ['partial, UTF-8, diagnostic', partialUtf8],
] as const;
for (const [name, make] of CASES) {
  test(`${name}: dciodvfy finds no errors, dsrdump renders it, pydicom reads it`, { timeout: 60_000 }, async () => {
    const input = make();
    const bytes = buildReport(input);
    const v = await validateSr(bytes);
    assert.deepEqual(v.errors, []);
    assert.equal(v.iod, 'Comprehensive3DSR', 'dciodvfy checked it against the SR IOD');
    const unexpected = v.warnings.filter(
      (w) =>
        w !== LOCAL_SCHEME_WARNING &&
        // dcmtk's VR checker cannot check UTF-8 strings; it says so and renders them correctly.
        !w.includes('VR checker does not support this Specific Character Set: ISO_IR 192') &&
        // The source had no Study ID; we must copy it as it is (empty), not invent one.
        !(w.includes('DICOMDIR - Study ID') && input.source.study.id === ''),
    );
    assert.deepEqual(unexpected, []);
    assert.ok(v.dsrdumpOk, 'dsrdump exit 0');
    assert.match(v.dump, /Imaging Measurement Report/);
    assert.match(v.dump, /Machine-generated result of the algorithm/);
    const py = await readWithPydicom(bytes);
    assert.equal(py.sopClassUid, '1.2.840.10008.5.1.4.1.1.88.34');
    assert.equal(py.studyInstanceUid, input.source.study.instanceUid);
    assert.equal(py.modality, 'SR');
    // Below the root: language + 5 observer + procedure + library (3) + measurements container + 12 per group
    // + statements container + statements.
    const statements = input.algorithm.diagnostic ? 2 : 3;
    assert.equal(py.contentItems, 1 + 5 + 1 + 3 + 1 + 12 * input.findings.length + 1 + statements);
  });
}

test(
  'the SR files with its source: same patient and study, its own SR series, source referenced twice',
  { timeout: 60_000 },
  () => {
    const input = demoAllLabels();
    const ds = header(buildReport(input));
    const uids = deriveReportUids(input.source.instance.sopInstanceUid, input.algorithm.id, input.algorithm.version);
    assert.equal(ds.StudyInstanceUID, input.source.study.instanceUid);
    assert.equal(ds.PatientID, input.source.patient.id);
    assert.deepEqual(ds.PatientName, [{ Alphabetic: input.source.patient.name }]);
    assert.equal(ds.PatientBirthDate, input.source.patient.birthDate);
    assert.equal(ds.AccessionNumber, input.source.study.accessionNumber);
    assert.equal(ds.StudyDate, input.source.study.date);
    assert.equal(ds.Modality, 'SR');
    assert.equal(ds.SOPInstanceUID, uids.sopInstanceUid);
    assert.equal(ds.SeriesInstanceUID, uids.seriesInstanceUid);
    assert.notEqual(ds.SeriesInstanceUID, input.source.series.instanceUid);
    assert.equal(ds.SeriesDescription, 'AI demo-cxr 0.1.0 NOT DIAGNOSTIC');
    assert.equal(ds.Manufacturer, 'cxr-pipeline demo');
    assert.deepEqual(ds.SoftwareVersions, ['0.1.0', 'CXR_PIPELINE_1']);
    assert.equal(ds.ContentDate, '20240506');
    assert.equal(ds.ContentTime, '070809.123');
    assert.equal(ds.CompletionFlag, 'COMPLETE');
    assert.equal(ds.VerificationFlag, 'UNVERIFIED');
    type Series = { SeriesInstanceUID: string; ReferencedSOPSequence: Record<string, string>[] };
    type Evidence = { StudyInstanceUID: string; ReferencedSeriesSequence: Series[] };
    const evidence = ds.CurrentRequestedProcedureEvidenceSequence as Evidence[];
    assert.equal(evidence[0].StudyInstanceUID, input.source.study.instanceUid);
    assert.equal(evidence[0].ReferencedSeriesSequence[0].SeriesInstanceUID, input.source.series.instanceUid);
    assert.deepEqual(evidence[0].ReferencedSeriesSequence[0].ReferencedSOPSequence[0], {
      _vrMap: {},
      ReferencedSOPClassUID: input.source.instance.sopClassUid,
      ReferencedSOPInstanceUID: input.source.instance.sopInstanceUid,
    });
    const schemes = ds.CodingSchemeIdentificationSequence as { CodingSchemeDesignator: string }[];
    assert.equal(schemes[0].CodingSchemeDesignator, '99CXRAI');
    assert.equal(ds.SpecificCharacterSet, undefined, 'plain ASCII needs no character set');
  },
);

test(
  'honest flags: PARTIAL if labels are missing, UTF-8 declared, NOT DIAGNOSTIC only if not diagnostic',
  { timeout: 60_000 },
  async () => {
    const input = partialUtf8();
    const bytes = buildReport(input);
    const ds = header(bytes);
    assert.equal(ds.CompletionFlag, 'PARTIAL');
    assert.equal(ds.SpecificCharacterSet, 'ISO_IR 192');
    assert.deepEqual(ds.PatientName, [{ Alphabetic: 'Müller^Zoë' }]);
    assert.equal(ds.SeriesDescription, 'AI example-dx 2.3');
    assert.doesNotMatch((await validateSr(bytes)).dump, /NOT DIAGNOSTIC/);
    assert.match((await validateSr(buildReport(demoAllLabels()))).dump, /NOT DIAGNOSTIC: this model is not approved/);
  },
);

test('the series description keeps NOT DIAGNOSTIC however long the model name is', { timeout: 60_000 }, () => {
  const d = seriesDescription({ name: 'x'.repeat(100), version: '1', diagnostic: false });
  assert.equal(d.length, 64);
  assert.ok(d.endsWith(' NOT DIAGNOSTIC'));
});

test('the SR round-trips: parseReport gives back exactly what was built', { timeout: 60_000 }, () => {
  for (const input of [demoAllLabels(), partialUtf8()]) {
    const s = parseReport(buildReport(input));
    const { id: modelId, version } = input.algorithm;
    const uids = deriveReportUids(input.source.instance.sopInstanceUid, modelId, version);
    assert.deepEqual(s, {
      sopInstanceUid: uids.sopInstanceUid,
      seriesInstanceUid: uids.seriesInstanceUid,
      studyInstanceUid: input.source.study.instanceUid,
      sourceSopInstanceUid: input.source.instance.sopInstanceUid,
      algorithm: { name: input.algorithm.name, version: input.algorithm.version },
      diagnostic: input.algorithm.diagnostic,
      findings: input.findings,
      createdAt: input.createdAt.toISOString().slice(0, 19),
    });
  }
});

test('the same input gives the same bytes (a retried activity stores nothing new)', { timeout: 60_000 }, () => {
  assert.ok(buildReport(demoAllLabels()).equals(buildReport(demoAllLabels())));
});

function refuses(mutate: (i: BuildReportInput) => void, message: RegExp): void {
  const input = demoAllLabels();
  mutate(input);
  assert.throws(
    () => buildReport(input),
    (err: unknown) => {
      assert.ok(err instanceof ReportBuildError, `ReportBuildError, got ${String(err)}`);
      assert.equal(err.retryable, false);
      assert.match(err.message, message);
      return true;
    },
  );
}

test('builders refuse invalid input with a message naming the template row', { timeout: 60_000 }, () => {
  refuses((i) => {
    i.findings[0].probability = 1.2;
  }, /TID 1501 row 10 \(Measurement\): the probability for label 'Atelectasis' must be a number from 0 to 1, got 1.2/);
  refuses((i) => {
    i.findings[1].probability = Number.NaN;
  }, /TID 1501 row 10.*got NaN/);
  refuses((i) => {
    i.findings[2].threshold = -0.1;
  }, /TID 1501 row 10.*decision threshold/);
  refuses((i) => {
    i.findings[3].positive = !i.findings[3].positive;
  }, /TID 1501 row 11 \(Qualitative Evaluation\)/);
  refuses((i) => {
    i.findings.push({ ...i.findings[0] });
  }, /TID 1501 row 2 \(Tracking Identifier\): label 'Atelectasis' is reported twice/);
  refuses((i) => {
    i.findings = [];
  }, /TID 1500 row 8 \(Imaging Measurements\)/);
  refuses((i) => {
    i.findings[0].label = 'A label that is far too long for a code';
  }, /TID 1501 row 5 \(Finding\)/);
  refuses((i) => {
    i.algorithm.version = '';
  }, /TID 4019 row 2 \(Algorithm Version\): the model manifest's version/);
  refuses((i) => {
    i.algorithm.manufacturer = ' ';
  }, /TID 1004 row 3 \(Device Observer Manufacturer\)/);
  refuses((i) => {
    i.algorithm.intendedUse = '';
  }, /TID 1500 row 12/);
  refuses((i) => {
    i.createdAt = new Date('nope');
  }, /Content Date\/Time/);
  refuses((i) => {
    i.source.instance.sopInstanceUid = '1.2.x';
  }, /not a valid DICOM UID/);
});

test(
  'every value from the manifest or the source image is checked against its VR (length, characters)',
  { timeout: 60_000 },
  () => {
    // The manufacturer text an earlier export wrote (79 characters) went into Manufacturer, an LO of at most 64.
    refuses((i) => {
      i.algorithm.manufacturer = 'torchxrayvision (Cohen et al., mlmed/torchxrayvision); exported by cxr-pipeline';
    }, /General Equipment module Manufacturer \(LO\): .*79 characters; LO allows at most 64/);
    refuses((i) => {
      i.algorithm.name = 'x'.repeat(65);
    }, /ManufacturerModelName \(LO\)/);
    refuses((i) => {
      i.algorithm.version = '1.0\\2';
    }, /\(LO\): .*a backslash separates values/);
    refuses((i) => {
      i.source.study.accessionNumber = 'A'.repeat(17);
    }, /General Study module AccessionNumber \(SH\)/);
    refuses((i) => {
      i.source.study.description = 'Chest\u0007PA';
    }, /StudyDescription \(LO\): .*control characters/);
    refuses((i) => {
      i.source.patient.name = 'Doe^John^^^^Extra';
    }, /PatientName \(PN\)/);
    refuses((i) => {
      i.source.patient.id = 'P'.repeat(65);
    }, /PatientID \(LO\)/);
    refuses((i) => {
      i.algorithm.intendedUse = 'Research\u0000only';
    }, /TextValue \(UT\)/);
  },
);

test(
  'with an admission: the view as a coded Image View on the library entry and the eligibility statement; still valid',
  { timeout: 60_000 },
  async () => {
    const input: BuildReportInput = {
      ...demoAllLabels(),
      admission: {
        view: {
          value: 'PA',
          from: 'ViewPosition',
          code: { value: '272479007', scheme: 'SCT', meaning: 'postero-anterior' },
        },
        rules: ['Modality DX', 'View Position PA', 'Image 2048x2500 (at least 224x224)'],
      },
    };
    const bytes = buildReport(input);
    const v = await validateSr(bytes);
    assert.deepEqual(v.errors, []);
    assert.deepEqual(
      v.warnings.filter((w) => w !== LOCAL_SCHEME_WARNING),
      [],
    );
    assert.ok(v.dsrdumpOk, 'dsrdump exit 0');
    assert.match(
      v.dump,
      /<contains IMAGE:[^\n]*>\n\s*<has acq context CODE:\(,,"Image View"\)=\(272479007,SCT,"postero-anterior"\)>/,
    );
    assert.match(v.dump, /Eligibility: classified as a PA view \(from View Position\)/);
    const summary = parseReport(bytes);
    assert.equal(
      summary.eligibility,
      "Eligibility: classified as a PA view (from View Position); the image meets the model's intended input: " +
        'Modality DX; View Position PA; Image 2048x2500 (at least 224x224).',
    );
    assert.equal(summary.sourceSopInstanceUid, input.source.instance.sopInstanceUid);
  },
);

test(
  'a multi-frame source: references to a multi-frame SC name frame 1 (the frame analysed); a DX with frames cannot',
  { timeout: 60_000 },
  async () => {
    type Item = {
      ValueType?: string;
      ReferencedSOPSequence?: { ReferencedFrameNumber?: unknown }[];
      ContentSequence?: Item[];
    };
    const frames = (item: Item): unknown[] => [
      ...(item.ValueType === 'IMAGE' ? [item.ReferencedSOPSequence?.[0]?.ReferencedFrameNumber] : []),
      ...(item.ContentSequence ?? []).flatMap(frames),
    ];
    const base = demoAllLabels();
    base.analysedArea = [
      [0, 0],
      [10, 0],
      [10, 10],
      [0, 10],
      [0, 0],
    ];
    const withSource = (SOPClassUID: string, NumberOfFrames: string): BuildReportInput => ({
      ...base,
      source: sourceImageFromTags({
        StudyInstanceUID: '2.25.1001',
        SeriesInstanceUID: '2.25.1002',
        SOPInstanceUID: '2.25.1003',
        SOPClassUID,
        NumberOfFrames,
      }),
    });
    const multiFrameSc = withSource('1.2.840.10008.5.1.4.1.1.7.2', '2');
    assert.equal(multiFrameSc.source.instance.numberOfFrames, 2);
    const got = frames(buildReportDataset(multiFrameSc) as Item);
    // the library entry, and per finding its INFERRED FROM and its region's SELECTED FROM
    assert.equal(got.length, 1 + 2 * base.findings.length);
    assert.ok(
      got.every((f) => f === 1),
      JSON.stringify(got),
    );
    const dxWithFrames = withSource('1.2.840.10008.5.1.4.1.1.1.1', '2');
    assert.ok(frames(buildReportDataset(dxWithFrames) as Item).every((f) => f === undefined));
    assert.equal(withSource('1.2.840.10008.5.1.4.1.1.7.2', '1').source.instance.numberOfFrames, undefined);
    for (const input of [multiFrameSc, dxWithFrames]) {
      const bytes = buildReport(input);
      assert.equal(parseReport(bytes).sourceSopInstanceUid, '2.25.1003');
      const v = await validateSr(bytes);
      assert.deepEqual(v.errors, [], input.source.instance.sopClassUid);
    }
  },
);
