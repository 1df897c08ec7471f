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

export function runCliProcess(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [executable, ...args], {
      cwd: options.cwd,
      env: cleanEnv(options.env),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts a long-running command and resolves once its stdout matches `ready`. */
export function startCliProcess(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; ready: RegExp; timeoutMs?: number },
): Promise<{
  child: ChildProcess;
  match: RegExpMatchArray;
  output: () => CliResult;
  exited: Promise<number | null>;
}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [executable, ...args], {
      cwd: options.cwd,
      env: cleanEnv(options.env),
    });
    let stdout = '';
    let stderr = '';
    let exitCode: number | null = null;
    const exited = new Promise<number | null>((done) =>
      child.once('close', (code) => done((exitCode = code))),
    );
    const output = () => ({ code: exitCode, stdout, stderr });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`not ready within ${options.timeoutMs ?? 20_000} ms:\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = options.ready.exec(stdout);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, match, output, exited });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with code ${code} before it was ready:\n${stdout}\n${stderr}`));
    });
  });
}
