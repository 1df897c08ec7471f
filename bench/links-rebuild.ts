// `node bench/links-rebuild.ts [--links N]`: how long migration 0021 takes on SQLite, where it
// makes the links table again (store/migrations/0021-links-without-mailbox-index.ts). Makes a
// database file in a temporary folder at the schema before it, fills it with N links (default
// 200,000) of one tenant across 1,000 mailboxes, each with an Event record of about 1.4 KB as a
// sync keeps, then migrates and prints the time, the database's size before and after, and the
// largest the write-ahead log grew to (the free disk an upgrade needs beside the database).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { migrateToLatest } from '../src/store/migrate.ts';
import { openStore } from '../src/store/open-store.ts';
import { migrateTo } from '../test/support/migrate-to.ts';
import { seedMailbox, seedTenant } from '../test/support/seed-tenant.ts';

const { values } = parseArgs({
  options: { links: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help === true) {
  console.log(
    'Usage: npm run bench:links-rebuild -- [--links N]\n\n' +
      'How long migration 0021 takes on SQLite: fills a temporary database at the schema before it with\n' +
      'N links (default 200,000) and their Event records, migrates, and prints the time, the size of the\n' +
      'database before and after, and the largest size of its write-ahead log.',
  );
  process.exit(0);
}
const links = Number(values.links ?? 200_000);
if (!Number.isInteger(links) || links < 1)
  throw new Error(`--links expects a whole number, got ${values.links}`);

const dir = mkdtempSync(join(tmpdir(), 'instant-sync-links-rebuild-'));
try {
  const file = join(dir, 'links.db');
  const store = openStore(`sqlite:${file}`);
  await migrateTo(store, '0020-cdc-fallback');
  const { db } = store;
  const tenantId = await seedTenant(db);
  const mailboxes: string[] = [];
  for (let i = 0; i < 1000; i++) mailboxes.push(await seedMailbox(db, tenantId, { id: `mbx-${i}` }));
  const record = JSON.stringify({
    attributes: { type: 'Event' },
    Subject: 'Quarterly review '.repeat(8),
    Description: 'Agenda and notes. '.repeat(64),
  });
  for (let i = 0; i < links; i += 500)
    await db
      .insertInto('links')
      .values(
        Array.from({ length: Math.min(500, links - i) }, (_, k) => ({
          tenant_id: tenantId,
          event_id: `00U${String(i + k).padStart(12, '0')}`,
          mailbox_id: mailboxes[(i + k) % mailboxes.length] ?? '',
          provider_kind: 'graph' as const,
          provider_id: 'default',
          item_id: `AAMkAG${String(i + k).padStart(134, '0')}`,
          change_key: null,
          content_hash: 'c'.repeat(64),
          salesforce_version: '2026-12-07T09:00:00.000Z',
          state: 'active' as const,
          created_at: 0,
          updated_at: 0,
          pending_create_at: null,
          record_json: record,
          record_through_change_id: i + k,
        })),
      )
      .execute();
  const sizeOf = (path: string) => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  };
  // The log emptied first: SQLite reuses its file without shrinking it, so its size once the
  // migration is done is the most the migration made it hold.
  await sql`pragma wal_checkpoint(truncate)`.execute(db);
  const before = sizeOf(file);
  const started = performance.now();
  const applied = await migrateToLatest(store);
  const ms = performance.now() - started;
  const walPeak = sizeOf(`${file}-wal`);
  await store.close();
  const mb = (bytes: number) => (bytes / 1e6).toFixed(0);
  console.log(
    `${applied.join(', ')}: ${links.toLocaleString('en-US')} links in ${(ms / 1000).toFixed(1)} s; ` +
      `database ${mb(before)} MB before, ${mb(sizeOf(file))} MB after; write-ahead log at most ${mb(walPeak)} MB`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
