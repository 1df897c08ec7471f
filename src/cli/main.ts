// Entry point of the `instant-sync` executable (bin/instant-sync.js loads this file).
import { runCli } from './run-cli.ts';

// Output piped into a reader that went away (`instant-sync demo | head`): stop as on Ctrl-C, so a
// long-running command shuts down cleanly (the demo stops its sandboxes) instead of crashing.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.stdout.removeAllListeners('error');
  process.stdout.on('error', () => undefined);
  process.kill(process.pid, 'SIGTERM');
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTerminal: process.stdout.isTTY,
});
