/**
 * The CLI's configuration: loadConfig() with the global flags (--address, --namespace, --profile, --task-queue,
 * --orthanc-url, --model-dir) as overrides. The flags are parsed once by the root command (src/client.ts) and kept
 * here; they are never written into process.env.
 */
import { type ConfigOverrides, loadConfig, type PipelineConfig } from '../config';

let flags: ConfigOverrides = {};

/** Called by the root command before any subcommand runs. */
export function setCliFlags(overrides: ConfigOverrides): void {
  flags = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as ConfigOverrides;
}

/** The configuration for this invocation; `extra` are a subcommand's own overrides (e.g. doctor --task-queue). */
export function cliConfig(extra: ConfigOverrides = {}): PipelineConfig {
  return loadConfig({ ...flags, ...extra });
}
