// The CLI run in this process with captured output and no log noise: for command tests that need
// no separate process.
import { Writable } from 'node:stream';
import { runCli } from '../../src/cli/run-cli.ts';

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCliInProcess(
  args: string[],
  env: Record<string, string>,
  options: { stopSignal?: AbortSignal } = {},
): Promise<CliOutcome> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    logDestination: new Writable({ write: (_chunk, _encoding, done) => done() }),
    ...(options.stopSignal === undefined ? {} : { stopSignal: options.stopSignal }),
  });
  return { code, stdout, stderr };
}
