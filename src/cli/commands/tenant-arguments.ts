// What the commands that work on one tenant's Events share: the tenant a command names (or the
// only one there is), and Event and User ids as typed, turned into their 18-character form before
// anything looks them up or stores them, as every other entrance does.
import {
  isUserId,
  normalizeEventId,
  normalizeUserId,
  salesforceIdProblem,
} from '../../domain/salesforce-ids.ts';
import { BadInputError, NotFoundError } from '../../lib/errors.ts';
import type { TenantRow } from '../../store/schema.ts';
import type { Repositories } from '../../store/repositories.ts';

/** An Event id as typed, in its 18-character form; refused with the reason when it is none. */
export function eventIdArgument(text: string): string {
  const id = normalizeEventId(text.trim());
  if (id === undefined)
    throw new BadInputError(
      salesforceIdProblem(text.trim(), 'Event') ?? `${JSON.stringify(text)} is not an Event id`,
    );
  return id;
}

/** A user as typed: a User id in its 18-character form, or anything else as it is (an email address). */
export function userArgument(text: string): string {
  const user = text.trim();
  if (!isUserId(user)) return user;
  const id = normalizeUserId(user);
  if (id === undefined)
    throw new BadInputError(salesforceIdProblem(user, 'User') ?? `${JSON.stringify(text)} is not a User id`);
  return id;
}

/** The tenant named by --tenant, or the only one there is. */
export async function chooseTenant(repos: Repositories, slug: string | undefined): Promise<TenantRow> {
  if (slug !== undefined) {
    const tenant = await repos.tenants.findTenantBySlug(slug);
    if (tenant === undefined) throw new NotFoundError(`no tenant named ${JSON.stringify(slug)}`);
    return tenant;
  }
  const tenants = await repos.tenants.listTenants();
  if (tenants.length === 1 && tenants[0] !== undefined) return tenants[0];
  throw new BadInputError(
    tenants.length === 0
      ? 'there are no tenants yet (instant-sync tenants add <slug>)'
      : `there are ${tenants.length} tenants: say which with --tenant <slug>`,
  );
}
