// Pieces every admin page shares: the navigation (with Sign out) and how times are shown.
import { html } from 'hono/html';

export const adminTime = (ms: number): string =>
  `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} UTC`;

export function adminNav(csrf: string) {
  return html`<nav>
    <a href="/admin/">Overview</a><a href="/admin/failures">Failures</a
    ><a href="/admin/events">Trace an Event</a>
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
