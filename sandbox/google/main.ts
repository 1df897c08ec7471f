// Runs the Google sandbox as its own process:
//   node sandbox/google/main.ts [--host H] [--port N] [--latency-ms N]
// The first line on stdout says where it listens; it runs until SIGINT or SIGTERM.
import { runSandboxLauncher } from '../launcher.ts';
import { startGoogleSandbox } from './index.ts';

await runSandboxLauncher({
  name: 'Google',
  script: 'sandbox/google/main.ts',
  description:
    "Google's OAuth 2.0 token endpoint (service accounts, domain-wide delegation) and Calendar API v3\non localhost, over HTTPS with the sandboxes' local CA.",
  delays: 'every Calendar API request',
  viewOf: 'calendars',
  start: startGoogleSandbox,
});
