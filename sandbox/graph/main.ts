// Runs the Microsoft Graph sandbox as its own process:
//   node sandbox/graph/main.ts [--host H] [--port N] [--latency-ms N]
// The first line on stdout says where it listens; it runs until SIGINT or SIGTERM.
import { parseArgs } from 'node:util';
import { startGraphSandbox } from './index.ts';

const usage = `Usage: node sandbox/graph/main.ts [options]

Microsoft Graph (calendar) and its token endpoint on localhost, over HTTPS with the sandboxes' local CA.

Options:
  --host <host>       address to listen on (default 127.0.0.1)
  --port <port>       port to listen on (default: a free port)
  --latency-ms <n>    delay added to every Graph request
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
const sandbox = await startGraphSandbox({ host: values.host ?? '127.0.0.1', port, latencyMs });
// Ready to stop before saying it is ready: a parent may send SIGTERM as soon as it reads the line.
const stop = () => void sandbox.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
console.log(`Graph sandbox listening on ${sandbox.url}`);
console.log(`  TLS CA certificate: ${sandbox.caFile}; mailboxes at ${sandbox.url}/__sandbox/view`);
