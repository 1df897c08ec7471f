// Pieces every admin page shares: the navigation (with Sign out). Times: ../http/page-time.ts.
import { html } from 'hono/html';

export function adminNav(csrf: string) {
  return html`<nav>
    <a href="/admin/">Overview</a><a href="/admin/failures">Failures</a
    ><a href="/admin/events">Trace an Event</a><a href="/admin/preferences">Preferences</a>
    <form method="post" action="/admin/logout">
      <input type="hidden" name="csrf" value="${csrf}" /><button
        class="slds-button slds-button_neutral"
        type="submit"
      >
        Sign out
      </button>
    </form>
  </nav>`;
}

/** Whether Disconnect means something for a connection in `state`. */
export function disconnectable(state: string): boolean {
  return state === 'connected' || state === 'expiring' || state === 'reconnect_required';
}

/**
 * "Tenants 51–100 of 1,000" and the way to the pages before and after (as Lightning buttons: a
 * link told from the text only by its colour is not enough), `href(page)` the address of a page.
 */
export function pageNav(view: {
  /** What the list is of, for screen readers: "tenants". */
  of: string;
  /** What the range says before its numbers: "Tenants", or nothing. */
  noun?: string;
  page: number;
  pageSize: number;
  shown: number;
  total: number;
  href: (page: number) => string;
}) {
  const first = (view.page - 1) * view.pageSize + 1;
  const last = first + view.shown - 1;
  const count = (n: number) => n.toLocaleString('en-US');
  return html`<nav class="slds-m-vertical_small" aria-label="Pages of ${view.of}">
    <span
      >${view.noun === undefined ? '' : `${view.noun} `}${count(first)}–${count(last)} of
      ${count(view.total)}</span
    >
    ${
      view.page > 1
        ? html`<a
            class="slds-button slds-button_neutral slds-m-left_medium"
            href="${view.href(view.page - 1)}"
            rel="prev"
            >Previous</a
          >`
        : ''
    }
    ${
      last < view.total
        ? html`<a
            class="slds-button slds-button_neutral slds-m-left_medium"
            href="${view.href(view.page + 1)}"
            rel="next"
            >Next</a
          >`
        : ''
    }
  </nav>`;
}

/** An Event's two cells in a list: its subject (else its id) linked to its story, and its mailbox and owner. */
export function eventCells(event: {
  eventId: string;
  subject: string | null;
  mailbox: string | null;
  ownerId: string | null;
}) {
  const below = (text: string | null) =>
    text === null ? '' : html`<br /><span class="slds-text-body_small slds-text-color_weak">${text}</span>`;
  return html`<td>
      <a href="/admin/events?id=${event.eventId}">${event.subject ?? event.eventId}</a>
      ${below(event.subject === null ? null : event.eventId)}
    </td>
    <td>${event.mailbox ?? '–'} ${below(event.ownerId === null ? null : `owner ${event.ownerId}`)}</td>`;
}
