// Runs the real `instant-sync` executable in a child process, with a clean environment:
// no INSTANT_SYNC_* variable leaks in from the test runner's own environment.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const executable = fileURLToPath(new URL('../../bin/instant-sync.js', import.meta.url));

export function cleanEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('INSTANT_SYNC_')) env[key] = value;
  }
  return { ...env, ...overrides };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; script?: string; nodeArgs?: readonly string[] },
) {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), options.script ?? executable, ...args],
    {
      cwd: options.cwd,
      env: cleanEnv(options.env),
    },
  );
  const result: CliResult = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (result.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (result.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve((result.code = code)));
  });
  return { child, result, exited };
}

export async function runCliProcess(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<CliResult> {
  const { result, exited } = spawnCli(args, options);
  await exited;
  return result;
}

/**
 * Starts a long-running command (of the CLI, or of another `script` such as a sandbox launcher)
 * and resolves once its stdout matches `ready`.
 */
export function startCliProcess(
  args: string[],
  options: {
    cwd: string;
    env?: Record<string, string>;
    ready: RegExp;
    timeoutMs?: number;
    script?: string;
    /** Node.js flags before the script (e.g. --cpu-prof). */
    nodeArgs?: readonly string[];
  },
): Promise<{
  child: ChildProcess;
  match: RegExpMatchArray;
  output: () => CliResult;
  exited: Promise<number | null>;
}> {
  const { child, result, exited } = spawnCli(args, options);
  const timeoutMs = options.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`not ready within ${timeoutMs} ms:\n${result.stdout}\n${result.stderr}`));
    }, timeoutMs);
    child.stdout.on('data', () => {
      const match = options.ready.exec(result.stdout);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, match, output: () => result, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with code ${code} before it was ready:\n${result.stdout}\n${result.stderr}`));
    });
  });
}
