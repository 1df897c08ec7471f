// Which Salesforce Events an EWS request concerned, for the fault log: the values of the
// extended property SalesforceEventId the sync stamps on its items, read from the items a
// request writes, from the stored items its ids name, and from a restriction that looks one up.
import type { EwsStore, Mailbox } from './ews-store.ts';
import { ns, type XmlElement } from './ews-xml.ts';

const stampSet = '5f3c4a8e-2b71-4c0e-9d6a-7e1b2c3d4f50';
const stampName = 'SalesforceEventId';
const stampKey = `${stampSet}:name:${stampName}:String`;

const isStampUri = (element: XmlElement | undefined) =>
  element !== undefined &&
  element.name === 'ExtendedFieldURI' &&
  element.attrs['PropertySetId']?.toLowerCase() === stampSet &&
  element.attrs['PropertyName'] === stampName;

/** The stamps a request's body names, directly or through the items its ids name. */
export function requestStamps(
  store: EwsStore,
  mailbox: Mailbox | undefined,
  operation: XmlElement,
): string[] {
  const stamps = new Set<string>();
  const visit = (element: XmlElement) => {
    if (element.ns === ns.types) {
      if (element.name === 'ExtendedProperty' && isStampUri(element.children[0])) {
        const value = element.children.find((c) => c.name === 'Value');
        if (value !== undefined) stamps.add(value.text);
      }
      if (element.name === 'IsEqualTo' && isStampUri(element.children[0])) {
        const constant = element.children[1]?.children[0];
        if (constant?.attrs['Value'] !== undefined) stamps.add(constant.attrs['Value']);
      }
      const id = element.attrs['Id'] ?? element.attrs['RecurringMasterId'] ?? element.attrs['OccurrenceId'];
      if (
        mailbox !== undefined &&
        id !== undefined &&
        ['ItemId', 'OccurrenceItemId', 'RecurringMasterItemId'].includes(element.name)
      ) {
        try {
          const { item } = store.resolve(mailbox, id);
          const stamp = item.fields.extended.find((e) => e.key === stampKey)?.value;
          if (stamp !== undefined) stamps.add(stamp);
        } catch {
          // an id that names nothing concerns no item
        }
      }
    }
    for (const child of element.children) visit(child);
  };
  visit(operation);
  return [...stamps];
}
