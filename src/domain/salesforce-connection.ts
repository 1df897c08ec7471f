// The life of a tenant's Salesforce connection, as pure rules: its states and the only
// transitions allowed between them, the words an admin sees for each, the refresh-token
// expiry policy and when to warn about it. No I/O, no clock: callers pass "now".

export const connectionStates = ['disconnected', 'connected', 'expiring', 'reconnect_required'] as const;
export type ConnectionState = (typeof connectionStates)[number];

/** Every allowed transition, in one place. Anything else is a bug, refused by `assertTransition`. */
export const allowedTransitions: Readonly<Record<ConnectionState, readonly ConnectionState[]>> = {
  // Connect (OAuth or JWT bearer) succeeded.
  disconnected: ['connected'],
  // Reconnect replaces the tokens; the expiry approaches; the grant dies; the admin disconnects.
  connected: ['connected', 'expiring', 'reconnect_required', 'disconnected'],
  expiring: ['connected', 'reconnect_required', 'disconnected'],
  reconnect_required: ['connected', 'disconnected'],
};

export function canTransition(from: ConnectionState, to: ConnectionState): boolean {
  return allowedTransitions[from].includes(to);
}

export function assertTransition(from: ConnectionState, to: ConnectionState): void {
  if (!canTransition(from, to)) {
    throw new Error(`a Salesforce connection cannot go from ${from} to ${to}`);
  }
}

/** Jobs of a tenant run only while its connection can read Salesforce; otherwise they wait. */
export function connectionCanSync(state: ConnectionState): boolean {
  return state === 'connected' || state === 'expiring';
}

/**
 * What the org admin set on the app for refresh tokens (Salesforce does not tell us, so the
 * tenant's setting must match): valid until revoked, expire a fixed time after connecting (the
 * admin guide's "30 days after the connection"), or expire after a time unused.
 */
export type RefreshTokenPolicy =
  | { kind: 'until_revoked' }
  | { kind: 'expire_after'; days: number }
  | { kind: 'expire_if_unused'; days: number };

const day = 86_400_000;

/** `until-revoked`, `expire-after:30d`, `idle:7d` → a policy, or an explanation of what is wrong. */
export function parseRefreshTokenPolicy(text: string): RefreshTokenPolicy | { problem: string } {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'until-revoked') return { kind: 'until_revoked' };
  const match = /^(expire-after|idle):(\d{1,4})d$/.exec(trimmed);
  const days = Number(match?.[2]);
  if (match !== null && days >= 1 && days <= 3650) {
    return match[1] === 'idle' ? { kind: 'expire_if_unused', days } : { kind: 'expire_after', days };
  }
  return {
    problem: `unknown refresh-token policy ${JSON.stringify(text)}: use until-revoked, expire-after:<days>d (for example expire-after:30d) or idle:<days>d`,
  };
}

export function formatRefreshTokenPolicy(policy: RefreshTokenPolicy): string {
  switch (policy.kind) {
    case 'until_revoked':
      return 'until-revoked';
    case 'expire_after':
      return `expire-after:${policy.days}d`;
    case 'expire_if_unused':
      return `idle:${policy.days}d`;
  }
}

export function describeRefreshTokenPolicy(policy: RefreshTokenPolicy): string {
  switch (policy.kind) {
    case 'until_revoked':
      return 'valid until revoked';
    case 'expire_after':
      return `expires ${policy.days} days after connecting`;
    case 'expire_if_unused':
      return `expires after ${policy.days} days unused`;
  }
}

/** When the refresh token stops working under `policy`, or null if it never expires on its own. */
export function refreshTokenExpiresAt(
  policy: RefreshTokenPolicy,
  times: { connectedAt: number; refreshTokenLastUsedAt: number | null },
): number | null {
  switch (policy.kind) {
    case 'until_revoked':
      return null;
    case 'expire_after':
      return times.connectedAt + policy.days * day;
    case 'expire_if_unused':
      return Math.max(times.connectedAt, times.refreshTokenLastUsedAt ?? 0) + policy.days * day;
  }
}

/** Days before expiry at which the admin is warned, most distant first. */
export const expiryWarningDays = [7, 3, 1] as const;

/**
 * The warning to send now, if any: the most urgent threshold crossed that was not sent yet.
 * Thresholds skipped over (the server was down at day 7 and is back at day 2) are not sent
 * late: one warning, the current one. `lastWarnedDays` is the smallest threshold already sent.
 */
export function expiryWarningDue(
  expiresAt: number,
  now: number,
  lastWarnedDays: number | null,
): { days: number; msLeft: number } | undefined {
  const msLeft = expiresAt - now;
  if (msLeft <= 0) return undefined;
  const crossed = expiryWarningDays.filter((days) => msLeft <= days * day);
  const mostUrgent = crossed.at(-1);
  if (mostUrgent === undefined) return undefined;
  if (lastWarnedDays !== null && lastWarnedDays <= mostUrgent) return undefined;
  return { days: mostUrgent, msLeft };
}

/**
 * Where a refresh token stands against its expiry: no expiry, more than a week away, within the
 * last week (the connection shows as expiring), or past it (time to find out with a refresh
 * whether the org agrees: the policy is only what the admin told us).
 */
export type ExpiryPhase = 'none' | 'distant' | 'expiring' | 'expired';

export function expiryPhase(expiresAt: number | null, now: number): ExpiryPhase {
  if (expiresAt === null) return 'none';
  if (expiresAt <= now) return 'expired';
  return expiresAt - now <= expiryWarningDays[0] * day ? 'expiring' : 'distant';
}

/** The admin guide's words for the state, with the countdown where there is one. */
export function connectionStatusText(state: ConnectionState, expiresAt: number | null, now: number): string {
  switch (state) {
    case 'disconnected':
      return 'Disconnected';
    case 'reconnect_required':
      return 'Reconnect required';
    case 'connected':
    case 'expiring':
      return expiresAt === null ? 'Connected' : `Connected (${describeCountdown(expiresAt - now)})`;
  }
}

/** "expires in 12 days", "expires in 5 hours", "expired". */
export function describeCountdown(msLeft: number): string {
  if (msLeft <= 0) return 'expired';
  const days = Math.floor(msLeft / day);
  if (days >= 2) return `expires in ${days} days`;
  const hours = Math.floor(msLeft / 3_600_000);
  if (hours >= 2) return `expires in ${hours} hours`;
  const minutes = Math.max(1, Math.floor(msLeft / 60_000));
  return `expires in ${minutes} minute${minutes === 1 ? '' : 's'}`;
}
