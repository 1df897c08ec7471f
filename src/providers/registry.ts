// The mailbox providers this version has. Adding one is its folder (with an index.ts describing
// it, see provider-plugin.ts) and its line here.
import type { CalendarProvider, ProviderKind } from './calendar-provider.ts';
import { ewsPlugin } from './ews/index.ts';
import { googlePlugin } from './google/index.ts';
import { graphPlugin } from './graph/index.ts';
import type { ProviderPlugin } from './provider-plugin.ts';
import { BadInputError, PermanentError } from '../lib/errors.ts';

export const providerPlugins: readonly ProviderPlugin[] = [graphPlugin, googlePlugin, ewsPlugin];

/** The provider of that kind, or undefined when this version has none. */
export function findProviderPlugin(kind: string): ProviderPlugin | undefined {
  return providerPlugins.find((plugin) => plugin.kind === kind);
}

/** The provider an admin named, or a clear error listing those there are. */
export function providerPluginNamed(kind: string): ProviderPlugin {
  const plugin = findProviderPlugin(kind);
  if (plugin === undefined)
    throw new BadInputError(
      `unknown provider ${JSON.stringify(kind)}: this version supports ${providerPlugins.map((p) => `${p.kind} (${p.label})`).join(', ')}`,
    );
  return plugin;
}

/** Builds a tenant's provider from its stored settings and unsealed credentials. */
export async function createProvider(
  kind: ProviderKind,
  settings: unknown,
  credentials: unknown,
  fetchImpl: typeof fetch,
): Promise<CalendarProvider> {
  const plugin = findProviderPlugin(kind);
  if (plugin === undefined) throw new PermanentError(`the ${kind} provider is not available in this version`);
  return plugin.create(settings, credentials, fetchImpl);
}

/** The command that sets a tenant's provider up (of `kind`, or the first there is), for fix hints. */
export function providerSetCommand(slug: string, kind?: string): string {
  const plugin = (kind === undefined ? undefined : findProviderPlugin(kind)) ?? providerPlugins[0];
  if (plugin === undefined) return `instant-sync provider set ${slug} …`;
  const flags = plugin.options.filter((o) => o.inHint === true).map((o) => `${o.flag.split(' ')[0] ?? ''} …`);
  return `instant-sync provider set ${slug} ${plugin.kind} ${flags.join(' ')}`;
}
