// Each tenant's CalendarProviders, built from its mailbox provider rows (settings in the clear,
// credentials sealed) and kept while a row is unchanged, so that token caches and connections
// live across batches. A hybrid tenant has several; each mailbox goes through its own provider
// or the tenant's default (route). A provider that cannot be used gives the reason instead.
import { describeError } from '../lib/errors.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { HttpRequest } from '../lib/outbound-fetch.ts';
import type { CalendarProvider } from '../providers/calendar-provider.ts';
import type { ProviderFinding, ProviderPlugin } from '../providers/provider-plugin.ts';
import { findProviderPlugin } from '../providers/registry.ts';
import type { MailboxProviderKind, MailboxProviderRow } from '../store/schema.ts';
import { sealContext } from '../store/seal-contexts.ts';
import type { Repositories } from '../store/repositories.ts';

/** One of a tenant's providers, as its row names it. */
export interface NamedProvider {
  /** The row's id (links and mailboxes name it). */
  id: string;
  /** Its name within the tenant ("default", "onprem", "cloud"). */
  name: string;
  kind: MailboxProviderKind;
  isDefault: boolean;
}

export type ProviderLookup = NamedProvider &
  (
    | {
        provider: CalendarProvider;
        plugin: ProviderPlugin;
        /** Doctor's checks of the stored set-up (the plugin's own), at `now`. */
        checks(now: number): ProviderFinding[];
      }
    | { problem: string }
  );

/** A tenant's providers, and which one a mailbox goes through. */
export class TenantProviders {
  readonly all: readonly ProviderLookup[];
  readonly #byId: Map<string, ProviderLookup>;
  readonly #default: ProviderLookup | undefined;

  constructor(all: readonly ProviderLookup[]) {
    this.all = all;
    this.#byId = new Map(all.map((p) => [p.id, p]));
    this.#default = all.find((p) => p.isDefault);
  }

  /** Why the tenant cannot sync at all, if it cannot: it has no provider. */
  get problem(): string | undefined {
    return this.all.length === 0
      ? 'no mailbox provider is set up for this tenant (instant-sync provider set)'
      : undefined;
  }

  /** The provider a mailbox goes through: its own, else the tenant's default. */
  route(mailbox: { provider_id: string | null }): ProviderLookup | undefined {
    return (mailbox.provider_id === null ? undefined : this.#byId.get(mailbox.provider_id)) ?? this.#default;
  }

  byId(id: string | null): ProviderLookup | undefined {
    return id === null ? undefined : this.#byId.get(id);
  }
}

export class ProviderSource {
  readonly #repos: Repositories;
  readonly #secretBox: SecretBox;
  readonly #fetch: typeof fetch;
  /** By row id; the lookup's promise, so that callers at the same moment build one provider. */
  readonly #cache = new Map<string, { version: string; lookup: Promise<ProviderLookup> }>();

  readonly #extraCaPem: string | undefined;
  readonly #request: HttpRequest | undefined;

  constructor(deps: {
    repos: Repositories;
    secretBox: SecretBox;
    fetch: typeof fetch;
    /** The same HTTP client's `request` (lib/outbound-fetch.ts); made with `fetch` when absent. */
    request?: HttpRequest | undefined;
    /** The extra CA the service trusts, for providers that open their own connections. */
    extraCaPem?: string | undefined;
  }) {
    this.#repos = deps.repos;
    this.#secretBox = deps.secretBox;
    this.#fetch = deps.fetch;
    this.#extraCaPem = deps.extraCaPem;
    this.#request = deps.request;
  }

  async forTenant(tenantId: string): Promise<TenantProviders> {
    const rows = await this.#repos.mailboxProviders.listProviders(tenantId);
    return new TenantProviders(await Promise.all(rows.map((row) => this.#lookup(row))));
  }

  #lookup(row: MailboxProviderRow): Promise<ProviderLookup> {
    const version = `${row.kind}:${row.updated_at}:${row.is_default}`;
    const cached = this.#cache.get(row.id);
    if (cached?.version === version) return cached.lookup;
    const lookup = this.#build(row);
    this.#cache.set(row.id, { version, lookup });
    return lookup;
  }

  async #build(row: MailboxProviderRow): Promise<ProviderLookup> {
    const named: NamedProvider = {
      id: row.id,
      name: row.name,
      kind: row.kind,
      isDefault: row.is_default === 1,
    };
    try {
      const settings = JSON.parse(row.settings_json) as Record<string, unknown>;
      const credentials =
        row.credentials_sealed === null
          ? {}
          : (JSON.parse(
              this.#secretBox.open(
                row.credentials_sealed,
                sealContext.providerCredentials(row.tenant_id, row.id),
              ),
            ) as Record<string, unknown>);
      const plugin = findProviderPlugin(row.kind);
      if (plugin === undefined) throw new Error(`the ${row.kind} provider is not available in this version`);
      return {
        ...named,
        provider: await plugin.create(settings, credentials, this.#fetch, {
          extraCaPem: this.#extraCaPem,
          request: this.#request,
        }),
        plugin,
        checks: (now) => plugin.checks(settings, credentials, now),
      };
    } catch (error) {
      return { ...named, problem: `the mailbox provider settings cannot be used: ${describeError(error)}` };
    }
  }
}
