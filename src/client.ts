#!/usr/bin/env node
/**
 * The operator CLI: `cxr <command>`. Configuration from the environment (TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, CXR_TASK_QUEUE, ORTHANC_URL, ORTHANC_USERNAME, ORTHANC_PASSWORD), with
 * defaults that match scripts/services.
 */
import { Command } from 'commander';
import { ingestCommand } from './cli/commands/ingest';

export function buildProgram(): Command {
  return new Command('cxr')
    .description('Durable chest X-ray AI pipeline: DICOM zip -> Orthanc -> ONNX classifier -> DICOM SR, on Temporal')
    .showHelpAfterError()
    .addCommand(ingestCommand());
}

async function main(): Promise<void> {
  await buildProgram().parseAsync(process.argv);
}

main().catch((err) => {
  console.error(err instanceof Error ? `cxr: ${err.message}` : err);
  process.exit(1);
});
