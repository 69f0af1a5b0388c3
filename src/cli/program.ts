/**
 * The operator CLI program: `cxr <command>`. Configuration from src/config.ts (environment, the `temporal` CLI's
 * profiles through @temporalio/envconfig, defaults that match scripts/services), with the global flags as overrides.
 * Exit codes: src/cli/exit-codes.ts (and docs/operator-guide.md). The executable is src/client.ts.
 */
import { Command, CommanderError } from 'commander';
import { AuditLogError } from '../audit';
import { auditCommand } from './commands/audit';
import { deliveriesCommand } from './commands/deliveries';
import { doctorCommand } from './commands/doctor';
import { failuresCommand } from './commands/failures';
import { followCommand } from './commands/follow';
import { ingestCommand } from './commands/ingest';
import { listCommand } from './commands/list';
import { replayCommand } from './commands/replay';
import { reprocessCommand } from './commands/reprocess';
import { resultsCommand } from './commands/results';
import { retryFailedCommand } from './commands/retry-failed';
import { statusCommand, watchCommand } from './commands/status';
import { studiesCommand } from './commands/studies';
import { verifyCommand } from './commands/verify';
import { setCliFlags } from './cli-config';
import type { ConfigOverrides } from '../config';
import { CliError, EXIT, EXIT_HELP } from './exit-codes';

/** The root command's flags: the configuration overrides it passes on, and --temporal-wait as commander parses it. */
type GlobalFlags = Pick<
  ConfigOverrides,
  'address' | 'namespace' | 'profile' | 'taskQueue' | 'orthancUrl' | 'modelDir'
> & {
  temporalWait?: string;
};

export function buildProgram(): Command {
  const program = new Command('cxr')
    .description('Durable chest X-ray AI pipeline: DICOM zip -> Orthanc -> ONNX classifier -> DICOM SR, on Temporal')
    .showHelpAfterError()
    // Flags override the environment variables of the same meaning (passed to loadConfig(), not into process.env).
    .option('--address <host:port>', 'Temporal frontend (TEMPORAL_ADDRESS)')
    .option('--namespace <name>', 'Temporal namespace (TEMPORAL_NAMESPACE)')
    .option('--profile <name>', "profile of the temporal CLI's config file (TEMPORAL_PROFILE)")
    .option('--task-queue <name>', 'task queue of the pipeline workers (CXR_TASK_QUEUE)')
    .option('--orthanc-url <url>', 'Orthanc REST API (ORTHANC_URL)')
    .option('--model-dir <dir>', 'model folder, for doctor (CXR_MODEL_DIR)')
    .option(
      '--temporal-wait <seconds>',
      'how long ingest/watch/status/verify wait for an unreachable Temporal before exit 69 (CXR_TEMPORAL_WAIT_S, default 300)',
    )
    .hook('preAction', (root) => {
      const { temporalWait, ...flags } = root.opts<GlobalFlags>();
      if (temporalWait !== undefined && !(Number(temporalWait) >= 0))
        throw new CliError(`--temporal-wait must be a number of seconds >= 0 (got ${temporalWait})`, EXIT.usage);
      setCliFlags({ ...flags, temporalWaitS: temporalWait === undefined ? undefined : Number(temporalWait) });
    })
    .addHelpText(
      'after',
      `
Examples:
  $ cxr doctor                      is everything up?
  $ cxr ingest study.zip            ingest with a live progress bar
  $ cxr list                        recent ingests
  $ cxr failures study.zip          why entries failed
  $ cxr retry-failed study.zip      re-run only those
  $ cxr results study.zip           findings read back from the SRs in Orthanc
  $ cxr follow start                classify every chest X-ray that arrives in Orthanc
  $ cxr reprocess --model-dir DIR --all   add the SRs of a new model version
  $ cxr verify study.zip            does Orthanc still hold every image and SR? (--repair)
  $ cxr deliveries                  where each completed study's result went (webhook, HL7, FHIR)
  $ cxr audit verify                is the audit trail intact (hash chain)?

Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_PROFILE, TEMPORAL_API_KEY, TEMPORAL_TLS_*
(as the temporal CLI reads them, with its profile file), CXR_TASK_QUEUE, ORTHANC_URL, ORTHANC_USERNAME,
ORTHANC_PASSWORD, CXR_MODEL_DIR, TEMPORAL_UI_URL, CXR_TEMPORAL_WAIT_S. Operator guide: docs/operator-guide.md.
${EXIT_HELP}`,
    );
  for (const cmd of [
    ingestCommand(),
    statusCommand(),
    watchCommand(),
    listCommand(),
    failuresCommand(),
    retryFailedCommand(),
    resultsCommand(),
    followCommand(),
    reprocessCommand(),
    studiesCommand(),
    verifyCommand(),
    replayCommand(),
    deliveriesCommand(),
    doctorCommand(),
    auditCommand(),
  ]) {
    program.addCommand(cmd.showHelpAfterError().exitOverride());
  }
  return program.exitOverride();
}

/** Parse argv and run the command; sets process.exitCode (src/cli/exit-codes.ts). */
export async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; every other parse error is a usage error (message already printed).
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (err instanceof AuditLogError) {
      console.error(`cxr: ${err.message}`);
      process.exitCode = EXIT.error;
      return;
    }
    if (err instanceof CliError) {
      console.error(`cxr: ${err.message}`);
      process.exitCode = err.exitCode;
      return;
    }
    throw err;
  }
}
