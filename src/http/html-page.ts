// The frame of every server-rendered page, in the Salesforce Lightning Design System's look (its
// stylesheet served by the service itself, design-system-assets.ts): readable on a laptop and a
// phone, no JavaScript needed (the service's one small script, page-time.ts, shows times in the
// viewer's zone), nothing loaded from elsewhere. Content is built with hono/html,
// which escapes interpolations.
import { createHash } from 'node:crypto';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { designSystemStylesheet } from './design-system-assets.ts';
import { pageScriptPath } from './page-script.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const styles = `
  body { margin: 0; }
  main { max-width: 40rem; margin: 0 auto; } main.wide { max-width: 76rem; }
  nav a { margin-right: 1rem; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .table-wrap { overflow-x: auto; }
  .ok { color: #2e844a; } .warn { color: #a96404; } .bad { color: #ba0517; }
  .status.connected strong { color: #2e844a; } .status.expiring strong { color: #a96404; }
  .status.reconnect_required strong, .status.disconnected strong { color: #ba0517; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; } dt { color: #5c5c5c; }
  dd { margin: 0; overflow-wrap: anywhere; }
  form { display: inline-block; margin: .5rem .5rem 0 0; }
  .p50 { color: #0176d3; } .p95 { color: #ba0517; }
`;

/** The stylesheet's hash, which the Content-Security-Policy allows (and nothing else inline). */
export const pageStylesHash = `sha256-${createHash('sha256').update(styles).digest('base64')}`;

/** Built as one string so its content is exactly what was hashed, whatever the formatting around it. */
const styleElement = raw(`<style>${styles}</style>`);

/** `refreshSeconds`: the page script loads the page again that often while it is open (the overview). */
export function htmlPage(
  title: string,
  body: Html,
  options: { wide?: boolean; refreshSeconds?: number } = {},
): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${title} · Instant Sync</title>
        <link rel="stylesheet" href="${designSystemStylesheet}" />
        <script src="${pageScriptPath}" defer></script>
        ${styleElement}
      </head>
      <body
        class="slds-scope"
        ${options.refreshSeconds === undefined ? '' : html`data-refresh="${options.refreshSeconds}"`}
      >
        <main class="slds-p-around_large ${options.wide === true ? 'wide' : ''}">
          <div class="slds-card slds-p-around_large">${body}</div>
        </main>
      </body>
    </html>`;
}

export function messagePage(title: string, message: string, back?: { href: string; label: string }): Html {
  return htmlPage(
    title,
    html`<h1 class="slds-text-heading_large slds-m-bottom_medium">${title}</h1>
      <p>${message}</p>
      ${back === undefined ? '' : html`<p class="slds-m-top_medium"><a href="${back.href}">${back.label}</a></p>`}`,
  );
}
