// Runs the Exchange (EWS) sandbox as its own process:
//   node sandbox/ews/main.ts [--host H] [--port N] [--latency-ms N]
// The first line on stdout says where it listens; it runs until SIGINT or SIGTERM.
import { runSandboxLauncher } from '../launcher.ts';
import { startEwsSandbox } from './index.ts';

await runSandboxLauncher({
  name: 'EWS',
  script: 'sandbox/ews/main.ts',
  description:
    "Exchange Web Services (calendar items) as on-premises Exchange Server speaks it, on localhost,\nover HTTPS with the sandboxes' local CA. EWS at <url>/EWS/Exchange.asmx.",
  delays: 'every EWS call',
  viewOf: 'mailboxes',
  start: startEwsSandbox,
});
