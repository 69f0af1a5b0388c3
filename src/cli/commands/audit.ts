/**
 * `cxr audit verify [--file LOG]`: check the audit log's hash chain (src/audit/chain.ts) against its head file. Exit 0
 * when every record is chained to the one before it and the log ends where the head says; 5 when a line was edited,
 * deleted or is not a record, or the log was truncated (each problem printed with its line number).
 */
import { Command } from 'commander';
import { verifyAuditLog } from '../../audit';
import { cliConfig } from '../cli-config';
import { CliError, EXIT, EXIT_HELP } from '../exit-codes';

export function auditCommand(): Command {
  const audit = new Command('audit').description('The audit trail of operator actions (docs/security.md)');
  audit.addCommand(
    new Command('verify')
      .description("Check the audit log's hash chain: detects an edited, deleted or added line and a truncation")
      .option('--file <log>', 'the log to check (default CXR_AUDIT_LOG, else <data dir>/audit/audit.jsonl)')
      .option('--json', 'print the verdict as JSON')
      .addHelpText(
        'after',
        `
Each record carries the SHA-256 of the line before it (prev) and its position (seq); <log>.head names the last
record. Records written before the chain existed (version 1) are counted as legacy and are not protected.

Examples:
  $ cxr audit verify
  $ cxr audit verify --file /backup/audit.jsonl --json

${EXIT_HELP}`,
      )
      .action((opts: { file?: string; json?: boolean }) => {
        const file = opts.file ?? cliConfig().audit.logFile;
        let verdict;
        try {
          verdict = verifyAuditLog(file);
        } catch (err) {
          throw new CliError((err as Error).message, EXIT.notFound);
        }
        if (opts.json) console.log(JSON.stringify({ file, ...verdict }, null, 2));
        else {
          for (const p of verdict.problems) console.log(`${file}:${p.line}: ${p.kind}: ${p.detail}`);
          const legacy = verdict.legacy > 0 ? `, ${verdict.legacy} older unchained` : '';
          console.log(
            verdict.ok
              ? `audit log intact: ${verdict.records} chained records${legacy} (${file})`
              : `audit log NOT intact: ${verdict.problems.length} problem(s) in ${verdict.records} chained records${legacy}`,
          );
        }
        if (!verdict.ok) process.exitCode = EXIT.checkFailed;
      }),
  );
  return audit;
}
