/**
 * Every zip of the bad-input corpus gives the outcome MANIFEST.json promises, as far as the zip reader
 * decides it: whole-zip rejections, pre-flagged entry problems, readEntry errors, and NotDicom via sniffDicom.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { sniffDicom } from '../../../src/dicom/sniff';
import { PipelineError, ZipRejectedError } from '../../../src/errors';
import { outcomeOf } from '../../../src/reasons';
import { DEFAULT_ZIP_LIMITS, archiveCache, displayName, inspectZip, listEntries, readEntry } from '../../../src/zip';
import { BAD_DIR, loadManifest } from './helpers';

/** Outcomes the zip reader itself decides; the rest (DICOM content, modality) belong to later stages. */
const ZIP_LEVEL = new Set([
  'UnsafeEntryName',
  'EntryTooLarge',
  'EntryUnreadable',
  'DuplicateEntryName',
  'NestedArchive',
  'ZeroByteEntry',
  'DicomDir',
  'SystemFile',
  'SymbolicLink',
  'DanglingSymbolicLink',
]);
const limits = DEFAULT_ZIP_LIMITS;

describe('bad-input corpus', { timeout: 60_000 }, () => {
  after(() => archiveCache.clear());

  for (const item of loadManifest()) {
    const zipPath = path.join(BAD_DIR, item.zip);
    if ('expect' in item) {
      it(`${item.zip}: rejected (${item.messageIncludes})`, async () => {
        await assert.rejects(inspectZip(zipPath, limits), (err: unknown) => {
          assert.ok(err instanceof ZipRejectedError, `expected ZipRejectedError, got ${String(err)}`);
          assert.equal(err.type, item.type);
          assert.match(err.message, new RegExp(item.messageIncludes));
          return true;
        });
        // The listing and reads refuse it the same way (no cached half-open state).
        await assert.rejects(listEntries(zipPath, 0, 10, limits), ZipRejectedError);
      });
      continue;
    }
    it(`${item.zip}: ${item.entries.length} entries as the manifest says`, async () => {
      const inspection = await inspectZip(zipPath, limits);
      assert.equal(inspection.fileEntryCount, item.entries.length);
      assert.match(inspection.sha256, /^[0-9a-f]{64}$/);
      const listed = await listEntries(zipPath, 0, 1000, limits);
      assert.deepEqual(
        listed.map((e) => e.index),
        item.entries.map((e) => e.index),
      );
      for (const [i, expected] of item.entries.entries()) {
        const entry = listed[i]!;
        const what: string = `${item.zip} entry ${entry.index} (${entry.name})`;
        // Names are decoded as their archiver meant them (UTF-8 when flagged, CP437 otherwise), never normalised.
        assert.equal(entry.name, displayName(expected.name), `${what}: name`);
        const zipLevel = expected.type !== undefined && ZIP_LEVEL.has(expected.type);
        let bytes: Buffer | undefined;
        let readError: PipelineError | undefined;
        try {
          bytes = await readEntry(zipPath, entry.index, entry, limits);
        } catch (err) {
          if (!(err instanceof PipelineError)) throw err;
          readError = err;
        }
        if (zipLevel) {
          const flagged = entry.problem?.type;
          const outcome = entry.problem && outcomeOf(entry.problem.type);
          // Either listEntries pre-flags it, or (damaged bytes) readEntry fails with that type.
          if (flagged !== undefined) {
            assert.equal(flagged, expected.type, what);
            assert.equal(outcome, expected.expect, what);
            if (outcome === 'failed') assert.equal(readError?.type, expected.type, `${what}: readEntry must fail too`);
            else assert.ok(bytes, `${what}: skipped entries stay readable`);
          } else {
            assert.equal(readError?.type, expected.type, `${what}: not pre-flagged, so readEntry must fail`);
          }
        } else {
          assert.equal(entry.problem, undefined, `${what}: unexpected problem ${JSON.stringify(entry.problem)}`);
          assert.ok(bytes, `${what}: readEntry failed: ${readError?.message}`);
          assert.equal(bytes.length, entry.size);
          const sniff = sniffDicom(bytes);
          assert.equal(sniff.ok, expected.type !== 'NotDicom', `${what}: sniff ${JSON.stringify(sniff)}`);
        }
      }
    });
  }
});
