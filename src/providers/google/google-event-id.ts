// The Google event id of a Salesforce Event's item, derived from the Event id alone: Google lets a
// client choose an event's id (base32hex characters 0-9 a-v, 5 to 1024 long, unique per calendar),
// so a create retried after a lost response, or a create after the item was deleted, names the
// same event and Google answers 409 duplicate instead of making a second one. Pure.

/** RFC 4648's "extended hex" alphabet, lower case, which is what Google allows in an id. */
const base32hex = '0123456789abcdefghijklmnopqrstuv';

/** Google's limits on a client-chosen id. */
const minLength = 5;
const maxLength = 1024;

/**
 * base32hex (no padding) of the id's UTF-8 bytes: stable, one-to-one (ids differing only in letter
 * case, as 15-character Salesforce ids may, get different event ids) and reversible by hand when
 * someone reads an event id in Google.
 */
export function googleEventIdFor(salesforceEventId: string): string {
  let id = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of new TextEncoder().encode(salesforceEventId)) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      id += base32hex[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) id += base32hex[(buffer << (5 - bits)) & 31];
  if (id.length < minLength || id.length > maxLength)
    throw new RangeError(
      `the Salesforce Event id ${JSON.stringify(salesforceEventId)} makes no Google event id (5 to 1024 characters)`,
    );
  return id;
}
