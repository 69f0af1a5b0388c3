import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeForLabel, LABEL_CODES, LOCAL_SCHEME, labelForCode } from '../../../src/dicom/codes';
import * as codes from '../../../src/dicom/codes';
import { TXV_LABELS } from '../../fixtures/sr/inputs';

// Verhoeff check digit, which every SNOMED CT identifier carries: catches a mistyped concept id.
const D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
function verhoeffOk(id: string): boolean {
  let c = 0;
  [...id].reverse().forEach((ch, i) => {
    c = D[c][P[i % 8][Number(ch)]];
  });
  return c === 0;
}

test(
  'every torchxrayvision label has a concept, and only the four without a standard one are local',
  { timeout: 60_000 },
  () => {
    assert.equal(TXV_LABELS.length, 18);
    const local = TXV_LABELS.filter((l) => codeForLabel(l).scheme === LOCAL_SCHEME.designator);
    assert.deepEqual(local.sort(), ['Enlarged Cardiomediastinum', 'Hernia', 'Lung Lesion', 'Pleural_Thickening']);
    assert.deepEqual(Object.keys(LABEL_CODES).sort(), [...TXV_LABELS].sort());
  },
);

test(
  'all code constants fit their VRs and SNOMED CT ids pass the Verhoeff check with a concept partition',
  { timeout: 60_000 },
  () => {
    const isCode = (v: unknown): v is codes.Code =>
      typeof v === 'object' && v !== null && 'value' in v && 'scheme' in v;
    const all = Object.values(codes).filter(isCode);
    all.push(...Object.values(LABEL_CODES));
    assert.ok(all.length > 40);
    for (const c of all) {
      assert.ok(c.value.length >= 1 && c.value.length <= 16, `${c.value} fits SH`);
      assert.ok(c.meaning.length >= 1 && c.meaning.length <= 64, `${c.meaning} fits LO`);
      if (c.scheme === 'SCT') {
        assert.match(c.value, /^[1-9][0-9]{5,17}$/, c.value);
        assert.ok(verhoeffOk(c.value), `SNOMED CT id ${c.value} (${c.meaning}) fails its check digit`);
        assert.equal(c.value.slice(-3, -1), '00', `${c.value} is a concept id (partition 00)`);
      }
      if (c.scheme === 'DCM') assert.match(c.value, /^\d{6}$/, c.value);
    }
    // The check itself can fail: a one-digit typo of a real id is rejected.
    assert.ok(!verhoeffOk('36118009'));
  },
);

test('a label outside the table gets a local code and reads back as itself', { timeout: 60_000 }, () => {
  const c = codeForLabel('Tuberculosis');
  assert.deepEqual({ ...c }, { value: 'TUBERCULOSIS', scheme: LOCAL_SCHEME.designator, meaning: 'Tuberculosis' });
  assert.equal(labelForCode(c), 'Tuberculosis');
  assert.equal(labelForCode(LABEL_CODES['Lung Opacity']), 'Lung Opacity');
  assert.throws(() => codeForLabel('A label that is far too long for a code'), /cannot be a local code/);
  assert.throws(() => codeForLabel('???'), /cannot be a local code/);
});
