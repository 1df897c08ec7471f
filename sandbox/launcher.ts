// What every calendar sandbox's main.ts does (Graph, Google, EWS): read --host, --port and
// --latency-ms, start the sandbox, stop it on SIGINT or SIGTERM, and say where it listens in the
// two lines the demo, the end-to-end tests and the bench wait for. The signal handlers come first:
// whoever reads the first line may stop the process at once, even while the server starts.
import { parseArgs } from 'node:util';

interface Started {
  url: string;
  caFile: string;
  close(): Promise<void>;
}

export async function runSandboxLauncher(options: {
  /** `Graph` → "Graph sandbox listening on …". */
  name: string;
  script: string;
  /** What it stands in for, for the help. */
  description: string;
  /** What --latency-ms delays ("every Graph request"). */
  delays: string;
  /** What its view shows ("mailboxes", "calendars"). */
  viewOf: string;
  start(options: { host: string; port: number; latencyMs: number }): Promise<Started>;
}): Promise<void> {
  const usage = `Usage: node ${options.script} [options]

${options.description}

Options:
  --host <host>       address to listen on (default 127.0.0.1)
  --port <port>       port to listen on (default: a free port)
  --latency-ms <n>    delay added to ${options.delays}
  -h, --help          show this help
`;
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'latency-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (values.help === true) {
    console.log(usage);
    process.exit(0);
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  const latencyMs = values['latency-ms'] === undefined ? 0 : Number(values['latency-ms']);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !Number.isInteger(latencyMs) || latencyMs < 0) {
    console.error(`--port and --latency-ms take whole numbers\n\n${usage}`);
    process.exit(2);
  }
  const running: { sandbox?: Promise<Started> } = {};
  const stop = () =>
    void (running.sandbox ?? Promise.resolve(undefined))
      .then((sandbox) => sandbox?.close())
      .then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Started with an IPC channel (the demo does): its parent is gone when the channel closes.
  process.once('disconnect', stop);
  running.sandbox = options.start({ host: values.host ?? '127.0.0.1', port, latencyMs });
  const sandbox = await running.sandbox;
  console.log(`${options.name} sandbox listening on ${sandbox.url}`);
  console.log(`  TLS CA certificate: ${sandbox.caFile}; ${options.viewOf} at ${sandbox.url}/__sandbox/view`);
}
