// Runs the Exchange (EWS) sandbox as its own process:
//   node sandbox/ews/main.ts [--host H] [--port N] [--latency-ms N]
// The first line on stdout says where it listens; it runs until SIGINT or SIGTERM.
import { parseArgs } from 'node:util';
import { startEwsSandbox, type EwsSandbox } from './index.ts';

const usage = `Usage: node sandbox/ews/main.ts [options]

Exchange Web Services (calendar items) as on-premises Exchange Server speaks it, on localhost,
over HTTPS with the sandboxes' local CA. EWS at <url>/EWS/Exchange.asmx.

Options:
  --host <host>       address to listen on (default 127.0.0.1)
  --port <port>       port to listen on (default: a free port)
  --latency-ms <n>    delay added to every EWS call
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
// The signal handlers come first: whoever reads the first line may stop the process at once,
// even before the server is up.
const running: { sandbox?: Promise<EwsSandbox> } = {};
const stop = () =>
  void (running.sandbox ?? Promise.resolve(undefined)).then((s) => s?.close()).then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
running.sandbox = startEwsSandbox({ host: values.host ?? '127.0.0.1', port, latencyMs });
const sandbox = await running.sandbox;
console.log(`EWS sandbox listening on ${sandbox.url}`);
console.log(`  TLS CA certificate: ${sandbox.caFile}; mailboxes at ${sandbox.url}/__sandbox/view`);
