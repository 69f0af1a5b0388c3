/**
 * The reason vocabulary (src/reasons.ts) as operators read it: `cxr failures --help` and the table in
 * docs/operator-guide.md (kept identical by test/unit/cli/reason-docs.test.ts; `npm run docs:reasons` rewrites it).
 */
import fs from 'node:fs';
import { REASON_TYPES, REASONS, type ReasonType } from '../reasons';

function byOutcome(outcome: 'failed' | 'skipped'): ReasonType[] {
  return REASON_TYPES.filter((t) => REASONS[t].outcome === outcome);
}

/** Wrap a comma-separated list at `width` columns. */
function wrap(words: string[], width: number, indent = ''): string {
  const lines: string[] = [];
  let line = indent;
  for (const [i, word] of words.entries()) {
    const piece = word + (i < words.length - 1 ? ',' : '');
    if (line.trim().length > 0 && line.length + 1 + piece.length > width) {
      lines.push(line);
      line = indent + piece;
    } else {
      line = line.trim().length > 0 ? `${line} ${piece}` : indent + piece;
    }
  }
  if (line.trim().length > 0) lines.push(line);
  return lines.join('\n');
}

/** Plain text for `cxr failures --help`. */
export function reasonsHelp(width = 100): string {
  return [
    'Reason types, failed:',
    wrap(byOutcome('failed'), width, '  '),
    'Reason types, skipped:',
    wrap(byOutcome('skipped'), width, '  '),
  ].join('\n');
}

/** Prettier leaves the generated block as it is, so the test compares it byte for byte. */
export const GUIDE_BEGIN =
  '<!-- prettier-ignore-start -->\n<!-- reasons: generated from src/reasons.ts by `npm run docs:reasons` -->';
export const GUIDE_END = '<!-- prettier-ignore-end -->';

/** The Markdown table in docs/operator-guide.md, markers included. */
export function reasonsMarkdown(): string {
  const rows = REASON_TYPES.map((t) => {
    const r = REASONS[t];
    const outcome = r.outcome === 'skipped' ? 'skipped' : r.retryable ? 'failed (retried first)' : 'failed';
    return `| \`${t}\` | ${outcome} | ${r.meaning.replace(/\|/g, '\\|')} |`;
  });
  return [GUIDE_BEGIN, '', '| reason | outcome | meaning |', '| --- | --- | --- |', ...rows, '', GUIDE_END].join('\n');
}

/** `text` with the block between the markers replaced by the generated table. */
export function withReasonsTable(text: string): string {
  const begin = text.indexOf(GUIDE_BEGIN);
  const end = text.indexOf(GUIDE_END);
  if (begin < 0 || end < begin) throw new Error('docs/operator-guide.md lacks the reasons markers');
  return text.slice(0, begin) + reasonsMarkdown() + text.slice(end + GUIDE_END.length);
}

// `node dist/src/cli/reason-docs.js <guide.md>`: rewrite the table in place.
if (require.main === module) {
  const file = process.argv[2] ?? 'docs/operator-guide.md';
  fs.writeFileSync(file, withReasonsTable(fs.readFileSync(file, 'utf8')));
}
