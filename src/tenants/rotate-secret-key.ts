// Moving every secret in the database to a new secret key (`instant-sync secret-key rotate`):
// each sealed value is opened with the configured key and sealed again with the new one, bound
// to the same context, and the database's record of its key (meta `secret_key_id`) names the
// new key, all in one transaction. Either every value moves or nothing changes.
//
// Processes of the service that still run with the old key could neither read the new values
// nor be trusted not to write old-key values afterwards, so the rotation refuses while any is
// registered as alive; once it commits, a process started with the old key refuses to run.
//
// Safe to run again: a value already sealed with the new key (an earlier run) is checked and
// left alone, and one still sealed with the old key (written after an earlier run) is moved.
import type { Clock } from '../lib/clock.ts';
import { BadInputError, ConfigError, describeError } from '../lib/errors.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { SealedColumn, SealedValue } from '../store/sealed-values-repository.ts';
import { sealContext } from '../store/seal-contexts.ts';
import type { Repositories } from '../store/repositories.ts';

/** Where the database records which key sealed its secrets (src/main.ts checks it at every start). */
const secretKeyIdMeta = 'secret_key_id';

export interface SecretKeyRotation {
  /** The configured key's id: what the values were sealed with. */
  previousKeyId: string;
  newKeyId: string;
  /** Values opened with the configured key and sealed with the new one. */
  resealed: number;
  /** Values an earlier run had already sealed with the new key (checked, left alone). */
  alreadyNew: number;
  /** Re-sealed values by column, for the report. */
  byColumn: Partial<Record<SealedColumn, number>>;
  /** Expired Connects in progress, deleted rather than re-sealed. */
  expiredConnectsDeleted: number;
}

export interface RotateSecretKeyDeps {
  repos: Repositories;
  clock: Clock;
}

/**
 * Re-seals every secret with `keys.next`. `beforeCommit` runs after every value is re-sealed
 * and before the transaction commits (the command writes a generated key file there): if it
 * fails, nothing changes.
 */
export async function rotateSecretKey(
  deps: RotateSecretKeyDeps,
  keys: { current: SecretBox; next: SecretBox },
  options: { beforeCommit?: () => Promise<void> } = {},
): Promise<SecretKeyRotation> {
  const { current, next } = keys;
  if (current.keyId === next.keyId) {
    throw new BadInputError(
      `the new key is the key already configured (key ${current.keyId}): give a different key, or --generate one`,
    );
  }
  const now = deps.clock.now();
  return deps.repos.transaction(async (tx) => {
    const alive = (await tx.nodes.listNodes()).filter((node) => node.expires_at > now);
    if (alive.length > 0) {
      throw new Error(
        `${alive.length === 1 ? 'a process of the service is' : `${alive.length} processes of the service are`} ` +
          `running (${alive.map((node) => `${node.role} ${node.id}`).join(', ')}): stop every serve and worker ` +
          'first, since they hold the old key. A process that was killed is forgotten 30 s after its last ' +
          'heartbeat. Nothing was changed',
      );
    }

    const recorded = await tx.meta.readMeta(secretKeyIdMeta);
    if (recorded !== undefined && recorded !== current.keyId && recorded !== next.keyId) {
      throw new ConfigError([
        `the database's secrets were sealed with key ${recorded}, but the configured key is ${current.keyId}: ` +
          'configure the key this database uses (INSTANT_SYNC_SECRET_KEY or the key file) to rotate away from it',
      ]);
    }
    // Written first: on PostgreSQL the row lock makes a second rotation wait for this one.
    await tx.meta.writeMeta(secretKeyIdMeta, next.keyId);

    const expiredConnectsDeleted = await tx.sealedValues.deleteExpiredOAuthStates(now);
    const replacements: { value: SealedValue; resealed: string }[] = [];
    let alreadyNew = 0;
    for (const value of await tx.sealedValues.listSealedValues()) {
      const context = contextOf(value);
      const keyId = sealedKeyId(value.sealed);
      if (keyId === next.keyId) {
        openOrRefuse(next, value, context);
        alreadyNew++;
      } else if (keyId === current.keyId) {
        replacements.push({ value, resealed: next.seal(openOrRefuse(current, value, context), context) });
      } else {
        throw new Error(
          `the secret for ${context} is sealed with key ${keyId ?? '(unreadable)'}, neither the configured key ` +
            `${current.keyId} nor the new key ${next.keyId}: nothing was changed`,
        );
      }
    }

    const byColumn: Partial<Record<SealedColumn, number>> = {};
    for (const { value, resealed } of replacements) {
      if (!(await tx.sealedValues.replaceSealedValue(value, resealed))) {
        throw new Error(
          `the secret for ${contextOf(value)} changed while it was being re-sealed (is a process of the ` +
            'service still running with the old key?): nothing was changed',
        );
      }
      byColumn[value.column] = (byColumn[value.column] ?? 0) + 1;
    }
    await options.beforeCommit?.();
    return {
      previousKeyId: current.keyId,
      newKeyId: next.keyId,
      resealed: replacements.length,
      alreadyNew,
      byColumn,
      expiredConnectsDeleted,
    };
  });
}

/** The context each column's values are sealed with: the same helpers the code that seals them uses. */
export function contextOf(value: SealedValue): string {
  switch (value.column) {
    case 'tenants.webhook_secret_sealed':
      return sealContext.webhookSecret(value.tenantId);
    case 'salesforce_connections.access_token_sealed':
      return sealContext.accessToken(value.tenantId);
    case 'salesforce_connections.refresh_token_sealed':
      return sealContext.refreshToken(value.tenantId);
    case 'salesforce_connections.client_secret_sealed':
      return sealContext.clientSecret(value.tenantId);
    case 'salesforce_connections.jwt_private_key_sealed':
      return sealContext.jwtPrivateKey(value.tenantId);
    case 'mailbox_providers.credentials_sealed':
      return sealContext.providerCredentials(value.tenantId, value.rowId);
    case 'oauth_states.code_verifier_sealed':
      return sealContext.codeVerifier(value.rowId);
  }
}

/** The key id a sealed value names (`v1.<key id>.<iv>.<tag>.<ciphertext>`), if it names one. */
function sealedKeyId(sealed: string): string | undefined {
  const [version, keyId] = sealed.split('.');
  return version === 'v1' && keyId !== undefined && keyId !== '' ? keyId : undefined;
}

function openOrRefuse(box: SecretBox, value: SealedValue, context: string): string {
  try {
    return box.open(value.sealed, context);
  } catch (error) {
    throw new Error(
      `cannot open the secret for ${context} with key ${box.keyId}: ${describeError(error)}; nothing was changed`,
      {
        cause: error,
      },
    );
  }
}
