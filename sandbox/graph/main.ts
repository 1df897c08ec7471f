// Runs the Microsoft Graph sandbox as its own process:
//   node sandbox/graph/main.ts [--host H] [--port N] [--latency-ms N]
// The first line on stdout says where it listens; it runs until SIGINT or SIGTERM.
import { runSandboxLauncher } from '../launcher.ts';
import { startGraphSandbox } from './index.ts';

await runSandboxLauncher({
  name: 'Graph',
  script: 'sandbox/graph/main.ts',
  description:
    "Microsoft Graph (calendar) and its token endpoint on localhost, over HTTPS with the sandboxes' local CA.",
  delays: 'every Graph request',
  viewOf: 'mailboxes',
  start: startGraphSandbox,
});
