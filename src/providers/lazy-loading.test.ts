// A provider's client libraries load with its first provider, not with the service: a service
// whose tenants all use Microsoft 365 never holds Google's or Exchange's libraries in memory (about
// 5 MB of a resting process, docs/performance.md). Checked in a fresh Node.js process that records
// every module it resolves.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const registry = new URL('./registry.ts', import.meta.url).href;

/** The npm packages a fresh process has loaded after building, in turn, a provider of each kind. */
async function packagesLoadedAfter(kinds: readonly string[]): Promise<string[][]> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const inputs: Record<string, Record<string, string>> = {
    graph: { directoryTenantId: 'contoso', clientId: 'sync-app', clientSecret: 'graph-secret' },
    google: {
      serviceAccountJson: JSON.stringify({
        type: 'service_account',
        client_email: 'sync@acme-project.iam.gserviceaccount.com',
        client_id: '1234567890',
        private_key_id: 'key-1',
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        token_uri: 'https://oauth2.googleapis.com/token',
      }),
    },
    ews: {
      url: 'https://mail.contoso.com/EWS/Exchange.asmx',
      username: 'CONTOSO\\svc-instant-sync',
      password: 'exchange-password',
    },
  };
  const script = `
    import { registerHooks } from 'node:module';
    const loaded = new Set();
    registerHooks({
      resolve(specifier, context, next) {
        const result = next(specifier, context);
        const name = /\\/node_modules\\/((@[^/]+\\/)?[^/]+)\\//.exec(result.url)?.[1];
        if (name !== undefined) loaded.add(name);
        return result;
      },
    });
    const { providerPluginNamed } = await import(${JSON.stringify(registry)});
    const steps = [[...loaded]];
    for (const [kind, input] of ${JSON.stringify(kinds.map((kind) => [kind, inputs[kind]]))}) {
      const plugin = providerPluginNamed(kind);
      const read = plugin.readInput(input, false);
      if ('problems' in read) throw new Error(read.problems.join('; '));
      await plugin.create(read.settings, read.credentials, fetch);
      steps.push([...loaded]);
    }
    console.log(JSON.stringify(steps));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 60_000,
  });
  return JSON.parse(stdout) as string[][];
}

const libraries = {
  graph: ['@azure/msal-node'],
  google: ['google-auth-library', '@googleapis/calendar'],
  ews: ['fast-xml-parser', '@ewsjs/ntlm-client'],
};

describe("providers' libraries", () => {
  it('load with the first provider of their kind, and only then', async () => {
    const [atStart, afterGraph, afterGoogle, afterEws] = await packagesLoadedAfter([
      'graph',
      'google',
      'ews',
    ]);
    for (const name of Object.values(libraries).flat())
      expect(atStart, `${name} at start`).not.toContain(name);
    for (const name of libraries.graph) expect(afterGraph).toContain(name);
    for (const name of [...libraries.google, ...libraries.ews]) expect(afterGraph).not.toContain(name);
    for (const name of libraries.google) expect(afterGoogle).toContain(name);
    for (const name of libraries.ews) expect(afterGoogle).not.toContain(name);
    for (const name of libraries.ews) expect(afterEws).toContain(name);
  }, 90_000);
});
