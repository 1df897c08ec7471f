// Row types of every table, as Kysely sees them. Times are epoch milliseconds (bigint in
// PostgreSQL, integer in SQLite) so both backends compare and sort them the same way.
// Columns named *_sealed hold SecretBox ciphertext, never plaintext. docs/database.md
// explains each table.
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { ConnectionState } from '../domain/salesforce-connection.ts';

export type { ConnectionState };

export interface Database {
  meta: MetaTable;
  tenants: TenantsTable;
  salesforce_connections: SalesforceConnectionsTable;
  mailbox_providers: MailboxProvidersTable;
  mailboxes: MailboxesTable;
  changes: ChangesTable;
  jobs: JobsTable;
  links: LinksTable;
  queue_samples: QueueSamplesTable;
  sync_minutes: SyncMinutesTable;
  traces: TracesTable;
  oauth_states: OAuthStatesTable;
  intake_positions: IntakePositionsTable;
  leases: LeasesTable;
  nodes: NodesTable;
  admin_sessions: AdminSessionsTable;
  rate_limits: RateLimitsTable;
  series_members: SeriesMembersTable;
  series_states: SeriesStatesTable;
  set_aside_links: SetAsideLinksTable;
  cdc_states: CdcStatesTable;
  org_limits: OrgLimitsTable;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface TenantsTable {
  id: string;
  slug: string;
  name: string;
  client_id: string;
  webhook_secret_sealed: string;
  settle_window_ms: number;
  created_at: number;
  updated_at: number;
  /** none (attendees listed in the body, nobody emailed), internal or all. */
  invitation_policy: ColumnType<
    'none' | 'internal' | 'all',
    'none' | 'internal' | 'all' | undefined,
    'none' | 'internal' | 'all'
  >;
  /** delete: a deleted Event's item is deleted; keep: it stays. */
  delete_policy: ColumnType<'delete' | 'keep', 'delete' | 'keep' | undefined, 'delete' | 'keep'>;
  /** JSON array of email domains counted as internal. */
  internal_domains_json: ColumnType<string, string | undefined, string>;
  /** JSON array of ExclusionRule. */
  exclusion_rules_json: ColumnType<string, string | undefined, string>;
  /** This tenant's polling interval; null: the server's INSTANT_SYNC_POLL_INTERVAL. */
  poll_interval_ms: ColumnType<number | null, number | null | undefined, number | null>;
}

export type SalesforceAuthFlow = 'web_server' | 'jwt_bearer';

export interface SalesforceConnectionsTable {
  tenant_id: string;
  state: ConnectionState;
  auth_flow: SalesforceAuthFlow;
  login_url: string;
  instance_url: string | null;
  org_id: string | null;
  user_id: string | null;
  username: string | null;
  access_token_sealed: string | null;
  refresh_token_sealed: string | null;
  connected_at: number | null;
  /** When the refresh token expires under the tenant's policy; null for none (or JWT bearer). */
  expires_at: number | null;
  last_error: string | null;
  updated_at: number;
  /** The External Client App's consumer key and secret for this tenant; null: the server's default. */
  client_id: string | null;
  client_secret_sealed: string | null;
  jwt_username: string | null;
  jwt_private_key_sealed: string | null;
  access_token_issued_at: number | null;
  refresh_token_last_used_at: number | null;
  /** The most urgent expiry warning sent (7, 3 or 1 days before), so each goes out once. */
  last_expiry_warning_days: number | null;
  /** As the org admin set it on the app: until-revoked, expire-after:<n>d or idle:<n>d. */
  refresh_token_policy: ColumnType<string, string | undefined, string>;
}

/** One Connect in progress: single use, bound to a tenant and to the browser that started it. */
export interface OAuthStatesTable {
  state_hash: string;
  tenant_id: string;
  code_verifier_sealed: string;
  browser_binding_hash: string;
  created_at: number;
  expires_at: number;
}

export type MailboxProviderKind = 'graph' | 'ews' | 'google';

export interface MailboxProvidersTable {
  id: string;
  tenant_id: string;
  kind: MailboxProviderKind;
  name: string;
  /** Non-secret settings as JSON: directory tenant id, client id, endpoints. */
  settings_json: string;
  credentials_sealed: string | null;
  created_at: number;
  updated_at: number;
  /** 1 for the tenant's default provider (exactly one per tenant): mailboxes naming none go through it. */
  is_default: ColumnType<number, number | undefined, number>;
}

export type MailboxSource = 'salesforce' | 'override';
export type MailboxState = 'active' | 'inactive' | 'unresolved';

export interface MailboxesTable {
  id: string;
  tenant_id: string;
  /** The provider this mailbox goes through; null: the tenant's default provider. */
  provider_id: string | null;
  salesforce_user_id: string;
  address: string | null;
  source: MailboxSource;
  state: MailboxState;
  resolved_at: number | null;
  created_at: number;
  updated_at: number;
  /** The owner's TimeZoneSidKey when the mailbox was resolved. */
  time_zone: string | null;
  /** Why the mailbox cannot be used (no email, user inactive), if it cannot. */
  last_error: string | null;
  /** Since when the mailbox provider has said this mailbox does not exist (null: it exists, as far as we know). */
  missing_since: ColumnType<number | null, number | null | undefined, number | null>;
  /** What the provider said when it did. */
  missing_reason: ColumnType<string | null, string | null | undefined, string | null>;
}

export const changeTypes = ['create', 'update', 'delete', 'undelete', 'resync'] as const;
export type ChangeType = (typeof changeTypes)[number];
export const changeSources = ['cdc', 'webhook', 'poll', 'backfill', 'manual'] as const;
export type ChangeSource = (typeof changeSources)[number];

export interface ChangesTable {
  id: Generated<number>;
  tenant_id: string;
  event_id: string;
  change_type: ChangeType;
  source: ChangeSource;
  /** Unique per tenant: the same delivery recorded twice is one change. */
  dedupe_key: string;
  /** When Salesforce committed the change, if the source says. */
  committed_at: number | null;
  received_at: number;
  /** What the change carried of the Event (REST JSON field format), when it carried any (see payload_kind). */
  payload_json: ColumnType<string | null, string | null | undefined, string | null>;
  /** `record`: the whole Event (a CDC CREATE); `fields`: a CDC UPDATE's changed fields; null: no payload. */
  payload_kind: ColumnType<PayloadKind | null, PayloadKind | null | undefined, PayloadKind | null>;
}

export const payloadKinds = ['record', 'fields'] as const;
export type PayloadKind = (typeof payloadKinds)[number];

export type JobState = 'waiting' | 'running' | 'dead';

/**
 * Which work a job is, for the order claims take jobs in: live changes (CDC, webhook, an admin's
 * retry of one Event) before reconciliation (polling) before bulk work (backfill, retrying every
 * dead letter). Lower is sooner; a job keeps the best lane of the changes it carries.
 */
export const jobLanes = { live: 0, reconcile: 1, bulk: 2 } as const;
export type JobLane = (typeof jobLanes)[keyof typeof jobLanes];

export interface JobsTable {
  id: Generated<number>;
  tenant_id: string;
  event_id: string;
  state: JobState;
  run_at: number;
  attempts: ColumnType<number, number | undefined, number>;
  lease_owner: string | null;
  lease_expires_at: number | null;
  /** Oldest change this run covers: end-to-end latency is measured from here. */
  first_change_at: number;
  change_count: ColumnType<number, number | undefined, number>;
  /** Set when a change arrives while the job runs: the job runs again at this time. */
  rerun_at: number | null;
  rerun_first_change_at: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  /** The mailbox this job waits for (it does not exist at the provider yet); null otherwise. */
  waiting_for_mailbox_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** jobLanes: the best lane of the changes it carries (0018-job-lanes). */
  lane: ColumnType<JobLane, JobLane | undefined, JobLane>;
}

export type LinkState = 'active' | 'deleted';

export interface LinksTable {
  tenant_id: string;
  event_id: string;
  mailbox_id: string;
  provider_kind: MailboxProviderKind;
  /** The provider (mailbox_providers.id) that made the item: its id means something only there. */
  provider_id: string | null;
  item_id: string;
  change_key: string | null;
  content_hash: string;
  salesforce_version: string | null;
  state: LinkState;
  created_at: number;
  updated_at: number;
  /** Set while a create may have reached the mailbox without its answer being saved. */
  pending_create_at: ColumnType<number | null, number | null | undefined, number | null>;
  /** The whole Event record (REST JSON) the last sync used; null when it used none or is older than this column. */
  record_json: ColumnType<string | null, string | null | undefined, string | null>;
  /** The highest change id of the Event that record_json is known to include. */
  record_through_change_id: ColumnType<number | null, number | null | undefined, number | null>;
}

/** A link to an item of a provider the tenant no longer uses, kept for the record. */
export interface SetAsideLinksTable {
  tenant_id: string;
  event_id: string;
  provider_kind: MailboxProviderKind;
  mailbox_id: string;
  item_id: string;
  state: LinkState;
  /** When the link was last written (its updated_at). */
  linked_at: number;
  set_aside_at: number;
}

/** An occurrence record of a Lightning event series, and the series date it stands for. */
export interface SeriesMembersTable {
  tenant_id: string;
  event_id: string;
  series_event_id: string;
  /** The series date (YYYY-MM-DD in the series' zone) the occurrence was made for. */
  slot_date: string;
  updated_at: number;
}

/** What was last applied to a calendar series' occurrences (JSON, see engine/apply-series.ts). */
export interface SeriesStatesTable {
  tenant_id: string;
  series_event_id: string;
  state_json: string;
  updated_at: number;
}

export interface TracesTable {
  id: Generated<number>;
  tenant_id: string;
  event_id: string;
  job_id: number | null;
  at: number;
  step: string;
  message: string;
  data_json: string | null;
}

/** How far a change source has read, per tenant: committed with the changes it covers, never before. */
export interface IntakePositionsTable {
  tenant_id: string;
  /** `cdc` (position: the last replay id, base64) or `poll` (position: the SystemModstamp watermark, epoch ms). */
  source: string;
  position: string;
  updated_at: number;
}

/** Whether a tenant's change data capture streams, or the tenant is polled faster instead and why. */
export interface CdcStatesTable {
  tenant_id: string;
  /** `streaming`, or `polling`: CDC cannot be used for now (see reason), polling runs faster. */
  state: string;
  /** With `polling`: `delivery-allocation`, `not-selected` or `refused`. */
  reason: string | null;
  /** Salesforce's own words for the reason. */
  detail: string | null;
  /** When this state began. */
  since: number;
  /** With `polling`: when CDC is next tried. */
  retry_at: number | null;
  updated_at: number;
}

/** The org's daily allocations as the `limits` resource last gave them (null: not listed). */
export interface OrgLimitsTable {
  tenant_id: string;
  api_max: number | null;
  api_remaining: number | null;
  /** DailyDeliveredPlatformEvents: event deliveries to API subscribers in the last 24 hours. */
  deliveries_max: number | null;
  deliveries_remaining: number | null;
  read_at: number;
}

/** A running process of the service (serve or worker), alive while it renews `expires_at`. */
export interface NodesTable {
  /** The node's name as a lease holder and job worker: `<host>:<pid>:<random>`. */
  id: string;
  host: string;
  /**
   * Host, boot and process namespace: two nodes with the same key see the same processes, so
   * one can tell whether the other's pid still runs.
   */
  host_key: string;
  pid: number;
  role: string;
  version: string;
  started_at: number;
  heartbeat_at: number;
  expires_at: number;
}

/** A named lease: which node runs a tenant's CDC subscription or poll, until when. */
export interface LeasesTable {
  name: string;
  holder: string;
  acquired_at: number;
  expires_at: number;
}

export type TenantRow = Selectable<TenantsTable>;
export type NewTenantRow = Insertable<TenantsTable>;
export type JobRow = Selectable<JobsTable>;
export type ConnectionRow = Selectable<SalesforceConnectionsTable>;
export type MailboxRow = Selectable<MailboxesTable>;
export type MailboxProviderRow = Selectable<MailboxProvidersTable>;
export type LinkRow = Selectable<LinksTable>;

/** One signed-in admin browser. Only a hash of the cookie's value is stored. */
export interface AdminSessionsTable {
  id_hash: string;
  /** What signed in: `password` or `token:<tag of the admin token>` (a changed token ends its sessions). */
  credential: string;
  /** The address that signed in. */
  client: string;
  created_at: number;
  expires_at: number;
}

/** A counter over a fixed window, shared by every node: sign-in failures, Connects, intake. */
export interface RateLimitsTable {
  key: string;
  window_started_at: number;
  hits: number;
}

/** The queue's depth of one tenant at the start of one minute (0015-queue-samples). */
export interface QueueSamplesTable {
  tenant_id: string;
  at: number;
  waiting: number;
  running: number;
  dead: number;
}

/** Syncs of one tenant (or of all: `*`) in one minute, with their latency (0016-sync-minutes). */
export interface SyncMinutesTable {
  tenant_id: string;
  at: number;
  syncs: number;
  p50_ms: number | null;
  p95_ms: number | null;
}
