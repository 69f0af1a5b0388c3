/**
 * The audit log's hash chain on real files (no services): records written by audit() verify; an edited line, a
 * deleted line, a truncated log and a removed head are each found, by verifyAuditLog and by the compiled
 * `cxr audit verify` (exit 5); /dev/null, a FIFO, a folder and a symbolic link are refused as logs; concurrent
 * writers (several processes) keep one unbroken chain. Fails when the chain, the head or the regular-file check is
 * taken out of src/audit.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { assertAuditLogWritable, audit, AuditLogError, readAuditLog, verifyAuditLog } from '../../../src/audit';
import { GENESIS, lineHash, verifyAuditText } from '../../../src/audit/chain';
import type { AuditConfig } from '../../../src/config';
import { PROJECT_ROOT } from '../../../src/config';

const CLI = path.join(PROJECT_ROOT, 'dist', 'src', 'client.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-audit-chain-'));
let n = 0;

async function freshLog(records: number): Promise<AuditConfig> {
  const cfg: AuditConfig = { logFile: path.join(tmp, `log-${++n}`, 'audit.jsonl') };
  for (let i = 0; i < records; i++) await audit(cfg, 'ingest', { ingestId: `ingest-${i}` }, 'success');
  return cfg;
}

function lines(file: string): string[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

function cliVerify(file: string): { code: number; out: string } {
  try {
    return {
      code: 0,
      out: execFileSync(process.execPath, [CLI, 'audit', 'verify', '--file', file], { encoding: 'utf8' }),
    };
  } catch (err) {
    const e = err as { status: number; stdout: string };
    return { code: e.status, out: e.stdout };
  }
}

describe('audit hash chain', { timeout: 60_000 }, () => {
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('chains every record to the line before it, and the head names the last', async () => {
    const cfg = await freshLog(4);
    const ls = lines(cfg.logFile);
    const recs = readAuditLog(cfg.logFile);
    assert.deepEqual(
      recs.map((r) => r.seq),
      [1, 2, 3, 4],
    );
    assert.equal(recs[0].prev, GENESIS);
    for (let i = 1; i < ls.length; i++) assert.equal(recs[i].prev, lineHash(ls[i - 1]));
    assert.equal(recs[0].v, 2);
    assert.equal(recs[0].osUser, os.userInfo().username);
    assert.equal(recs[0].uid, process.geteuid?.());
    const head = JSON.parse(fs.readFileSync(`${cfg.logFile}.head`, 'utf8')) as { seq: number; hash: string };
    assert.deepEqual(head, { seq: 4, hash: lineHash(ls[3]) });
    assert.deepEqual(verifyAuditLog(cfg.logFile), { ok: true, records: 4, legacy: 0, problems: [] });
    const cli = cliVerify(cfg.logFile);
    assert.equal(cli.code, 0, cli.out);
    assert.match(cli.out, /audit log intact: 4 chained records/);
  });

  it('finds an edited line', async () => {
    const cfg = await freshLog(4);
    const ls = lines(cfg.logFile);
    ls[1] = ls[1].replace('"outcome":"success"', '"outcome":"serious-failure"');
    fs.writeFileSync(cfg.logFile, ls.join('\n') + '\n');
    const v = verifyAuditLog(cfg.logFile);
    assert.equal(v.ok, false);
    assert.deepEqual(
      v.problems.map((p) => [p.line, p.kind]),
      [[3, 'edited-or-deleted']],
    );
    const cli = cliVerify(cfg.logFile);
    assert.equal(cli.code, 5, cli.out);
    assert.match(cli.out, /audit\.jsonl:3: edited-or-deleted/);
  });

  it('finds an edit of the last line (through the head)', async () => {
    const cfg = await freshLog(3);
    const ls = lines(cfg.logFile);
    ls[2] = ls[2].replace('ingest-2', 'ingest-x');
    fs.writeFileSync(cfg.logFile, ls.join('\n') + '\n');
    assert.deepEqual(
      verifyAuditLog(cfg.logFile).problems.map((p) => p.kind),
      ['truncated'],
    );
  });

  it('finds a deleted line', async () => {
    const cfg = await freshLog(5);
    const ls = lines(cfg.logFile);
    ls.splice(2, 1);
    fs.writeFileSync(cfg.logFile, ls.join('\n') + '\n');
    const v = verifyAuditLog(cfg.logFile);
    assert.deepEqual(
      v.problems.map((p) => [p.line, p.kind]),
      [
        [3, 'edited-or-deleted'],
        [3, 'sequence-gap'],
      ],
    );
    assert.equal(cliVerify(cfg.logFile).code, 5);
  });

  it('finds a truncation, a deleted first line and a removed head', async () => {
    const cfg = await freshLog(5);
    const ls = lines(cfg.logFile);
    fs.writeFileSync(cfg.logFile, ls.slice(0, 3).join('\n') + '\n');
    const v = verifyAuditLog(cfg.logFile);
    assert.deepEqual(
      v.problems.map((p) => p.kind),
      ['truncated'],
    );
    assert.match(v.problems[0].detail, /ends at record 3, the head names record 5/);
    const cli = cliVerify(cfg.logFile);
    assert.equal(cli.code, 5);
    assert.match(cli.out, /truncated/);

    fs.writeFileSync(cfg.logFile, '');
    assert.deepEqual(
      verifyAuditLog(cfg.logFile).problems.map((p) => p.kind),
      ['truncated'],
      'emptied',
    );

    const head = { seq: 5, hash: lineHash(ls[4]) };
    assert.deepEqual(
      verifyAuditText(ls.slice(1).join('\n') + '\n', head).problems.map((p) => [p.line, p.kind]),
      [
        [1, 'edited-or-deleted'],
        [1, 'sequence-gap'],
      ],
      'the first line deleted',
    );
    assert.deepEqual(
      verifyAuditText(ls.join('\n') + '\n', undefined).problems.map((p) => p.kind),
      ['head-missing'],
    );
  });

  it('goes on from older unchained (version 1) lines', async () => {
    const cfg: AuditConfig = { logFile: path.join(tmp, 'legacy', 'audit.jsonl') };
    fs.mkdirSync(path.dirname(cfg.logFile));
    fs.writeFileSync(cfg.logFile, JSON.stringify({ v: 1, who: 'old', action: 'ingest' }) + '\n');
    await audit(cfg, 'ingest', {}, 'success');
    await audit(cfg, 'ingest', {}, 'success');
    const recs = readAuditLog(cfg.logFile);
    assert.deepEqual(
      recs.map((r) => r.seq),
      [undefined, 1, 2],
    );
    assert.deepEqual(verifyAuditLog(cfg.logFile), { ok: true, records: 2, legacy: 1, problems: [] });
  });

  it('refuses /dev/null, a FIFO, a folder and a symbolic link as the log', async () => {
    const fifo = path.join(tmp, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const dir = path.join(tmp, 'a-dir');
    fs.mkdirSync(dir);
    const real = path.join(tmp, 'real.jsonl');
    fs.writeFileSync(real, '');
    const link = path.join(tmp, 'link.jsonl');
    fs.symlinkSync(real, link);
    for (const logFile of ['/dev/null', fifo, dir, link]) {
      await assert.rejects(assertAuditLogWritable({ logFile }), AuditLogError, logFile);
      await assert.rejects(audit({ logFile }, 'ingest', {}, 'success'), /not a regular file|ELOOP/, logFile);
    }
    assert.equal(fs.readFileSync(real, 'utf8'), '', 'nothing written through the link');
  });

  it('keeps one chain when several processes append at once', async () => {
    const cfg = await freshLog(0);
    const script = `const { audit } = require(${JSON.stringify(path.join(PROJECT_ROOT, 'dist', 'src', 'audit'))});
      (async () => { for (let i = 0; i < 15; i++) await audit({ logFile: process.argv[1] }, 'ingest', { i }, 'success'); })()
        .catch((e) => { console.error(e); process.exit(1); });`;
    const codes = await Promise.all(
      [0, 1, 2, 3].map(
        () =>
          new Promise<number | null>((resolve) => {
            const c = spawn(process.execPath, ['-e', script, cfg.logFile], { stdio: 'inherit' });
            c.on('close', resolve);
          }),
      ),
    );
    assert.deepEqual(codes, [0, 0, 0, 0]);
    const v = verifyAuditLog(cfg.logFile);
    assert.deepEqual(v, { ok: true, records: 60, legacy: 0, problems: [] });
  });
});
