/**
 * Image regions in the SR (what OHIF 3.13 needs to draw the findings): with an analysed area every label's group is
 * a TID 1410 planar ROI group with a closed POLYLINE SCOORD on the source image; a label's own (activation map)
 * region replaces the analysed area; the document stays valid and reads back the same; half-drawn reports are refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import dcmjs from 'dcmjs';
import { buildReport } from '../../../../src/dicom/sr';
import { ReportBuildError } from '../../../../src/errors';
import { outline } from '../../../../src/inference/cam';
import { parseReport } from '../../../../src/dicom/sr';
import { validateSr } from '../../../helpers/dicom-validate';
import { demoAllLabels } from '../../../fixtures/sr/inputs';

const LOCAL_SCHEME_WARNING =
  'Warning - Unrecognized defined term <99CXRAI> for value 1 of attribute <Coding Scheme Designator>';

type Item = {
  ValueType?: string;
  GraphicType?: string;
  GraphicData?: number[];
  ContentSequence?: Item[] | Item;
  ContentTemplateSequence?: { TemplateIdentifier: string }[] | { TemplateIdentifier: string };
  ConceptNameCodeSequence?: { CodeValue: string }[] | { CodeValue: string };
  TextValue?: string;
};
const list = <T>(v: T[] | T | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function groups(bytes: Buffer): Item[] {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(ab).dict) as Item;
  const measurements = list(ds.ContentSequence).find((c) => list(c.ConceptNameCodeSequence)[0]?.CodeValue === '126010');
  return list(measurements?.ContentSequence);
}

test('every group gets an image region: the analysed area, or the label own region', { timeout: 60_000 }, async () => {
  const input = demoAllLabels();
  const area = outline({ top: 0, left: 100, height: 800, width: 800 });
  const hot = outline({ top: 200, left: 300, height: 160, width: 240 });
  const label = input.findings[3].label;
  const bytes = buildReport({ ...input, analysedArea: area, regions: { [label]: hot } });
  const gs = groups(bytes);
  assert.equal(gs.length, input.findings.length);
  for (const g of gs) {
    assert.equal(list(g.ContentTemplateSequence)[0].TemplateIdentifier, '1410');
    const sc = list(g.ContentSequence).filter((c) => c.ValueType === 'SCOORD');
    assert.equal(sc.length, 1);
    assert.equal(sc[0].GraphicType, 'POLYLINE');
    const own = list(g.ContentSequence).find((c) => c.ValueType === 'TEXT')?.TextValue === label;
    assert.deepEqual(Array.from(sc[0].GraphicData ?? []), (own ? hot : area).flat());
  }
  assert.deepEqual(parseReport(bytes), parseReport(buildReport(input)));
  const v = await validateSr(bytes);
  assert.deepEqual(v.errors, []);
  assert.deepEqual(
    v.warnings.filter((w) => w !== LOCAL_SCHEME_WARNING),
    [],
  );
  assert.ok(v.dsrdumpOk);
  assert.match(v.dump, /SCOORD:\(,,"Image Region"\)=\(POLYLINE,100\/0,900\/0,900\/800,100\/800,100\/0\)/);
});

test('a report with label regions but no analysed area, or an open outline, is refused', () => {
  const input = demoAllLabels();
  const hot = outline({ top: 1, left: 1, height: 2, width: 2 });
  assert.throws(() => buildReport({ ...input, regions: { [input.findings[0].label]: hot } }), ReportBuildError);
  assert.throws(() => buildReport({ ...input, analysedArea: hot.slice(0, 4) }), /TID 1410 row 7/);
});
