// `instant-sync secret-key rotate`: moves every secret in the database to a new secret key in one
// transaction (src/tenants/rotate-secret-key.ts), the new key read from a file or standard input
// (never an argument) or generated into a new file readable by its owner only. The service must
// be stopped meanwhile: the rotation refuses while a serve or worker process is registered alive.
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { BadInputError } from '../../lib/errors.ts';
import { generateSecretKey, parseSecretKey, SecretBox } from '../../lib/secret-box.ts';
import { loadSecretKey, writeKeyFile } from '../../lib/secret-key-source.ts';
import { rotateSecretKey, type SecretKeyRotation } from '../../tenants/rotate-secret-key.ts';
import { printJson, type CliContext } from '../cli-context.ts';
import { openData, withRuntime } from '../command-setup.ts';
import { readSecretInput } from '../read-secret-input.ts';

interface RotateOptions {
  newKeyFile?: string;
  generate?: string;
  json?: boolean;
}

export function registerSecretKey(program: Command, ctx: CliContext): void {
  const secretKey = program
    .command('secret-key')
    .description('the key that encrypts tokens and credentials in the database');

  secretKey
    .command('rotate')
    .description(
      'seal every secret in the database with a new key, in one transaction; stop every serve and worker first, ' +
        'then start them with the new key',
    )
    .option(
      '--new-key-file <file>',
      'file holding the new key, 32 bytes as base64 or hex (- reads standard input)',
    )
    .option('--generate <file>', 'generate the new key into this new file (mode 0600); never replaces a file')
    .option('--json', 'print the result as JSON')
    .action((opts: RotateOptions, command: Command) =>
      withRuntime(ctx, command, openData, async ({ store, clock, config }) => {
        if ((opts.newKeyFile === undefined) === (opts.generate === undefined)) {
          throw new BadInputError(
            'give the new key with --new-key-file <file>, or --generate <file>: one of them',
          );
        }
        const current = await loadSecretKey({
          secretKey: config.secretKey,
          secretKeyFile: config.secretKeyFile,
          mayGenerate: false,
        });
        const generatedFile = opts.generate;
        const next =
          generatedFile === undefined
            ? await readNewKey(ctx, opts.newKeyFile ?? '-')
            : await refuseExisting(generatedFile).then(() => generateSecretKey());
        const rotation = await rotateSecretKey(
          { repos: store.repos, clock },
          { current: new SecretBox(current.key), next: new SecretBox(next) },
          // Written inside the transaction: the database never names a key that is nowhere on disk.
          generatedFile === undefined ? {} : { beforeCommit: () => writeNewKeyFile(generatedFile, next) },
        );
        const newKeyFile = generatedFile ?? (opts.newKeyFile === '-' ? undefined : opts.newKeyFile);
        if (opts.json === true) {
          printJson(ctx, { ...rotation, newKeyFile: newKeyFile ?? null });
          return;
        }
        ctx.stdout(report(rotation, { newKeyFile, origin: current.origin, keyFile: config.secretKeyFile }));
      }),
    );
}

async function readNewKey(ctx: CliContext, source: string): Promise<Buffer> {
  const text = await readSecretInput(source);
  let key: Buffer;
  try {
    key = parseSecretKey(text);
  } catch {
    throw new BadInputError(
      `${source === '-' ? 'standard input' : source} does not hold a 32-byte key written as base64 (44 characters) ` +
        'or hex (64 characters); generate one with --generate <file> or `openssl rand -base64 32`',
    );
  }
  if (source !== '-' && ((await stat(source)).mode & 0o077) !== 0) {
    ctx.stderr(`warning: ${source} is readable by other users; run chmod 600 on it\n`);
  }
  return key;
}

async function refuseExisting(file: string): Promise<void> {
  // Only a file that is there is refused now; any other trouble shows when the file is written.
  const exists = await stat(file).then(
    () => true,
    () => false,
  );
  if (exists) {
    throw new BadInputError(
      `${file} already exists and --generate never replaces a key file: ` +
        `to rotate to the key it holds, run again with --new-key-file ${file}`,
    );
  }
}

async function writeNewKeyFile(file: string, key: Buffer): Promise<void> {
  try {
    await writeKeyFile(file, key);
  } catch (error) {
    throw new Error(`cannot write the new key to ${file}: ${(error as Error).message}; nothing was changed`, {
      cause: error,
    });
  }
}

function report(
  rotation: SecretKeyRotation,
  where: { newKeyFile: string | undefined; origin: string; keyFile: string },
): string {
  const { resealed, alreadyNew, previousKeyId, newKeyId } = rotation;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const lines = [
    resealed === 0 && alreadyNew > 0
      ? `Every secret (${alreadyNew}) was already sealed with the new key ${newKeyId}: nothing to re-seal.`
      : `Re-sealed ${plural(resealed, 'secret')} with the new key ${newKeyId} (they were sealed with ${previousKeyId}).`,
  ];
  if (resealed > 0 && alreadyNew > 0) {
    lines.push(
      `${plural(alreadyNew, 'secret')} already sealed with it by an earlier run were left as they were.`,
    );
  }
  if (rotation.expiredConnectsDeleted > 0) {
    lines.push(`Deleted ${plural(rotation.expiredConnectsDeleted, 'expired Connect')} in progress.`);
  }
  const key = where.newKeyFile ?? 'the new key';
  lines.push(
    `The database now accepts only key ${newKeyId}. Next:`,
    where.origin === 'setting'
      ? `  1. On every node, set INSTANT_SYNC_SECRET_KEY to the new key${where.newKeyFile === undefined ? '' : ` (the contents of ${where.newKeyFile})`}.`
      : `  1. On every node, replace the key file ${where.keyFile} with ${key}, or point INSTANT_SYNC_SECRET_KEY_FILE at it.`,
    '  2. Start serve and worker again on every node; one still configured with the old key refuses to start.',
    `  3. Keep the old key ${previousKeyId} as long as you keep database backups made before now: they need it.`,
    '',
  );
  return lines.join('\n');
}
