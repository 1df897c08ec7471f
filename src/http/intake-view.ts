// How a tenant's changes come in, as the admin's tenant page and the tenant's own page show it:
// CDC streaming or polling faster instead (why, in Salesforce's words, since when, what to do and
// when CDC is tried again), and the org's daily API and event-delivery usage beside each other.
import { html } from 'hono/html';
import { describeUsage, type IntakeStatus } from '../intake/intake-status.ts';
import { pageTime } from './page-time.ts';

export function intakeStatusList(status: IntakeStatus, timeZone: string) {
  const { fallback, limits } = status;
  return html`<dl class="intake-status">
    <dt>How changes come in</dt>
    <dd class="${fallback === undefined ? '' : 'warn'}">${status.summary}</dd>
    ${
      fallback === undefined
        ? ''
        : html`<dt>Why</dt>
            <dd>
              Salesforce said: ${fallback.detail || '(nothing)'}. Since ${pageTime(fallback.since, timeZone)}.
              ${fallback.retryAt === null ? '' : html`CDC is tried again ${pageTime(fallback.retryAt, timeZone)}.`}
            </dd>
            <dt>To do</dt>
            <dd>${fallback.fix}</dd>`
    }
    ${
      limits === undefined
        ? ''
        : html`<dt>Salesforce usage</dt>
            <dd>
              ${limits.api === undefined ? '' : html`API requests today: ${describeUsage(limits.api)}.`}
              ${
                limits.deliveries === undefined
                  ? ''
                  : html`Change and platform events delivered to API subscribers, last 24 hours:
                    ${describeUsage(limits.deliveries)}.`
              }
              (Read ${pageTime(limits.readAt, timeZone)}.)
            </dd>`
    }
  </dl>`;
}
