// Secrets reach the CLI through a file or standard input, never as an argument: arguments are
// visible to every user of the machine in the process list and end up in shell history.
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { BadInputError } from '../lib/errors.ts';

export async function readSecretInput(source: string): Promise<string> {
  try {
    const value = source === '-' ? await text(process.stdin) : await readFile(source, 'utf8');
    return value.trim();
  } catch (error) {
    throw new BadInputError(
      `cannot read ${source === '-' ? 'standard input' : source}: ${(error as Error).message}`,
    );
  }
}
