#!/usr/bin/env node
/** Entry point of the operator CLI (`cxr`, package.json "bin"): the program is src/cli/program.ts. */
import { EXIT } from './cli/exit-codes';
import { main } from './cli/program';

main().catch((err) => {
  console.error(err instanceof Error ? `cxr: ${err.stack ?? err.message}` : err);
  process.exit(EXIT.error);
});
