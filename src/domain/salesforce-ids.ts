// What Salesforce record ids and email addresses look like, checked the same way everywhere input
// names them (CLI, admin pages, API, SOQL building, exclusion rules).

/** A record id: 15 (case-sensitive) or 18 (case-safe) letters and digits. */
export function isSalesforceId(text: string): boolean {
  return /^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/.test(text);
}

/** A User record id (key prefix 005). */
export function isUserId(text: string): boolean {
  return isSalesforceId(text) && text.startsWith('005');
}

/** An address of the shape name@domain.tld (what a mailbox can be). */
export function isEmailAddress(text: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text);
}
