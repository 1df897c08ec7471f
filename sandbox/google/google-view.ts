// The page the demo shows beside the product: every domain user's calendar as the sandbox
// holds it, one row per event or series (subject, start and end in the event's own zone,
// status, recurrence, how many instances were changed or cancelled). Read-only; refreshes itself.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { GoogleCalendars } from './google-calendars.ts';
import type { EventDateTime } from './google-event-input.ts';
import { isCancelled } from './google-instances.ts';
import { parseDateTime, wallClock } from './google-time.ts';

/** A start or end as a person reads it: "2026-11-25 09:00 Europe/Berlin", or a date. */
function shown(time: EventDateTime, allDayEnd: boolean): string {
  if (time.date !== undefined) return allDayEnd ? `${time.date} (exclusive)` : time.date;
  const zone = time.timeZone ?? 'UTC';
  const ms = parseDateTime(time.dateTime ?? '')?.ms ?? 0;
  return `${wallClock(ms, zone).slice(0, 16).replace('T', ' ')} ${zone}`;
}

export function calendarsPage(calendars: GoogleCalendars): HtmlEscapedString | Promise<HtmlEscapedString> {
  const cell = 'border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>Google sandbox calendars</title>
        <meta http-equiv="refresh" content="2" />
      </head>
      <body style="font-family: sans-serif; margin: 2rem">
        <h1>Google sandbox calendars</h1>
        ${calendars.users().map((user) => {
          const calendar = calendars.calendar(user);
          const events = [...calendar.events.values()].sort((a, b) => a.order - b.order);
          return html`<h2>${user}</h2>
            ${
              events.length === 0
                ? html`<p>No events.</p>`
                : html`<table style="border-collapse: collapse">
                    <tr>
                      ${[
                        'Subject',
                        'Start',
                        'End',
                        'Status',
                        'Recurrence',
                        'Instances changed',
                        'Instances cancelled',
                      ].map((title) => html`<th style="${cell}">${title}</th>`)}
                    </tr>
                    ${events.map((event) => {
                      const exceptions = [...(calendar.exceptions.get(event.id)?.values() ?? [])];
                      const cancelled = exceptions.filter((e) => isCancelled(e.fields)).length;
                      const recurrence = event.fields['recurrence'] as string[] | undefined;
                      return html`<tr>
                        <td style="${cell}">
                          <strong>${event.fields['summary'] ?? '(no title)'}</strong>
                        </td>
                        <td style="${cell}">${shown(event.fields['start'] as EventDateTime, false)}</td>
                        <td style="${cell}">${shown(event.fields['end'] as EventDateTime, true)}</td>
                        <td style="${cell}">${event.fields['status'] ?? 'confirmed'}</td>
                        <td style="${cell}">${recurrence?.join(' ') ?? ''}</td>
                        <td style="${cell}">
                          ${recurrence === undefined ? '' : exceptions.length - cancelled}
                        </td>
                        <td style="${cell}">${recurrence === undefined ? '' : cancelled}</td>
                      </tr>`;
                    })}
                  </table>`
            }`;
        })}
      </body>
    </html>`;
}
