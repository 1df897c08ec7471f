// The demo's stand-ins for Salesforce and Microsoft 365: the sandbox org (OAuth, REST, Pub/Sub
// CDC over TLS) and the Graph sandbox, each run from its launcher as a child process of the demo,
// and stopped with it. Their state lives in memory: each demo start begins with fresh ones.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const launchers = {
  salesforce: fileURLToPath(new URL('../../sandbox/salesforce/main.ts', import.meta.url)),
  graph: fileURLToPath(new URL('../../sandbox/graph/main.ts', import.meta.url)),
};

export interface DemoSandboxes {
  salesforceUrl: string;
  pubSubEndpoint: string;
  graphUrl: string;
  /** The CA both sandboxes' TLS certificates come from. */
  caFile: string;
  stop(): Promise<void>;
}

interface Started {
  child: ChildProcess;
  output: () => string;
}

function launch(script: string, args: string[], ready: RegExp): Promise<Started> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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

export async function startDemoSandboxes(): Promise<DemoSandboxes> {
  const salesforce = await launch(launchers.salesforce, ['--pubsub', '--auto-approve'], /Pub\/Sub API: \S+/);
  let graph: Started;
  try {
    graph = await launch(launchers.graph, [], /listening on \S+/);
  } catch (error) {
    await stop(salesforce.child);
    throw error;
  }
  const find = (text: string, pattern: RegExp) => pattern.exec(text)?.[1] ?? '';
  return {
    salesforceUrl: find(salesforce.output(), /listening on (\S+)/),
    pubSubEndpoint: find(salesforce.output(), /Pub\/Sub API: (\S+)/),
    caFile: find(salesforce.output(), /TLS CA certificate: (\S+)/),
    graphUrl: find(graph.output(), /listening on (\S+)/),
    async stop() {
      await Promise.all([stop(salesforce.child), stop(graph.child)]);
    },
  };
}
