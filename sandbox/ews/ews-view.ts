// The page the demo shows beside the product: every mailbox's calendar as the Exchange sandbox
// holds it, one row per item or series (subject, start and end in the item's own Windows time
// zone, free/busy, recurrence, and which occurrences were changed or cancelled). Read-only;
// refreshes itself.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { recurrenceJson } from './ews-recurrence.ts';
import type { EwsStore, StoredItem } from './ews-store.ts';
import { ianaOf, wallClock } from './ews-time.ts';

/** "2026-11-25 09:00 (W. Europe Standard Time)", or a date for an all-day item. */
function shown(ms: number, windowsZone: string, allDay: boolean): string {
  const wall = wallClock(ms, ianaOf(windowsZone) ?? 'UTC');
  return allDay
    ? `${wall.slice(0, 10)} (${windowsZone})`
    : `${wall.slice(0, 16).replace('T', ' ')} (${windowsZone})`;
}

function recurrenceText(item: StoredItem): string {
  if (item.fields.recurrence === undefined) return '';
  return Object.entries(recurrenceJson(item.fields.recurrence))
    .map(
      ([kind, fields]) =>
        `${kind} ${Object.entries(fields as Record<string, unknown>)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(', ')}`,
    )
    .join('; ');
}

export function mailboxesPage(store: EwsStore): HtmlEscapedString | Promise<HtmlEscapedString> {
  const cell = 'border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>Exchange sandbox calendars</title>
        <meta http-equiv="refresh" content="2" />
      </head>
      <body style="font-family: sans-serif; margin: 2rem">
        <h1>Exchange sandbox calendars</h1>
        ${store.mailboxes().map((mailbox) => {
          const items = [...mailbox.items.values()].sort(
            (a, b) => a.fields.startMs - b.fields.startMs || a.order - b.order,
          );
          return html`<h2>${mailbox.displayName} &lt;${mailbox.address}&gt;</h2>
            ${
              items.length === 0
                ? html`<p>No calendar items.</p>`
                : html`<table style="border-collapse: collapse">
                    <tr>
                      ${[
                        'Subject',
                        'Start',
                        'End',
                        'Free/busy',
                        'Recurrence',
                        'Occurrences changed',
                        'Occurrences cancelled',
                      ].map((title) => html`<th style="${cell}">${title}</th>`)}
                    </tr>
                    ${items.map((item) => {
                      const f = item.fields;
                      const changed = [...item.exceptions.values()].map(
                        (e) =>
                          `${shown(e.originalStart, f.startTimeZone, f.isAllDayEvent)} → ${shown(e.fields.startMs, e.fields.startTimeZone, e.fields.isAllDayEvent)}${e.fields.subject !== f.subject ? ` “${e.fields.subject ?? ''}”` : ''}`,
                      );
                      const cancelled = [...item.deleted]
                        .sort((a, b) => a - b)
                        .map((start) => shown(start, f.startTimeZone, f.isAllDayEvent));
                      return html`<tr>
                        <td style="${cell}"><strong>${f.subject ?? '(no subject)'}</strong></td>
                        <td style="${cell}">${shown(f.startMs, f.startTimeZone, f.isAllDayEvent)}</td>
                        <td style="${cell}">${shown(f.endMs, f.endTimeZone, f.isAllDayEvent)}</td>
                        <td style="${cell}">${f.legacyFreeBusyStatus}</td>
                        <td style="${cell}">${recurrenceText(item)}</td>
                        <td style="${cell}">${changed.map((line) => html`${line}<br />`)}</td>
                        <td style="${cell}">${cancelled.map((line) => html`${line}<br />`)}</td>
                      </tr>`;
                    })}
                  </table>`
            }`;
        })}
      </body>
    </html>`;
}
