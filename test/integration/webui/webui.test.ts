/**
 * What an operator sees in the Temporal Web UI (served by the dev server) after a small real ingest:
 * the ingest is found in the workflows list by a search-attribute query (CxrZipName), its page shows
 * the static summary/details set at start and the current details the workflow publishes.
 * Headless Chromium through playwright-core; screenshots land in test-output/webui-*.png.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startOrAttachIngest } from '../../../src/cli/start-ingest';
import type { IngestResult } from '../../../src/workflows/types';
import { startTestPipeline, TEST_OUTPUT, type TestPipeline, uniqueQueue } from '../../helpers/pipeline';
import { writeZip } from '../cli/run-cli';

const UI = `http://127.0.0.1:${process.env.TEMPORAL_UI_PORT || '8233'}`;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

describe(
  'Temporal Web UI shows the ingest',
  { skip: fs.existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}` },
  () => {
    let p: TestPipeline;
    let browser: BrowserContext;
    let page: Page;
    let profile: string;
    let result: IngestResult;
    const zipName = `webui-${Date.now()}.zip`;

    before(async () => {
      p = await startTestPipeline({ taskQueue: uniqueQueue('webui') });
      const zip = writeZip(zipName, zipName, 3, [{ name: 'study/readme.txt', data: Buffer.from('not an image\n') }]);
      const s = await startOrAttachIngest(p.env.client, p.config, zip);
      result = await s.handle.result();
      profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-webui-'));
      // A fresh profile (--user-data-dir): playwright takes it as launchPersistentContext's first argument.
      browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1600, height: 1000 },
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      page = browser.pages()[0] ?? (await browser.newPage());
      fs.mkdirSync(TEST_OUTPUT, { recursive: true });
    });
    after(async () => {
      await browser?.close();
      if (profile) fs.rmSync(profile, { recursive: true, force: true });
      await p?.stop();
    });

    it('finds the ingest by CxrZipName in the workflows list', async () => {
      const query = `CxrZipName="${zipName}"`;
      await page.goto(`${UI}/namespaces/${p.config.temporal.namespace}/workflows?query=${encodeURIComponent(query)}`);
      const link = page.getByRole('link', { name: result.ingestId }).first();
      await link.waitFor({ timeout: 30_000 });
      // Only the ingest matches: its children carry CxrZipSha256 and CxrEntryName, not CxrZipName.
      assert.equal(await page.getByRole('link', { name: new RegExp(`^${result.ingestId}/`) }).count(), 0);
      await page.screenshot({ path: path.join(TEST_OUTPUT, 'webui-list.png') });
      await link.click();
      await page.waitForURL(/\/workflows\/ingest-/);
    });

    it('shows the summary, the details with the CLI commands and the final accounting', async () => {
      await page.getByText(result.ingestId).first().waitFor({ timeout: 30_000 });
      // Summary, details and current details are on the "User Metadata" tab of UI 2.42.
      await page.getByText('User Metadata', { exact: true }).first().click();
      // The UI renders each markdown panel (summary, details, current details) in its own sandboxed iframe.
      const text = await waitForText(page, [`Ingest ${zipName}`, 'sha256:', 'cxr failures', 'accounted']);
      assert.match(text, /zip: .*webui-\d+\.zip/);
      // Current details come from the workflow, through a worker (ours is still running).
      // (the UI typesets "4/4" with a fraction slash)
      assert.match(text, /completed.*4[/⁄]4 accounted \(3 done, 1 failed, 0 skipped\)/);
      await page.screenshot({ path: path.join(TEST_OUTPUT, 'webui-ingest.png'), fullPage: true });
    });

    it('lists the failed child with its reason', async () => {
      const failed = result.recentProblems.find((o) => o.status === 'failed');
      assert.ok(failed);
      await page.goto(
        `${UI}/namespaces/${p.config.temporal.namespace}/workflows/${encodeURIComponent(`${result.ingestId}/${failed.index}`)}`,
      );
      await page.getByText(failed.reason!.type).first().waitFor({ timeout: 30_000 });
      const text = await page.locator('body').innerText();
      assert.match(text, /not a DICOM file/);
      await page.screenshot({ path: path.join(TEST_OUTPUT, 'webui-failed-child.png'), fullPage: true });
    });
  },
);

/** Text of the page and all its frames, once every needle is there (the panels load asynchronously). */
async function waitForText(page: Page, needles: string[], timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    const parts = await Promise.all(
      page.frames().map((f) =>
        f
          .locator('body')
          .innerText()
          .catch(() => ''),
      ),
    );
    text = parts.join('\n');
    if (needles.every((n) => text.includes(n))) return text;
    await page.waitForTimeout(250);
  }
  assert.fail(
    `the page never showed ${needles.filter((n) => !text.includes(n)).join(', ')}; it showed:\n${text.slice(0, 2000)}`,
  );
}
