// `npm start` on a machine with nothing configured runs the demo: sandbox org and sandbox
// Microsoft 365 as child processes, the demo tenant connected through OAuth, Events streamed and
// synced with one line each; the Events reach the sandbox mailboxes; Ctrl-C stops everything; a
// second run (`instant-sync demo`) reuses the data directory. `--provider google` and
// `--provider ews` run the same demo against the Google and Exchange (EWS) sandboxes.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, onTestFinished } from 'vitest';
import { localTls } from '../../sandbox/local-tls.ts';
import { createOutboundFetch } from '../../src/lib/outbound-fetch.ts';
import { runCliProcess, startCliProcess } from '../support/cli-process.ts';
import { freePort } from '../support/service-under-test.ts';
import { waitFor } from '../support/wait-for.ts';

it('runs the demo, syncs its Events into the sandbox mailboxes, stops on Ctrl-C and reuses its data', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'instant-sync-demo-'));
  onTestFinished(() => rmSync(cwd, { recursive: true, force: true }));
  const env = { INSTANT_SYNC_PORT: String(await freePort()) };
  const fetchImpl = createOutboundFetch({ extraCaPem: readFileSync(localTls().caFile, 'utf8') });

  // Ready once the whole header is out (its last line): the lines after the view's address came
  // in a later chunk on a busy machine.
  const first = await startCliProcess(['start'], { cwd, env, ready: /Ctrl-C stops\./, timeoutMs: 60_000 });
  const viewUrl = /(https:\/\/\S+)\/__sandbox\/view/.exec(first.output().stdout)?.[1] ?? '';
  expect(first.output().stdout).toContain('starting the demo');
  // The first run makes the secret key and says so in words, not as a JSON log line.
  expect(first.output().stdout).toContain('A new secret key is in ./data/secret.key');
  expect(first.output().stderr).not.toContain('created a new secret key');
  // The sandbox view is https from a local certificate authority: the line says so and names it.
  expect(first.output().stdout).toContain(
    `your browser will warn about this https page: the sandboxes' certificates come from a local certificate authority, ${localTls().caFile}`,
  );
  await waitFor(() => (first.output().stdout.match(/ created /g) ?? []).length >= 3, {
    timeoutMs: 30_000,
    what: 'three created lines',
  });
  const mailboxes = (await (await fetchImpl(`${viewUrl}/__sandbox/mailboxes`)).json()) as {
    address: string;
    events: number;
  }[];
  expect(mailboxes.reduce((sum, m) => sum + m.events, 0)).toBeGreaterThanOrEqual(3);
  const anna = (await (
    await fetchImpl(`${viewUrl}/__sandbox/mailboxes/anna.berg@demo.example/events`)
  ).json()) as { subject: string }[];
  expect(anna.map((e) => e.subject)).toContain('Pipeline review');
  // Each line ends with its Event's id, which `trace` takes.
  const line =
    /created {2}"Pipeline review" +→ anna\.berg@demo\.example {2}\d+\.\d s after the save in Salesforce {2}(00U\w{15})\n/.exec(
      first.output().stdout,
    );
  expect(line, first.output().stdout).not.toBeNull();
  const eventId = line?.[1] ?? '';
  const trace = await runCliProcess(['trace', eventId], { cwd, env });
  expect(trace.code, trace.stderr).toBe(0);
  expect(trace.stdout).toContain(`Event ${eventId} (tenant demo)`);
  // Commands that reach Salesforce find the demo's sandboxes (and trust their certificates) on their own.
  const doctor = await runCliProcess(['doctor', 'demo'], { cwd, env: {} });
  expect(doctor.stderr).toBe('');
  expect(doctor.stdout).toContain('Tenant demo can sync.');
  const backfill = await runCliProcess(['backfill', 'demo', '--from', '2026-01-01', '--to', '2027-12-31'], {
    cwd,
    env: {},
  });
  expect(backfill.code, backfill.stderr).toBe(0);
  expect(backfill.stdout).toMatch(/^Found \d+ Events from 2026-01-01 to 2027-12-31/);
  // The admin pages take the token the demo printed.
  const adminToken = /sign in with the token (\S+),/.exec(first.output().stdout)?.[1] ?? '';
  const publicUrl = `http://localhost:${env.INSTANT_SYNC_PORT}`;
  expect(first.output().stdout).toContain(`Admin pages:  ${publicUrl}/admin/`);
  const tenants = await fetch(`${publicUrl}/api/tenants`, {
    headers: { authorization: `Bearer ${adminToken}` },
  });
  expect(tenants.status).toBe(200);
  expect(JSON.stringify(await tenants.json())).toContain('demo');
  expect(first.output().stderr).not.toContain(adminToken);

  first.child.kill('SIGINT');
  expect(await first.exited).toBe(0);
  expect(first.output().stdout).toContain('Demo stopped');
  // Stopped, it leaves nothing that would point other commands at sandboxes that are gone.
  expect(existsSync(join(cwd, 'data', 'demo-settings.json'))).toBe(false);

  const second = await startCliProcess(['demo', '--pace', '300'], {
    cwd,
    env,
    ready: / created /,
    timeoutMs: 60_000,
  });
  expect(second.output().stderr).not.toContain('created a new secret key');
  expect(second.output().stdout).not.toContain('A new secret key');
  second.child.kill('SIGINT');
  expect(await second.exited).toBe(0);
}, 180_000);

it('says which port is taken, and how to pick another, when its port is in use; it never claims it stopped', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'instant-sync-demo-port-'));
  onTestFinished(() => rmSync(cwd, { recursive: true, force: true }));
  const port = await freePort();
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => taken.close(() => resolve())));
  const result = await runCliProcess(['demo'], { cwd, env: { INSTANT_SYNC_PORT: String(port) } });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('The demo could not start (1 problem):');
  expect(result.stderr).toContain(
    `port ${port} is already in use (127.0.0.1:${port}): set INSTANT_SYNC_PORT to a free port, e.g. INSTANT_SYNC_PORT=${port + 1} npm start`,
  );
  expect(result.stdout).not.toContain('Demo stopped');
}, 120_000);

/**
 * Runs `demo --provider <kind>`: its start line names the provider's sandbox, the "created"
 * lines of its first Events come, and `checkMailbox` reads Anna's calendar in that sandbox (its view URL given).
 */
async function demoAgainst(
  kind: string,
  sandboxWords: string,
  checkMailbox: (viewUrl: string, fetchImpl: typeof fetch) => Promise<void>,
): Promise<void> {
  const cwd = mkdtempSync(join(tmpdir(), `instant-sync-demo-${kind}-`));
  const env = { INSTANT_SYNC_PORT: String(await freePort()) };
  const fetchImpl = createOutboundFetch({ extraCaPem: readFileSync(localTls().caFile, 'utf8') });
  const demo = await startCliProcess(['demo', '--provider', kind, '--pace', '300'], {
    cwd,
    env,
    ready: /__sandbox\/view/,
    timeoutMs: 60_000,
  });
  try {
    expect(demo.output().stdout).toContain(`starting the demo with a sandbox org and ${sandboxWords}`);
    const viewUrl = /(https:\/\/\S+)\/__sandbox\/view/.exec(demo.output().stdout)?.[1] ?? '';
    await waitFor(() => (demo.output().stdout.match(/ created /g) ?? []).length >= 3, {
      timeoutMs: 30_000,
      what: 'three created lines',
    });
    expect(demo.output().stdout).toMatch(
      /created {2}"Pipeline review" +→ anna\.berg@demo\.example {2}\d+\.\d s after the save/,
    );
    await checkMailbox(viewUrl, fetchImpl);
  } finally {
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    rmSync(cwd, { recursive: true, force: true });
  }
}

it('runs the demo against the Google sandbox with --provider google: the same lines, the Events in Google calendars', async () => {
  await demoAgainst('google', 'a sandbox Google Workspace', async (viewUrl, fetchImpl) => {
    const anna = (await (
      await fetchImpl(`${viewUrl}/__sandbox/users/anna.berg@demo.example/events`)
    ).json()) as { summary: string }[];
    // At a 300 ms pace the next change (its move) may already be there too.
    expect(anna.some((e) => e.summary.startsWith('Pipeline review'))).toBe(true);
  });
}, 120_000);

it('runs the demo against the Exchange sandbox with --provider ews: the same lines, the Events in Exchange calendars', async () => {
  await demoAgainst('ews', 'a sandbox Exchange Server', async (viewUrl, fetchImpl) => {
    // Anna's Exchange calendar holds the Event, stamped with its Salesforce id, and the view shows it.
    const anna = (await (
      await fetchImpl(`${viewUrl}/__sandbox/mailboxes/anna.berg@demo.example/items`)
    ).json()) as { Subject: string; ExtendedProperties: { PropertyName?: string; Value?: string }[] }[];
    // At a 300 ms pace the next change (its move) may already be there too.
    const review = anna.find((item) => item.Subject.startsWith('Pipeline review'));
    expect(review?.ExtendedProperties.find((p) => p.PropertyName === 'SalesforceEventId')?.Value).toMatch(
      /^00U/,
    );
    expect(await (await fetchImpl(`${viewUrl}/__sandbox/view`)).text()).toContain('Pipeline review');
  });
}, 120_000);

it('leaves no sandbox behind when its output goes away (demo | head) or when it is killed', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'instant-sync-demo-orphans-'));
  const fetchImpl = createOutboundFetch({ extraCaPem: readFileSync(localTls().caFile, 'utf8') });
  /** Whether the provider sandbox at `url` still answers. */
  const answers = async (url: string) =>
    fetchImpl(`${url}/__sandbox/view`).then(
      () => true,
      () => false,
    );
  const start = async () => {
    const env = { INSTANT_SYNC_PORT: String(await freePort()) };
    const demo = await startCliProcess(['demo', '--pace', '300'], {
      cwd,
      env,
      ready: / created /,
      timeoutMs: 60_000,
    });
    const url = /(https:\/\/\S+)\/__sandbox\/view/.exec(demo.output().stdout)?.[1] ?? '';
    expect(await answers(url)).toBe(true);
    return { demo, url };
  };
  try {
    // The reader of its output is gone: the next line fails with EPIPE, and the demo stops as on Ctrl-C.
    const piped = await start();
    piped.demo.child.stdout?.destroy();
    await piped.demo.exited;
    await waitFor(async () => !(await answers(piped.url)), {
      timeoutMs: 20_000,
      what: 'the sandbox stopped',
    });

    // Killed outright: it cannot stop them, and they stop by themselves when their channel to it closes.
    const killed = await start();
    killed.demo.child.kill('SIGKILL');
    await killed.demo.exited;
    await waitFor(async () => !(await answers(killed.url)), {
      timeoutMs: 20_000,
      what: 'the sandbox stopped',
    });
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}, 150_000);
