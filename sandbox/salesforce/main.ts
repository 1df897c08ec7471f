// Runs the Salesforce sandbox org (or several, with --orgs) as its own process:
//   node sandbox/salesforce/main.ts [--host H] [--port N] [--auto-approve] [--latency-ms N] [--package] [--seed file.json] [--orgs N]
//     [--tls] [--pubsub] [--cdc-delay-ms N] [--cdc-delivery-allocation N] [--cdc-entity-limit N]
// The first line on stdout says where the (first) org listens; with --pubsub the last line names
// the Pub/Sub API. It runs until SIGINT or SIGTERM.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  startSalesforceOrgs,
  type ConnectedApp,
  type EventInput,
  type SalesforceSandbox,
  type UserInput,
} from './index.ts';

const usage = `Usage: node sandbox/salesforce/main.ts [options]

A Salesforce org (or several) on localhost, speaking Salesforce's OAuth and REST protocols.

Options:
  --host <host>        address to listen on (default 127.0.0.1)
  --port <port>        port to listen on (default: a free port); the first org's, with --orgs
  --auto-approve       skip the login and consent pages: /authorize answers with a code at once
  --latency-ms <n>     delay added to every token and REST response
  --tls                serve HTTPS with the sandboxes' local CA (its file is printed)
  --pubsub             also run the Pub/Sub API (gRPC over TLS) with Event change data capture; implies --tls
  --cdc-delay-ms <n>   delay between a commit and its change event's delivery
  --cdc-delivery-allocation <n>
                       event deliveries allowed in a rolling 24 hours (DailyDeliveredPlatformEvents;
                       default 25000, Enterprise Edition's; Developer 10000, Unlimited 50000)
  --cdc-entity-limit <n>
                       entities that may be selected for change data capture (default 5)
  --package            our Salesforce package is installed (its custom settings exist)
  --seed <file.json>   apps, users and events the first org starts with, and its package:
                       { "apps": [...], "users": [...], "events": [{ "ownerUsername": "...", ... }],
                         "package": { "installed": true, "settings": { "InstantSync_Config__c": { ... } },
                                      "remoteSites": [{ "fullName": "...", "url": "https://..." }] } }
  --orgs <n>           run n orgs side by side (1 to 50, default 1): each has its own URL, id, users,
                       apps and events, and with --pubsub one Pub/Sub API serves them all; the
                       other options apply to every org, except --port and --seed (the first's)
  -h, --help           show this help
`;

interface Seed {
  apps?: ConnectedApp[];
  users?: UserInput[];
  events?: (EventInput & { ownerUsername?: string; ownerId?: string })[];
  /** The package installed or not; each setting's org-default fields; remote sites made in Setup. */
  package?: {
    installed?: boolean;
    settings?: Record<string, Record<string, unknown>>;
    remoteSites?: Parameters<SalesforceSandbox['addRemoteSite']>[0][];
  };
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'auto-approve': { type: 'boolean' },
      'latency-ms': { type: 'string' },
      tls: { type: 'boolean' },
      pubsub: { type: 'boolean' },
      'cdc-delay-ms': { type: 'string' },
      'cdc-delivery-allocation': { type: 'string' },
      'cdc-entity-limit': { type: 'string' },
      package: { type: 'boolean' },
      seed: { type: 'string' },
      orgs: { type: 'string' },
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
const cdcDelayMs = values['cdc-delay-ms'] === undefined ? 0 : Number(values['cdc-delay-ms']);
if (
  !Number.isInteger(port) ||
  port < 0 ||
  port > 65535 ||
  ![latencyMs, cdcDelayMs].every((n) => Number.isInteger(n) && n >= 0)
) {
  console.error(`--port, --latency-ms and --cdc-delay-ms take whole numbers\n\n${usage}`);
  process.exit(2);
}
/** A whole-number flag's value, or undefined when it is not given; exits when it is not one. */
const wholeNumber = (flag: 'cdc-delivery-allocation' | 'cdc-entity-limit', min: number) => {
  const given = values[flag];
  if (given === undefined) return undefined;
  if (!/^\d+$/.test(given) || Number(given) < min) {
    console.error(`--${flag} takes a whole number from ${min} up, not ${given}\n\n${usage}`);
    process.exit(2);
  }
  return Number(given);
};
const cdcDeliveryAllocation = wholeNumber('cdc-delivery-allocation', 0);
const cdcEntityLimit = wholeNumber('cdc-entity-limit', 1);
const orgCount = values.orgs === undefined ? 1 : Number(values.orgs);
if (!/^\d+$/.test(values.orgs ?? '1') || orgCount < 1 || orgCount > 50) {
  console.error(`--orgs takes a whole number from 1 to 50, not ${values.orgs ?? ''}\n\n${usage}`);
  process.exit(2);
}

const orgs = await startSalesforceOrgs(orgCount, {
  host: values.host ?? '127.0.0.1',
  port,
  autoApprove: values['auto-approve'] === true,
  latencyMs,
  tls: values.tls === true,
  pubSub: values.pubsub === true,
  cdcDelayMs,
  ...(cdcDeliveryAllocation === undefined ? {} : { cdcDeliveryAllocation }),
  ...(cdcEntityLimit === undefined ? {} : { cdcEntityLimit }),
  packageInstalled: values.package === true,
});
const closeAll = () => Promise.all(orgs.map((org) => org.close()));
// The seed is the first org's: it is the one a caller that knows of one org talks to.
const [sandbox] = orgs;
if (sandbox === undefined) throw new Error('no org started');
if (values.seed !== undefined) {
  try {
    const seed = JSON.parse(readFileSync(values.seed, 'utf8')) as Seed;
    for (const app of seed.apps ?? []) sandbox.addConnectedApp(app);
    const users = new Map((seed.users ?? []).map((user) => [user.username, sandbox.addUser(user).Id]));
    for (const { ownerUsername, ownerId, ...fields } of seed.events ?? []) {
      const owner = ownerId ?? users.get(ownerUsername ?? '');
      if (owner === undefined)
        throw new Error(`seed event ${JSON.stringify(fields.Subject)} has no known owner`);
      sandbox.createEvent(owner, fields);
    }
    if (seed.package?.installed !== undefined) sandbox.setPackageInstalled(seed.package.installed);
    for (const [name, fields] of Object.entries(seed.package?.settings ?? {}))
      sandbox.writePackageSetting(name, fields);
    for (const site of seed.package?.remoteSites ?? []) sandbox.addRemoteSite(site);
  } catch (error) {
    console.error(`cannot load the seed ${values.seed}: ${(error as Error).message}`);
    await closeAll();
    process.exit(2);
  }
}
// Ready to stop before saying it is ready: a parent may send SIGTERM as soon as it reads the line.
const stop = () => {
  void closeAll().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
// Started with an IPC channel (the demo does): its parent is gone when the channel closes.
process.once('disconnect', stop);

// Every org's two lines in order, then what they share: the CA, and last the one Pub/Sub API
// (callers wait for that line, so it comes once every org is listed).
for (const org of orgs) {
  console.log(`Salesforce sandbox listening on ${org.url}`);
  console.log(`  org ${org.orgId}; control API at ${org.url}/__sandbox/state`);
}
if (sandbox.caFile !== undefined) console.log(`  TLS CA certificate: ${sandbox.caFile}`);
if (sandbox.pubSubEndpoint !== undefined) console.log(`  Pub/Sub API: ${sandbox.pubSubEndpoint}`);
