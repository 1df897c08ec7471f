// `node bench/claim-plan.ts [--jobs N]`: how PostgreSQL runs the claim with a large queue. Makes
// a database on the local server (PG_TEST_URL's, default postgres@127.0.0.1), migrates it, fills
// it with 1,000 connected tenants and N waiting jobs (default 1,000,000: 1 % live, 9 %
// reconciliation, 90 % bulk, due over the last ten minutes), analyzes it as autovacuum would,
// then prints EXPLAIN ANALYZE of the claim of 50 exactly as store/jobs/claim-jobs.ts sends it
// (captured through Kysely's log), and the median time of 20 such claims, each taking the next
// tenants in turn, and drops the database.
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createPostgresDatabase } from './run.ts';
import { postgresCapabilities } from '../src/store/backend.ts';
import { claimJobs, nextTurns } from '../src/store/jobs/claim-jobs.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { openStore } from '../src/store/open-store.ts';
import type { Database } from '../src/store/schema.ts';

const { values } = parseArgs({
  options: { jobs: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help === true) {
  console.log(
    'Usage: npm run bench:claim-plan -- [--jobs N]\n\n' +
      "PostgreSQL's plan (EXPLAIN ANALYZE) and the median time of a claim of 50 among N waiting jobs\n" +
      '(default 1,000,000) of 1,000 connected tenants, in a database it makes on the server of PG_TEST_URL\n' +
      '(default postgres://postgres@127.0.0.1:5432/postgres) and drops after.',
  );
  process.exit(0);
}
const jobs = Number(values.jobs ?? 1_000_000);
const database = await createPostgresDatabase();
const store = openStore(database.url);
try {
  await migrateToLatest(store);
  const db = store.db;
  const now = Date.now();
  await sql`insert into tenants (id, slug, name, client_id, webhook_secret_sealed, settle_window_ms, created_at, updated_at)
    select 't' || g, 's' || g, 'Tenant ' || g, (1000000000 + g)::text, 'v1.x', 500, 0, 0 from generate_series(1, 1000) g`.execute(
    db,
  );
  await sql`insert into salesforce_connections (tenant_id, state, auth_flow, login_url, updated_at)
    select 't' || g, 'connected', 'web_server', 'https://login.salesforce.com', 0 from generate_series(1, 1000) g`.execute(
    db,
  );
  await sql`insert into jobs (tenant_id, event_id, state, run_at, attempts, first_change_at, created_at, updated_at, lane)
    select 't' || (1 + g % 1000), 'E' || g, 'waiting', ${now}::bigint - (g % 600000), 0, 0, 0, 0,
           case when g % 100 = 0 then 0 when g % 10 = 0 then 1 else 2 end
    from generate_series(1, ${jobs}) g`.execute(db);
  await sql`analyze`.execute(db);

  let claim = '';
  let parameters: readonly unknown[] = [];
  const logged = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 1 }) }),
    log: (event) => {
      if (event.level === 'query' && event.query.sql.includes('ranked')) {
        claim = event.query.sql;
        parameters = event.query.parameters;
      }
    },
  });
  await claimJobs(logged, postgresCapabilities, { workerId: 'plan', limit: 50, leaseMs: 60_000, now });
  await logged.destroy();
  // The claim again, its jobs put back first, under EXPLAIN.
  await sql`update jobs set state = 'waiting', lease_owner = null, lease_expires_at = null, attempts = 0 where state = 'running'`.execute(
    db,
  );
  const literal = (value: unknown) =>
    typeof value === 'string' ? `'${value.replaceAll("'", "''")}'` : String(value);
  const text = claim.replace(/\$(\d+)/g, (_, n: string) => literal(parameters[Number(n) - 1]));
  const plan = await sql.raw<{ 'QUERY PLAN': string }>(`explain (analyze, costs off) ${text}`).execute(db);
  console.log(`The claim of 50 with ${jobs.toLocaleString('en')} waiting jobs of 1,000 tenants:\n`);
  for (const row of plan.rows) console.log(row['QUERY PLAN']);

  const times: number[] = [];
  let after: (string | undefined)[] = [];
  for (let n = 0; n < 20; n += 1) {
    const started = performance.now();
    const claimed = await claimJobs(db, postgresCapabilities, {
      workerId: 'plan',
      limit: 50,
      leaseMs: 60_000,
      now,
      after,
    });
    times.push(performance.now() - started);
    after = nextTurns(after, claimed);
  }
  times.sort((a, b) => a - b);
  console.log(
    `\n20 claims of 50, each from the next tenants in turn: median ${times[10]!.toFixed(2)} ms, ` +
      `slowest ${times[19]!.toFixed(2)} ms`,
  );
} finally {
  await store.close();
  await database.drop();
}
