// What Salesforce record ids and email addresses look like, checked the same way everywhere input
// names them (CLI, admin pages, API, webhook, SOQL building, exclusion rules).
//
// Ids are stored and compared in their 18-character case-safe form only, exactly: Salesforce's
// API answers with 18-character ids, and a 15-character id is case-sensitive, so comparing
// without case (or by prefix) can find another record. Every entrance turns what it is given into
// that form with normalizeSalesforceId (or its Event and User variants) before anything looks it up.

const suffixAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** Key prefixes of the objects input names. */
export const eventIdPrefix = '00U';
export const userIdPrefix = '005';

/**
 * A record id's shape: 15 or 18 letters and digits. Says nothing of an 18-character id's suffix;
 * input should go through normalizeSalesforceId instead, which checks it.
 */
export function isSalesforceId(text: string): boolean {
  return /^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/.test(text);
}

/** A User record id's shape (key prefix 005). */
export function isUserId(text: string): boolean {
  return isSalesforceId(text) && text.startsWith(userIdPrefix);
}

/**
 * The 18-character case-safe form of a 15-character id: for each 5-character chunk, one
 * character whose bit i says whether the chunk's character i is an upper-case letter.
 * Throws on anything but 15 letters and digits (a caller's mistake, not input to refuse).
 */
export function toCaseSafeId(id15: string): string {
  if (!/^[A-Za-z0-9]{15}$/.test(id15))
    throw new Error(`${JSON.stringify(id15)} is not a 15-character Salesforce id`);
  let suffix = '';
  for (let chunk = 0; chunk < 15; chunk += 5) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const char = id15.charAt(chunk + i);
      if (char >= 'A' && char <= 'Z') bits |= 1 << i;
    }
    suffix += suffixAlphabet.charAt(bits);
  }
  return id15 + suffix;
}

/**
 * The 18-character form of an id given as input: a 15-character id gains its suffix; an
 * 18-character id is returned unchanged when its suffix is the one its first 15 characters
 * make. Anything else is undefined — including an 18-character id whose case was changed on
 * the way (lowercased, retyped), which names no record or, worse, another one.
 */
export function normalizeSalesforceId(text: string): string | undefined {
  if (/^[A-Za-z0-9]{15}$/.test(text)) return toCaseSafeId(text);
  if (/^[A-Za-z0-9]{18}$/.test(text) && toCaseSafeId(text.slice(0, 15)) === text) return text;
  return undefined;
}

/** normalizeSalesforceId for an Event id (key prefix 00U, case-sensitive). */
export function normalizeEventId(text: string): string | undefined {
  return text.startsWith(eventIdPrefix) ? normalizeSalesforceId(text) : undefined;
}

/** normalizeSalesforceId for a User id (key prefix 005). */
export function normalizeUserId(text: string): string | undefined {
  return text.startsWith(userIdPrefix) ? normalizeSalesforceId(text) : undefined;
}

const prefixOf = { Event: eventIdPrefix, User: userIdPrefix } as const;

/**
 * Why `text` is not an id of `object` (any record when not given), in words for an error
 * message; undefined when it is one (normalizeSalesforceId and its variants accept it).
 */
export function salesforceIdProblem(text: string, object?: 'Event' | 'User'): string | undefined {
  const what = object === undefined ? 'a Salesforce id' : `a Salesforce ${object} id`;
  const prefix = object === undefined ? undefined : prefixOf[object];
  if (!isSalesforceId(text))
    return `${JSON.stringify(text)} is not ${what} (15 or 18 letters and digits${prefix === undefined ? '' : `, starting with ${prefix}`})`;
  if (prefix !== undefined && !text.startsWith(prefix))
    return `${JSON.stringify(text)} is not ${what} (those start with ${prefix})`;
  if (normalizeSalesforceId(text) === undefined)
    return `${JSON.stringify(text)} is not ${what}: its last 3 characters do not match the case of its first 15 (was it lowercased or retyped?)`;
  return undefined;
}

/** An address of the shape name@domain.tld (what a mailbox can be). */
export function isEmailAddress(text: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text);
}
