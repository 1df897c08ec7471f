import { describe, expect, it } from 'vitest';
import { ItemNotFoundError } from '../calendar-provider.ts';
import { readEwsAnswer, type EwsResponseMessage } from './ews-errors.ts';
import { itemRefs, readOccurrencePage } from './ews-responses.ts';

/** A GetItem answer with one message per requested occurrence, as EWS writes them. */
function getItemAnswer(messages: string[]): EwsResponseMessage[] {
  const read = readEwsAnswer(`<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
  <s:Body>
    <m:GetItemResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"
        xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
      <m:ResponseMessages>${messages.join('')}</m:ResponseMessages>
    </m:GetItemResponse>
  </s:Body>
</s:Envelope>`);
  if (read.kind !== 'messages') throw new Error('not read');
  return read.messages;
}
const occurrence = (id: string, start: string, originalStart = start) =>
  `<m:GetItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items><t:CalendarItem>` +
  `<t:ItemId Id="${id}" ChangeKey="DwAAAB"/><t:Start>${start}</t:Start><t:OriginalStart>${originalStart}</t:OriginalStart>` +
  `</t:CalendarItem></m:Items></m:GetItemResponseMessage>`;
const error = (code: string) =>
  `<m:GetItemResponseMessage ResponseClass="Error"><m:MessageText>${code}</m:MessageText><m:ResponseCode>${code}</m:ResponseCode>` +
  '<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:GetItemResponseMessage>';

const window = { from: Date.UTC(2026, 10, 1), to: Date.UTC(2027, 0, 1), timeZone: 'America/Los_Angeles' };

describe('readOccurrencePage', () => {
  it('names each occurrence by its original date in the series zone, skips deleted ones, and stops past the series', () => {
    const page = readOccurrencePage(
      getItemAnswer([
        // 18:00 UTC on the 2nd is 10:00 on the 2nd in Los Angeles; 05:00 UTC on the 10th is still the 9th there.
        occurrence('occ-1', '2026-11-02T18:00:00Z'),
        error('ErrorCalendarOccurrenceIsDeletedFromRecurrence'),
        // Moved a day later: still named by the date it stood on.
        occurrence('occ-3', '2026-11-17T18:00:00Z', '2026-11-16T18:00:00Z'),
        occurrence('occ-4', '2026-11-10T05:00:00Z'),
        error('ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange'),
        error('ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange'),
      ]),
      1,
      window,
      'listing',
      'rep@contoso.com',
    );
    expect(page).toEqual({
      found: [
        { id: 'occ-1', date: '2026-11-02' },
        { id: 'occ-3', date: '2026-11-16' },
        { id: 'occ-4', date: '2026-11-09' },
      ],
      next: undefined,
    });
  });

  it('asks for the next batch after a full page, and again from where Exchange stopped a batch', () => {
    const full = readOccurrencePage(
      getItemAnswer([occurrence('a', '2026-11-02T18:00:00Z'), occurrence('b', '2026-11-09T18:00:00Z')]),
      51,
      window,
      'listing',
      'rep@contoso.com',
    );
    expect(full.next).toBe(53);
    const stopped = readOccurrencePage(
      getItemAnswer([
        occurrence('a', '2026-11-02T18:00:00Z'),
        occurrence('b', '2026-11-09T18:00:00Z'),
        error('ErrorBatchProcessingStopped'),
        error('ErrorBatchProcessingStopped'),
      ]),
      51,
      window,
      'listing',
      'rep@contoso.com',
    );
    expect(stopped).toEqual({ found: full.found, next: 53 });
  });

  it('leaves out occurrences outside the window and stops once they start after it', () => {
    const page = readOccurrencePage(
      getItemAnswer([
        occurrence('before', '2026-10-26T17:00:00Z'),
        occurrence('in', '2026-12-28T18:00:00Z'),
        occurrence('after', '2027-01-04T18:00:00Z'),
        occurrence('later', '2027-01-11T18:00:00Z'),
      ]),
      1,
      window,
      'listing',
      'rep@contoso.com',
    );
    expect(page).toEqual({ found: [{ id: 'in', date: '2026-12-28' }], next: undefined });
  });

  it('says the series is gone when its master is', () => {
    expect(() =>
      readOccurrencePage(
        getItemAnswer([error('ErrorItemNotFound')]),
        1,
        window,
        'listing',
        'rep@contoso.com',
      ),
    ).toThrow(ItemNotFoundError);
  });
});

describe('itemRefs', () => {
  it("reads a write's ItemId and a FindItem's items", () => {
    const [created] = getItemAnswer([occurrence('AAMkA', '2026-11-02T18:00:00Z')]);
    expect(itemRefs(created!)).toEqual([{ itemId: 'AAMkA', changeKey: 'DwAAAB' }]);
    const found = readEwsAnswer(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
      <m:FindItemResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
        <m:ResponseMessages><m:FindItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>
          <m:RootFolder IndexedPagingOffset="1" TotalItemsInView="1" IncludesLastItemInRange="true">
            <t:Items><t:CalendarItem><t:ItemId Id="AAMkADA5" ChangeKey="DwAAABYA"/></t:CalendarItem></t:Items>
          </m:RootFolder></m:FindItemResponseMessage></m:ResponseMessages>
      </m:FindItemResponse></s:Body></s:Envelope>`);
    expect(found.kind === 'messages' && itemRefs(found.messages[0]!)).toEqual([
      { itemId: 'AAMkADA5', changeKey: 'DwAAABYA' },
    ]);
  });
});
