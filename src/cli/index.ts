#!/usr/bin/env node
/**
 * The `ephemeral-servers` command: `run`, `ls`, `logs`, `prune`. See docs/cli.md.
 */
import { createProgram } from './program.js';
import { exitCodeOf, reportError } from './report-error.js';

createProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    reportError(error);
    process.exitCode = exitCodeOf(error);
  });
