// Pieces every admin page shares: the navigation (with Sign out). Times: ../http/page-time.ts.
import { html } from 'hono/html';

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
