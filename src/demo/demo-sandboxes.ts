// The demo's stand-ins for Salesforce and the mailbox provider: the sandbox org (OAuth, REST,
// Pub/Sub CDC over TLS) and the provider's sandbox (named by its description), each run from its
// launcher as a child process of the demo, and stopped with it. Their state lives in memory: each
// demo start begins with fresh ones.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import type { ProviderSandbox } from '../providers/provider-plugin.ts';
import { packageFile } from '../lib/package-files.ts';

const salesforceLauncher = fileURLToPath(packageFile('sandbox/salesforce/main.ts'));

export interface DemoSandboxes {
  salesforceUrl: string;
  pubSubEndpoint: string;
  /** The mailbox provider's sandbox. */
  providerUrl: string;
  /** The CA both sandboxes' TLS certificates come from. */
  caFile: string;
  stop(): Promise<void>;
}

interface Started {
  child: ChildProcess;
  output: () => string;
}

function launch(script: string, args: string[], ready: RegExp): Promise<Started> {
  // An IPC channel: when the demo dies without stopping them (kill -9, a crash), the channel
  // closes and the sandbox stops itself ('disconnect' in sandbox/launcher.ts): none is left behind.
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  const collect = (chunk: Buffer) => (output += chunk.toString());
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the sandbox ${script} did not start within 30 s:\n${output}`));
    }, 30_000);
    child.stdout?.on('data', () => {
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve({ child, output: () => output });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the sandbox ${script} exited with code ${String(code)}:\n${output}`));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export async function startDemoSandboxes(provider: ProviderSandbox): Promise<DemoSandboxes> {
  const salesforce = await launch(salesforceLauncher, ['--pubsub', '--auto-approve'], /Pub\/Sub API: \S+/);
  let mailboxes: Started;
  try {
    mailboxes = await launch(fileURLToPath(provider.launcher), [], /listening on \S+/);
  } catch (error) {
    await stop(salesforce.child);
    throw error;
  }
  const find = (text: string, pattern: RegExp) => pattern.exec(text)?.[1] ?? '';
  return {
    salesforceUrl: find(salesforce.output(), /listening on (\S+)/),
    pubSubEndpoint: find(salesforce.output(), /Pub\/Sub API: (\S+)/),
    caFile: find(salesforce.output(), /TLS CA certificate: (\S+)/),
    providerUrl: find(mailboxes.output(), /listening on (\S+)/),
    async stop() {
      await Promise.all([stop(salesforce.child), stop(mailboxes.child)]);
    },
  };
}
