// Salesforce record ids: a 3-character key prefix naming the object, then a 15-character
// case-sensitive id, then the 3-character case-safety suffix Salesforce appends for 18-character
// ids (one character per 5-character chunk, encoding which of its letters are upper case).

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const suffixAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

export const keyPrefixes = {
  Organization: '00D',
  User: '005',
  Event: '00U',
  EventRelation: '0RE',
  Contact: '003',
  Lead: '00Q',
  /** The record behind a Lightning event series, named by its Events' ActivityRecurrence2Id. */
  ActivityRecurrence2: '828',
  /** A profile: a hierarchy custom setting's record may belong to one (its SetupOwnerId). */
  Profile: '00e',
  /** A Remote Site Setting, as the Tooling API's RemoteProxy object. */
  RemoteProxy: '0rp',
  // Our package's custom settings. Salesforce gives each custom object or setting an a0… prefix
  // of its own when it is installed; these are the sandbox org's.
  InstantSync_Config__c: 'a00',
  InstantSync_Secret__c: 'a01',
  InstantSync_Trigger_Settings__c: 'a02',
} as const;

export type KeyPrefixedObject = keyof typeof keyPrefixes;

export function caseSafeSuffix(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let mask = 0;
    for (let i = 0; i < 5; i++) {
      const char = id15[chunk * 5 + i] ?? '';
      if (char >= 'A' && char <= 'Z') mask |= 1 << i;
    }
    suffix += suffixAlphabet[mask];
  }
  return suffix;
}

/** Makes ids for one org: the same pod characters, a counter per object. */
export class IdFactory {
  readonly #counters = new Map<string, number>();
  readonly #pod: string;

  constructor(pod = '5g0') {
    this.#pod = pod;
  }

  next(object: KeyPrefixedObject): string {
    const prefix = keyPrefixes[object];
    const n = (this.#counters.get(prefix) ?? 0) + 1;
    this.#counters.set(prefix, n);
    let digits = '';
    let rest = n;
    for (let i = 0; i < 9; i++) {
      digits = (alphabet[rest % 62] ?? '0') + digits;
      rest = Math.floor(rest / 62);
    }
    const id15 = `${prefix}${this.#pod}${digits}`;
    return id15 + caseSafeSuffix(id15);
  }
}

/** The object an id belongs to, from its key prefix. */
export function objectOfId(id: string): KeyPrefixedObject | undefined {
  const prefix = id.slice(0, 3);
  return (Object.keys(keyPrefixes) as KeyPrefixedObject[]).find((name) => keyPrefixes[name] === prefix);
}

export function isSalesforceId(text: string): boolean {
  if (!/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(text)) return false;
  return text.length === 15 || caseSafeSuffix(text.slice(0, 15)) === text.slice(15);
}
