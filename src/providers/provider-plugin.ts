// What a mailbox provider is, described in one place (its folder's index.ts) so that everything
// outside the folder — building a tenant's provider, setting one up from what an admin gives —
// works from the description and never from the provider's name (providers/registry.ts lists
// them).
import type { CalendarProvider, ProviderCapabilities, ProviderKind } from './calendar-provider.ts';
import type { HttpRequest } from '../lib/outbound-fetch.ts';

/** What an admin gives to set up a provider (CLI flags, file contents), by name; absent: not given. */
export type ProviderInput = Readonly<Record<string, string | undefined>>;

/** Checked input: the settings stored in the clear, and the credentials sealed (undefined: keep those stored). */
export type ReadProviderInput =
  | { settings: Record<string, unknown>; credentials: Record<string, unknown> | undefined }
  | { problems: string[] };

/** One thing an admin gives when setting the provider up, as the CLI takes it. */
export interface ProviderOption {
  /** The flag with its value, as the CLI shows it: `--client-id <id>`. */
  flag: string;
  /** The input name (of readInput) the value goes to. */
  input: string;
  help: string;
  /** The flag names a file whose contents are the value (`-`: standard input), as secrets are given. */
  file?: boolean;
  /** Shown in the command a fix hint suggests (what a first set-up needs). */
  inHint?: boolean;
}

/**
 * What a provider that opens its own connections needs besides `fetch` (EWS: NTLM is bound to a
 * connection, so it keeps its own pool): the extra CA the service trusts (INSTANT_SYNC_EXTRA_CA_FILE).
 */
export interface ProviderConnection {
  extraCaPem?: string | undefined;
  /** The HTTP client's lighter entry point (lib/outbound-fetch.ts), for providers that use it. */
  request?: HttpRequest | undefined;
}

/** One thing `doctor` checks in a provider's stored set-up (a certificate's expiry, say). */
export interface ProviderFinding {
  name: string;
  result: 'ok' | 'warn' | 'fail';
  detail: string;
  /** What to do about it (for warn and fail). */
  fix?: string;
}

/** Calls a sandbox's control API (`/__sandbox/…`, JSON) and answers its JSON body. */
export type SandboxCall = (method: string, path: string, body?: unknown) => Promise<unknown>;

/**
 * The provider's sandbox, for the demo (and anyone trying the service without the real system):
 * a launcher run as `node <launcher> [--latency-ms N]` whose first line says `listening on <url>`,
 * with the sandboxes' local CA.
 */
export interface ProviderSandbox {
  launcher: URL;
  /** What it stands in for, in a few words: "a sandbox Microsoft 365". */
  label: string;
  /**
   * Sets the sandbox at `url` up with these mailboxes through its control API and answers the
   * input `provider set` takes to use it (readInput's names).
   */
  prepare(
    url: string,
    call: SandboxCall,
    mailboxes: readonly { address: string; displayName: string }[],
  ): Promise<ProviderInput>;
  /** The sandbox's page showing every mailbox's calendar. */
  viewPath: string;
}

export interface ProviderPlugin {
  readonly kind: ProviderKind;
  /** How people name it: "Microsoft 365 (Graph)". */
  readonly label: string;
  /** What it can do and show (the provider it creates carries the same object). */
  readonly capabilities: ProviderCapabilities;
  /** The guide that walks an admin through setting it up (a path in the repository's docs/). */
  readonly setupGuide: string;
  /** What to check when it cannot sign in or read a calendar, for doctor's fix line. */
  readonly accessFix: string;
  /** What the demo runs in its place. */
  readonly sandbox: ProviderSandbox;
  /** What `provider set` takes for it. */
  readonly options: readonly ProviderOption[];
  /** The settings in a few words, for the answer to `provider set`: "app app-1 of contoso.onmicrosoft.com". */
  summary(settings: Record<string, unknown>): string;
  /**
   * Checks what an admin gave, naming every problem. `hasStoredCredentials`: credentials are
   * stored already, so leaving them out keeps them.
   */
  readInput(input: ProviderInput, hasStoredCredentials: boolean): ReadProviderInput;
  /**
   * Doctor's checks of the stored set-up, beyond signing in (which doctor tries itself): what
   * will stop working soon, say. Given unsealed credentials; never puts a secret in a finding.
   */
  checks(settings: unknown, credentials: unknown, now: number): ProviderFinding[];
  /**
   * Loads the provider's code and its client libraries, which `create` does the first time: a
   * service whose tenants use one kind of mailbox never holds the others' in memory. (The
   * container image calls it as it is built, so that Node.js's compile cache holds them too.)
   */
  load(): Promise<unknown>;
  /**
   * Builds the provider from stored settings and unsealed credentials (validated here: a row
   * written by an older version, or by hand, gets a clear PermanentError, never a cast).
   */
  create(
    settings: unknown,
    credentials: unknown,
    fetchImpl: typeof fetch,
    connection?: ProviderConnection,
  ): Promise<CalendarProvider>;
}
