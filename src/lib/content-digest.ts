// The content hash of calendar items and series (SHA-256, base64url) over parts in order: what
// links keep to tell an unchanged item from a changed one without asking the calendar.
import { createHash } from 'node:crypto';

export function contentDigest(...parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('base64url');
}
