// What a mailbox provider is, described in one place (its folder's index.ts) so that everything
// outside the folder — building a tenant's provider, setting one up from what an admin gives —
// works from the description and never from the provider's name (providers/registry.ts lists
// them).
import type { CalendarProvider, ProviderKind } from './calendar-provider.ts';

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

export interface ProviderPlugin {
  readonly kind: ProviderKind;
  /** How people name it: "Microsoft 365 (Graph)". */
  readonly label: string;
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
   * Builds the provider from stored settings and unsealed credentials (validated here: a row
   * written by an older version, or by hand, gets a clear PermanentError, never a cast).
   */
  create(settings: unknown, credentials: unknown, fetchImpl: typeof fetch): CalendarProvider;
}
