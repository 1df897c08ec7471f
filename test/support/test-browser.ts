// A small browser for tests: fetch with a cookie jar (host and path scoped, Max-Age honoured),
// redirects followed by hand so every hop's cookies are kept, and HTML forms found and
// submitted the way a person would click their buttons (inputs, selects, textareas). No scripts.

interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
}

export interface Page {
  url: string;
  status: number;
  html: string;
  /** Every URL visited on the way, the first request included. */
  visited: string[];
  location: string | undefined;
}

export interface Form {
  action: string;
  method: string;
  fields: Record<string, string>;
  buttons: { name: string | undefined; value: string | undefined; label: string }[];
}

export class TestBrowser {
  #cookies: StoredCookie[] = [];
  readonly #fetch: typeof fetch;

  /** `fetchImpl`: for sites with a private CA, a fetch that trusts it. */
  constructor(fetchImpl: typeof fetch = fetch) {
    this.#fetch = fetchImpl;
  }

  /** GET `url`, following redirects unless told not to. */
  get(url: string, options: { follow?: boolean } = {}): Promise<Page> {
    return this.#navigate(url, { method: 'GET' }, options.follow ?? true);
  }

  post(url: string, fields: Record<string, string>, options: { follow?: boolean } = {}): Promise<Page> {
    return this.#navigate(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      },
      options.follow ?? true,
    );
  }

  /** Submits the first form on `page` whose action matches, pressing the button whose label or value matches. */
  submit(
    page: Page,
    match: { action?: RegExp; button?: RegExp; fields?: Record<string, string> },
    options: { follow?: boolean } = {},
  ): Promise<Page> {
    const forms = parseForms(page.html, page.url);
    const form = forms.find(
      (f) =>
        (match.action === undefined || match.action.test(f.action)) &&
        (match.button === undefined ||
          f.buttons.some((b) => match.button?.test(`${b.label} ${b.value ?? ''}`))),
    );
    if (form === undefined) {
      throw new Error(
        `no form matching ${String(match.action)} / ${String(match.button)} on ${page.url}:\n${page.html}`,
      );
    }
    const button = form.buttons.find(
      (b) => match.button === undefined || match.button.test(`${b.label} ${b.value ?? ''}`),
    );
    const fields = { ...form.fields, ...match.fields };
    if (button?.name !== undefined) fields[button.name] = button.value ?? '';
    if (form.method === 'get') {
      const url = new URL(form.action);
      for (const [k, v] of Object.entries(fields)) url.searchParams.set(k, v);
      return this.get(url.toString(), options);
    }
    return this.post(form.action, fields, options);
  }

  cookie(name: string): string | undefined {
    return this.#cookies.find((c) => c.name === name)?.value;
  }

  forgetCookie(name: string): void {
    this.#cookies = this.#cookies.filter((c) => c.name !== name);
  }

  async #navigate(url: string, init: RequestInit, follow: boolean): Promise<Page> {
    const visited: string[] = [];
    let current = url;
    let request: RequestInit = init;
    for (let hop = 0; hop < 15; hop++) {
      visited.push(current);
      const response = await this.#fetch(current, {
        ...request,
        redirect: 'manual',
        headers: {
          ...(request.headers as Record<string, string> | undefined),
          cookie: this.#cookieHeader(current),
        },
      });
      this.#store(current, response.headers.getSetCookie());
      const location = response.headers.get('location') ?? undefined;
      if (follow && location !== undefined && response.status >= 300 && response.status < 400) {
        await response.arrayBuffer();
        current = new URL(location, current).toString();
        request = { method: 'GET' };
        continue;
      }
      return { url: current, status: response.status, html: await response.text(), visited, location };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  #cookieHeader(url: string): string {
    const { host, pathname } = new URL(url);
    return this.#cookies
      .filter((c) => c.host === host && pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  #store(url: string, setCookies: string[]): void {
    const { host } = new URL(url);
    for (const header of setCookies) {
      const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = decodeURIComponent(pair.slice(eq + 1));
      let path = '/';
      let expired = false;
      for (const attribute of attributes) {
        const [key = '', val = ''] = attribute.split('=');
        if (key.toLowerCase() === 'path') path = val;
        if (key.toLowerCase() === 'max-age' && Number(val) <= 0) expired = true;
        if (key.toLowerCase() === 'expires' && Date.parse(val) < Date.now()) expired = true;
      }
      this.#cookies = this.#cookies.filter((c) => !(c.name === name && c.host === host && c.path === path));
      if (!expired) this.#cookies.push({ name, value, host, path });
    }
  }
}

export function parseForms(html: string, baseUrl: string): Form[] {
  const forms: Form[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attributes = match[1] ?? '';
    const body = match[2] ?? '';
    const fields: Record<string, string> = {};
    for (const input of body.matchAll(/<input\b([^>]*)>/gi)) {
      const name = attribute(input[1] ?? '', 'name');
      const type = attribute(input[1] ?? '', 'type')?.toLowerCase();
      if (name !== undefined && type !== 'submit' && type !== 'checkbox') {
        fields[name] = decodeEntities(attribute(input[1] ?? '', 'value') ?? '');
      }
    }
    for (const area of body.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/gi)) {
      const name = attribute(area[1] ?? '', 'name');
      if (name !== undefined) fields[name] = decodeEntities(area[2] ?? '');
    }
    for (const select of body.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/gi)) {
      const name = attribute(select[1] ?? '', 'name');
      const options = [...(select[2] ?? '').matchAll(/<option\b([^>]*)>([\s\S]*?)<\/option>/gi)];
      const chosen = options.find((o) => /\bselected\b/i.test(o[1] ?? '')) ?? options[0];
      if (name !== undefined && chosen !== undefined)
        fields[name] = decodeEntities(attribute(chosen[1] ?? '', 'value') ?? (chosen[2] ?? '').trim());
    }
    const buttons = [...body.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)].map((b) => ({
      name: attribute(b[1] ?? '', 'name'),
      value: attribute(b[1] ?? '', 'value'),
      label: (b[2] ?? '').replace(/<[^>]+>/g, '').trim(),
    }));
    for (const input of body.matchAll(/<input\b([^>]*type=["']?submit["']?[^>]*)>/gi)) {
      const value = attribute(input[1] ?? '', 'value');
      buttons.push({ name: attribute(input[1] ?? '', 'name'), value, label: value ?? '' });
    }
    forms.push({
      action: new URL(decodeEntities(attribute(attributes, 'action') ?? ''), baseUrl).toString(),
      method: (attribute(attributes, 'method') ?? 'get').toLowerCase(),
      fields,
      buttons,
    });
  }
  return forms;
}

function attribute(source: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(source);
  return match === null ? undefined : (match[1] ?? match[2] ?? match[3]);
}

function decodeEntities(text: string): string {
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&#x27;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}
