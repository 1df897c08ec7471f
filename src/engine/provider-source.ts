// Each tenant's CalendarProvider, built from its mailbox provider row (settings in the clear,
// credentials sealed) and kept while the row is unchanged, so that token caches live across
// batches. A tenant without a usable provider gets the reason instead.
import type { Kysely } from 'kysely';
import { describeError } from '../lib/errors.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { CalendarProvider } from '../providers/calendar-provider.ts';
import type { ProviderFinding, ProviderPlugin } from '../providers/provider-plugin.ts';
import { findProviderPlugin } from '../providers/registry.ts';
import { findProvider, providerCredentialsContext } from '../store/mailbox-providers-repository.ts';
import type { Database } from '../store/schema.ts';

export type ProviderLookup =
  | {
      provider: CalendarProvider;
      plugin: ProviderPlugin;
      /** Doctor's checks of the stored set-up (the plugin's own), at `now`. */
      checks(now: number): ProviderFinding[];
    }
  | { problem: string };

export class ProviderSource {
  readonly #db: Kysely<Database>;
  readonly #secretBox: SecretBox;
  readonly #fetch: typeof fetch;
  readonly #cache = new Map<string, { version: string; lookup: ProviderLookup }>();

  readonly #extraCaPem: string | undefined;

  constructor(deps: {
    db: Kysely<Database>;
    secretBox: SecretBox;
    fetch: typeof fetch;
    /** The extra CA the service trusts, for providers that open their own connections. */
    extraCaPem?: string | undefined;
  }) {
    this.#db = deps.db;
    this.#secretBox = deps.secretBox;
    this.#fetch = deps.fetch;
    this.#extraCaPem = deps.extraCaPem;
  }

  async forTenant(tenantId: string): Promise<ProviderLookup> {
    const row = await findProvider(this.#db, tenantId);
    if (row === undefined)
      return {
        problem: 'no mailbox provider is set up for this tenant (instant-sync provider set)',
      };
    const version = `${row.id}:${row.updated_at}`;
    const cached = this.#cache.get(tenantId);
    if (cached?.version === version) return cached.lookup;
    let lookup: ProviderLookup;
    try {
      const settings = JSON.parse(row.settings_json) as Record<string, unknown>;
      const credentials =
        row.credentials_sealed === null
          ? {}
          : (JSON.parse(
              this.#secretBox.open(row.credentials_sealed, providerCredentialsContext(tenantId, row.id)),
            ) as Record<string, unknown>);
      const plugin = findProviderPlugin(row.kind);
      if (plugin === undefined) throw new Error(`the ${row.kind} provider is not available in this version`);
      lookup = {
        provider: plugin.create(settings, credentials, this.#fetch, { extraCaPem: this.#extraCaPem }),
        plugin,
        checks: (now) => plugin.checks(settings, credentials, now),
      };
    } catch (error) {
      lookup = { problem: `the mailbox provider settings cannot be used: ${describeError(error)}` };
    }
    this.#cache.set(tenantId, { version, lookup });
    return lookup;
  }
}
