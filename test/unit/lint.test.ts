/**
 * House rules that lint enforces and that a refactor could silently switch off. Issue 24: src/activities/stored.ts
 * compared `err.name` with the name of a class that had since been renamed, so the comparison was always false and a
 * deleted instance killed follow and reprocess runs. eslint.config.mjs forbids comparing error names as strings;
 * this checks that the rule catches the shapes that bug took, lets ordinary `.name` comparisons through, and is on
 * for the project's sources.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { PROJECT_ROOT } from '../../src/config';

// The config is an ES module; this file compiles to CommonJS, whose `import()` would become `require()`.
const importEsm = new Function('u', 'return import(u)') as (u: string) => Promise<Record<string, unknown>>;

describe('lint: error names are never compared as strings', { timeout: 60_000 }, () => {
  async function lint(code: string): Promise<Linter.LintMessage[]> {
    const mod = await importEsm(pathToFileURL(path.join(PROJECT_ROOT, 'eslint.config.mjs')).href);
    const rules = mod.ERROR_NAME_COMPARISONS as unknown[];
    const eslint = new ESLint({
      cwd: PROJECT_ROOT,
      overrideConfigFile: true,
      overrideConfig: [
        {
          files: ['**/*.ts'],
          languageOptions: { parser: tseslint.parser as Linter.Parser },
          rules: { 'no-restricted-syntax': ['error', ...rules] as Linter.RuleEntry },
        },
      ],
    });
    const [res] = await eslint.lintText(code, { filePath: path.join(PROJECT_ROOT, 'probe.ts') });
    return res.messages;
  }

  it('flags err.name === "X", the bug of stored.ts, and its variants', async () => {
    const bad = [
      `try { f(); } catch (err) { if (err instanceof Error && err.name === 'OrthancNotFoundOrBadRequest') g(); }`,
      `if (e.name !== 'AbortError') g();`,
      `if ('TimeoutError' == error.name) g();`,
      `if (x.cause.name === 'Foo') g();`,
      `switch (err.name) { case 'A': break; }`,
      `if (e.constructor.name === 'OrthancNotFoundError') g();`,
    ];
    for (const code of bad) {
      const msgs = await lint(code);
      assert.equal(msgs.length, 1, `${code}: ${JSON.stringify(msgs)}`);
      assert.match(msgs[0].message, /instanceof/);
    }
  });

  it('lets ordinary name comparisons through (files, task-queue states, checks)', async () => {
    for (const code of [
      `if (entry.name === 'a.dcm') g();`,
      `if (info.status.name === 'RUNNING') g();`,
      `const c = checks.find((c) => c.name === 'retention');`,
      `if (err instanceof OrthancNotFoundError) g();`,
      `if (failure.type === 'OrthancNotFound') g();`,
    ]) {
      assert.deepEqual(await lint(code), [], code);
    }
  });

  it("is on for the project's sources and tests", async () => {
    const eslint = new ESLint({ cwd: PROJECT_ROOT });
    for (const file of ['src/activities/stored.ts', 'src/cli/commands/replay.ts', 'test/unit/lint.test.ts']) {
      const config = (await eslint.calculateConfigForFile(path.join(PROJECT_ROOT, file))) as Linter.Config;
      const entry = config.rules?.['no-restricted-syntax'];
      assert.ok(Array.isArray(entry) && entry.length > 1, `${file}: ${JSON.stringify(entry)}`);
      assert.ok([2, 'error'].includes(entry[0] as number | string), `${file}: an error, not a warning`);
    }
  });
});
