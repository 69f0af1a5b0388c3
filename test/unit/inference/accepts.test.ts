/** The manifest's `accepts` section is validated at load, naming the field to fix. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../../src/config';
import { ModelError } from '../../../src/errors';
import { parseManifest } from '../../../src/inference/manifest';

const demo = JSON.parse(
  fs.readFileSync(path.join(PROJECT_ROOT, 'models', 'demo-cxr', 'manifest.json'), 'utf8'),
) as Record<string, unknown>;
const accepts = demo.accepts as Record<string, unknown>;

describe('manifest accepts section', { timeout: 30_000 }, () => {
  it('the demo manifest declares what it accepts', () => {
    const m = parseManifest(demo);
    assert.deepEqual(m.accepts.modalities, ['CR', 'DX']);
    assert.deepEqual(m.accepts.views.viewPositions, ['PA', 'AP']);
    assert.equal(m.accepts.patientAgeYears, undefined);
  });

  it('refuses a manifest without one, and names the broken field', () => {
    const { accepts: _dropped, ...without } = demo;
    void _dropped;
    const cases: [Record<string, unknown>, RegExp][] = [
      [without, /"accepts" must be an object/],
      [{ ...demo, accepts: { ...accepts, modalities: [] } }, /"accepts\.modalities"/],
      [
        { ...demo, accepts: { ...accepts, photometricInterpretations: ['RGB'] } },
        /"accepts\.photometricInterpretations"/,
      ],
      [
        { ...demo, accepts: { ...accepts, views: { viewPositions: ['FRONT'], viewCodes: [], ifMissing: 'accept' } } },
        /"accepts\.views\.viewPositions"/,
      ],
      [
        { ...demo, accepts: { ...accepts, views: { viewPositions: ['PA'], viewCodes: [], ifMissing: 'maybe' } } },
        /"accepts\.views\.ifMissing"/,
      ],
      [{ ...demo, accepts: { ...accepts, minimumSize: { rows: 0, columns: 224 } } }, /"accepts\.minimumSize\.rows"/],
      [
        { ...demo, accepts: { ...accepts, patientAgeYears: { min: 18, max: 10, ifMissing: 'accept' } } },
        /"accepts\.patientAgeYears\.max"/,
      ],
      [
        {
          ...demo,
          accepts: { ...accepts, presentationIntentTypes: { values: ['for presentation'], ifMissing: 'accept' } },
        },
        /"accepts\.presentationIntentTypes\.values"/,
      ],
    ];
    for (const [raw, re] of cases) {
      assert.throws(
        () => parseManifest(raw),
        (e: unknown) => e instanceof ModelError && re.test(e.message),
        re.source,
      );
    }
  });

  it('the torchxrayvision defaults (scripts/models/txv-accepts.json) are a valid section', () => {
    const txv = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'scripts', 'models', 'txv-accepts.json'), 'utf8'));
    const m = parseManifest({ ...demo, accepts: txv });
    assert.deepEqual(m.accepts.minimumSize, { rows: 224, columns: 224 });
    assert.equal(m.accepts.patientAgeYears?.min, 18);
  });

  it("the export script's manifest (common.txv_manifest, no accepts passed) carries and passes the defaults", () => {
    const py = `import json, sys; sys.path.insert(0, 'scripts/models'); import common
print(json.dumps(common.txv_manifest(id='t', name='t', version='1', manufacturer='m', license='l', provenance='p', intended_use='u')))`;
    const run = spawnSync('python3', ['-c', py], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const m = parseManifest(JSON.parse(run.stdout));
    const txv = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'scripts', 'models', 'txv-accepts.json'), 'utf8'));
    assert.deepEqual(m.accepts, txv);
  });
});
