#!/usr/bin/env node
import { main } from '../dist/bundle/main.js';

// A closed pipe (`agent-team ledger | head`) ends the output, not the process with a stack trace.
// A command that owns a run listens for it too, and stops the run cleanly instead (see cli/interrupt.ts).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
    if (stream.listenerCount('error') > 1) return;
    process.exit(process.exitCode ?? 0);
  });
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`agent-team: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
