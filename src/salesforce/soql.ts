// Building SOQL safely: record ids go into IN (…) lists only when they look like Salesforce ids
// (15 or 18 letters and digits), so nothing read from elsewhere can change a query's meaning.
import { isSalesforceId } from '../domain/salesforce-ids.ts';

/** `'id1','id2'` for an `IN (…)` clause; anything that is not an id is left out. */
export function soqlIdList(ids: readonly string[]): string {
  return ids
    .filter(isSalesforceId)
    .map((id) => `'${id}'`)
    .join(',');
}
