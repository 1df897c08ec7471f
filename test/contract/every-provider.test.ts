// Every provider the registry lists runs the shared contract against its sandbox, has a sandbox
// the demo can launch, and a set-up guide: adding a provider without them fails here.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { providerPlugins } from '../../src/providers/registry.ts';

it.each(providerPlugins.map((p) => [p.kind, p] as const))(
  '%s: runs the shared contract, has a sandbox launcher and a set-up guide',
  (kind, plugin) => {
    const contract = new URL(`./${kind}.contract.test.ts`, import.meta.url);
    expect(existsSync(contract), `test/contract/${kind}.contract.test.ts`).toBe(true);
    expect(readFileSync(contract, 'utf8')).toContain('describeProviderContract(');
    expect(existsSync(fileURLToPath(plugin.sandbox.launcher))).toBe(true);
    expect(existsSync(new URL(`../../${plugin.setupGuide}`, import.meta.url))).toBe(true);
    expect(plugin.capabilities.requestsPerWindow.count).toBeGreaterThan(0);
  },
);
