/**
 * Evidence kept: the documentation cites only files that exist in the repository, and every performance table
 * names the committed bench/results JSON its figures come from (or says it is superseded and its JSON lost).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../../src/config';

function markdownFiles(): string[] {
  const out = ['README.md'];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(path.join(PROJECT_ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.md')) out.push(rel);
    }
  };
  for (const dir of ['docs', 'src', 'bench', 'test', 'scripts', 'models']) walk(dir);
  return out;
}

/** Repository paths a document cites: `code spans` and relative Markdown links that look like files. */
function citedPaths(doc: string, text: string): string[] {
  const out = new Set<string>();
  const top = /^(src|test|docs|scripts|bench|models|samples|docker|\.ci)\//;
  for (const m of text.matchAll(/`([^`\s]+)`/g)) {
    const p = m[1].replace(/[:#].*$/, '');
    if (top.test(p) && !/[*<>{}$]/.test(p)) out.add(p);
  }
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1];
    if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue;
    out.add(path.normalize(path.join(path.dirname(doc), target.replace(/#.*$/, ''))));
  }
  return [...out];
}

/** Paths the docs tell the reader to create (outputs of a documented command), not files the repository holds. */
const GENERATED = new Set(['models/txv-all']);

describe('documentation evidence', { timeout: 10_000 }, () => {
  it('every file a document cites exists', () => {
    const scriptsText = fs
      .readdirSync(path.join(PROJECT_ROOT, 'scripts'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => fs.readFileSync(path.join(e.parentPath ?? e.path, e.name), 'utf8'))
      .join('\n');
    const missing: string[] = [];
    for (const doc of markdownFiles()) {
      const text = fs.readFileSync(path.join(PROJECT_ROOT, doc), 'utf8');
      if (/DESIGN\.md/.test(text)) missing.push(`${doc}: DESIGN.md (not in the repository)`);
      for (const p of citedPaths(doc, text)) {
        const candidates = [p, p.replace(/\/$/, ''), `${p}.ts`];
        if (candidates.some((c) => fs.existsSync(path.join(PROJECT_ROOT, c)))) continue;
        // Built, not committed: git ignores it, or a script under scripts/ makes it (models/txv-all: setup-models).
        if (spawnSync('git', ['check-ignore', '-q', p], { cwd: PROJECT_ROOT }).status === 0) continue;
        if (scriptsText.includes(p) || GENERATED.has(p)) continue;
        missing.push(`${doc}: ${p}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('every performance table names a committed bench/results JSON, or is marked superseded (JSON lost)', () => {
    const results = path.join(PROJECT_ROOT, 'bench', 'results');
    const committed = fs
      .readdirSync(results, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.json'))
      .map((e) => path.relative(PROJECT_ROOT, path.join(e.parentPath ?? e.path, e.name)));
    // A citation: a path under bench/results/, or a file name there, possibly shortened from the left ("…T13-58Z.json").
    const resolves = (cited: string): boolean =>
      cited.startsWith('bench/results/')
        ? committed.includes(cited)
        : committed.some((c) => c.endsWith(cited.replace(/^…/, '')));
    const problems: string[] = [];
    for (const doc of PERFORMANCE_DOCS) {
      const text = fs.readFileSync(path.join(PROJECT_ROOT, doc), 'utf8');
      // Sections: from one heading to the next; a table belongs to the section it sits in.
      for (const section of text.split(/^(?=#{1,4} )/m)) {
        if (!/^\|.*\|\s*$/m.test(section)) continue;
        const title = section.split('\n')[0];
        const cited = [...section.matchAll(/[\w/….-]*\.json\b/g)].map((m) => m[0]).filter((c) => /\d/.test(c));
        const lost = /superseded[^.]*JSON lost|JSON lost/i.test(section);
        if (/<!-- not a measurement -->/.test(section)) continue;
        if (!lost && !cited.some(resolves)) problems.push(`${doc} "${title}": no committed bench/results JSON named`);
        if (!lost)
          for (const c of cited.filter((x) => !resolves(x))) problems.push(`${doc} "${title}": ${c} is not committed`);
      }
    }
    assert.deepEqual(problems, []);
  });
});

/** The documents with performance tables (README.md and docs/durability.md hold none). */
const PERFORMANCE_DOCS = ['docs/performance.md', 'docs/scaling.md'];
