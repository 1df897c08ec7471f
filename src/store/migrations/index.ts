// The ordered list of schema migrations. Names sort in the order they apply; add new ones at
// the end and never rename or edit one that has shipped.
import type { Migration } from 'kysely/migration';
import type { BackendCapabilities } from '../backend.ts';
import { initialSchema } from './0001-initial.ts';
import { salesforceConnectionSchema } from './0002-salesforce-connection.ts';
import { intakeSchema } from './0003-intake.ts';
import { syncSchema } from './0004-sync.ts';
import { changePayloadSchema } from './0005-change-payload.ts';
import { linkPendingCreateSchema } from './0006-link-pending-create.ts';
import { tenantPollIntervalSchema } from './0007-tenant-poll-interval.ts';
import { changeFieldsAndLinkRecordSchema } from './0008-change-fields-and-link-record.ts';
import { nodesSchema } from './0009-nodes.ts';
import { missingMailboxesSchema } from './0010-missing-mailboxes.ts';
import { securitySchema } from './0011-security.ts';
import { seriesSchema } from './0012-series.ts';
import { setAsideLinksSchema } from './0013-set-aside-links.ts';
import { hybridProvidersSchema } from './0014-hybrid-providers.ts';
import { queueSamplesSchema } from './0015-queue-samples.ts';
import { syncMinutesSchema } from './0016-sync-minutes.ts';
import { retentionSchema } from './0017-retention.ts';
import { jobLanesSchema } from './0018-job-lanes.ts';
import { tenantTurnsSchema } from './0019-tenant-turns.ts';
import { cdcFallbackSchema } from './0020-cdc-fallback.ts';
import { linksWithoutMailboxIndexSchema } from './0021-links-without-mailbox-index.ts';

export function allMigrations(backend: BackendCapabilities): Record<string, Migration> {
  return {
    '0001-initial': initialSchema(backend),
    '0002-salesforce-connection': salesforceConnectionSchema(),
    '0003-intake': intakeSchema(),
    '0004-sync': syncSchema(),
    '0005-change-payload': changePayloadSchema(),
    '0006-link-pending-create': linkPendingCreateSchema(),
    '0007-tenant-poll-interval': tenantPollIntervalSchema(),
    '0008-change-fields-and-link-record': changeFieldsAndLinkRecordSchema(),
    '0009-nodes': nodesSchema(),
    '0010-missing-mailboxes': missingMailboxesSchema(),
    '0011-security': securitySchema(),
    '0012-series': seriesSchema(),
    '0013-set-aside-links': setAsideLinksSchema(),
    '0014-hybrid-providers': hybridProvidersSchema(),
    '0015-queue-samples': queueSamplesSchema(),
    '0016-sync-minutes': syncMinutesSchema(),
    '0017-retention': retentionSchema(),
    '0018-job-lanes': jobLanesSchema(),
    '0019-tenant-turns': tenantTurnsSchema(),
    '0020-cdc-fallback': cdcFallbackSchema(),
    '0021-links-without-mailbox-index': linksWithoutMailboxIndexSchema(backend),
  };
}
