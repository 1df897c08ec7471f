// The frame of every server-rendered page: readable on a laptop and a phone, no JavaScript
// needed, no external assets. Content is built with hono/html, which escapes interpolations.
import { createHash } from 'node:crypto';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const styles = `
  :root { color-scheme: light dark; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --muted: #6e7781; }
  body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; padding: 1.5rem; }
  main { max-width: 40rem; margin: 0 auto; } main.wide { max-width: 72rem; }
  nav { margin-bottom: 1rem; } nav a { margin-right: 1rem; }
  table { border-collapse: collapse; width: 100%; font-size: .95rem; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid color-mix(in srgb, var(--muted) 40%, transparent); vertical-align: top; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .ok { color: var(--ok); } .warn { color: var(--warn); } .bad { color: var(--bad); }
  .table-wrap { overflow-x: auto; }
  input[type=text], input[type=password], input[type=search] { font: inherit; padding: .45rem .6rem; border-radius: .4rem; border: 1px solid var(--muted); }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; }
  .lead { color: var(--muted); margin-top: 0; }
  .banner { padding: .75rem 1rem; border-radius: .4rem; color: #fff; font-weight: 600; }
  .banner.ok { background: var(--ok); } .banner.bad { background: var(--bad); }
  .status { border: 1px solid var(--muted); border-radius: .4rem; padding: .25rem 1rem 1rem; margin: 1rem 0; }
  .status.connected strong { color: var(--ok); } .status.expiring strong { color: var(--warn); }
  .status.reconnect_required strong, .status.disconnected strong { color: var(--bad); }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; } dt { color: var(--muted); }
  dd { margin: 0; overflow-wrap: anywhere; }
  form { display: inline-block; margin: .5rem .5rem 0 0; }
  button { font: inherit; padding: .5rem 1.25rem; border-radius: .4rem; border: 1px solid var(--muted); cursor: pointer; }
  button.primary { background: #0969da; color: #fff; border-color: #0969da; }
  .hint { color: var(--muted); font-size: .9rem; }
  .p50 { color: #0969da; } .p95 { color: #cf222e; }
`;

/** The stylesheet's hash, which the Content-Security-Policy allows (and nothing else inline). */
export const pageStylesHash = `sha256-${createHash('sha256').update(styles).digest('base64')}`;

/** Built as one string so its content is exactly what was hashed, whatever the formatting around it. */
const styleElement = raw(`<style>${styles}</style>`);

export function htmlPage(title: string, body: Html, options: { wide?: boolean } = {}): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${title} · Instant Sync</title>
        ${styleElement}
      </head>
      <body>
        <main class="${options.wide === true ? 'wide' : ''}">${body}</main>
      </body>
    </html>`;
}

export function messagePage(title: string, message: string, back?: { href: string; label: string }): Html {
  return htmlPage(
    title,
    html`<h1>${title}</h1>
      <p>${message}</p>
      ${back === undefined ? '' : html`<p><a href="${back.href}">${back.label}</a></p>`}`,
  );
}
