// The Connect page with its Apex mocked: the tenant URL's validation, Connect (success, a server error, the
// window closed, the 5-minute limit, a refused save), Disconnect, and the first render of each status.
import { createElement } from 'lwc';
import InstantSyncConnect, { formatInstant, POLL_INTERVAL_MS } from 'c/instantSyncConnect';
import getStatus from '@salesforce/apex/InstantSyncConnectController.getStatus';
import saveTenantUrl from '@salesforce/apex/InstantSyncConnectController.saveTenantUrl';
import connectUrl from '@salesforce/apex/InstantSyncConnectController.connectUrl';
import disconnect from '@salesforce/apex/InstantSyncConnectController.disconnect';

jest.mock('@salesforce/apex/InstantSyncConnectController.getStatus', () => ({ default: jest.fn() }), {
  virtual: true,
});
jest.mock('@salesforce/apex/InstantSyncConnectController.saveTenantUrl', () => ({ default: jest.fn() }), {
  virtual: true,
});
jest.mock('@salesforce/apex/InstantSyncConnectController.connectUrl', () => ({ default: jest.fn() }), {
  virtual: true,
});
jest.mock('@salesforce/apex/InstantSyncConnectController.disconnect', () => ({ default: jest.fn() }), {
  virtual: true,
});

const TENANT_URL = 'https://sync.example.com/t/acme/';
const CONNECT_URL = `${TENANT_URL}connect?clientId=4827461930`;
const EXPIRES_AT = '2027-03-03T09:00:00.000Z';

function stored(overrides = {}) {
  return {
    clientId: '4827461930',
    tenantUrl: null,
    status: null,
    expiresAt: null,
    statusUpdatedAt: null,
    lastError: null,
    connected: false,
    live: null,
    liveError: null,
    checkedAt: '2026-12-03T09:00:00.000Z',
    deliveries: [],
    ...overrides,
  };
}

const disconnected = (overrides = {}) =>
  stored({ status: 'Disconnected', statusUpdatedAt: '2026-12-01T08:00:00.000Z', ...overrides });

const connected = (overrides = {}) =>
  stored({
    tenantUrl: TENANT_URL,
    status: 'Connected',
    expiresAt: EXPIRES_AT,
    statusUpdatedAt: '2026-12-03T09:01:00.000Z',
    connected: true,
    live: {
      state: 'connected',
      status: 'Connected (expires in 90 days)',
      expiresAt: EXPIRES_AT,
      orgId: '00D5g000004ABCDEA2',
      username: 'admin@acme.example',
      lastError: null,
    },
    ...overrides,
  });

/** Lets pending promises (the mocked Apex calls) settle and the template re-render. */
async function settle() {
  for (let i = 0; i < 20; i++) {
    await Promise.resolve();
  }
}

async function mount() {
  const element = createElement('c-instant-sync-connect', { is: InstantSyncConnect });
  const toasts = [];
  element.addEventListener('lightning__showtoast', (event) => toasts.push(event.detail));
  document.body.appendChild(element);
  await settle();
  return { element, toasts };
}

const byId = (element, id) => element.shadowRoot.querySelector(`[data-id="${id}"]`);

async function typeTenantUrl(element, value) {
  const input = byId(element, 'tenant-url');
  input.value = value;
  input.dispatchEvent(new CustomEvent('change', { detail: { value } }));
  await settle();
}

async function click(element, id) {
  byId(element, id).click();
  await settle();
}

let popup;

beforeEach(() => {
  jest.useFakeTimers();
  jest.setSystemTime(new Date('2026-12-03T09:02:00.000Z'));
  popup = { closed: false, close: jest.fn(() => (popup.closed = true)) };
  window.open = jest.fn(() => popup);
  saveTenantUrl.mockResolvedValue(undefined);
  connectUrl.mockResolvedValue(CONNECT_URL);
});

afterEach(() => {
  while (document.body.firstChild) {
    document.body.removeChild(document.body.firstChild);
  }
  jest.clearAllMocks();
  jest.useRealTimers();
});

describe('the tenant URL field', () => {
  it("has the admin guide's placeholder", async () => {
    getStatus.mockResolvedValue(disconnected());
    const { element } = await mount();
    expect(byId(element, 'tenant-url').placeholder).toBe('Enter your tenant URL here...');
  });

  it('refuses http://, inline, and Connect sends nothing', async () => {
    getStatus.mockResolvedValue(disconnected());
    const { element, toasts } = await mount();
    await typeTenantUrl(element, 'http://sync.example.com/t/acme/');
    expect(byId(element, 'url-error').textContent).toBe('The tenant URL must start with https://.');
    await click(element, 'connect');
    expect(saveTenantUrl).not.toHaveBeenCalled();
    expect(window.open).not.toHaveBeenCalled();
    expect(toasts).toEqual([]);
  });

  it('refuses a URL without the trailing slash', async () => {
    getStatus.mockResolvedValue(disconnected());
    const { element } = await mount();
    await typeTenantUrl(element, 'https://sync.example.com/t/acme');
    expect(byId(element, 'url-error').textContent).toBe('The tenant URL must end with /.');
  });

  it('asks for a URL when Connect is clicked with none', async () => {
    getStatus.mockResolvedValue(disconnected());
    const { element } = await mount();
    await click(element, 'connect');
    expect(byId(element, 'url-error').textContent).toContain('Enter your tenant URL');
    expect(window.open).not.toHaveBeenCalled();
  });

  it('accepts a good URL: no error shown', async () => {
    getStatus.mockResolvedValue(disconnected());
    const { element } = await mount();
    await typeTenantUrl(element, 'http://sync.example.com/');
    expect(byId(element, 'url-error')).not.toBeNull();
    await typeTenantUrl(element, TENANT_URL);
    expect(byId(element, 'url-error')).toBeNull();
  });
});

describe('Connect', () => {
  it('saves the URL, opens the connect window and, once the server wrote "Connected", says so with the expiry', async () => {
    getStatus
      .mockResolvedValueOnce(disconnected()) // the page loads
      .mockResolvedValueOnce(disconnected({ tenantUrl: TENANT_URL })) // just before sign-in
      .mockResolvedValueOnce(disconnected({ tenantUrl: TENANT_URL })) // the first poll: not yet
      .mockResolvedValue(connected()); // the server wrote Connected
    const { element, toasts } = await mount();
    await typeTenantUrl(element, TENANT_URL);

    await click(element, 'connect');

    expect(saveTenantUrl).toHaveBeenCalledWith({ url: TENANT_URL });
    expect(window.open).toHaveBeenNthCalledWith(1, '', 'instantSyncConnect', expect.any(String));
    expect(window.open).toHaveBeenNthCalledWith(2, CONNECT_URL, 'instantSyncConnect', expect.any(String));
    expect(byId(element, 'connect').disabled).toBe(true);
    expect(toasts).toEqual([]);

    await jest.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
    expect(toasts).toEqual([]);
    await jest.advanceTimersByTimeAsync(POLL_INTERVAL_MS);

    expect(toasts).toEqual([
      expect.objectContaining({
        title: 'Connected',
        variant: 'success',
        message: `Connected. The refresh token expires on ${formatInstant(EXPIRES_AT)}.`,
      }),
    ]);
    expect(popup.close).toHaveBeenCalled();
    expect(byId(element, 'status').textContent).toBe('Connected (expires in 90 days)');
    expect(byId(element, 'expires').textContent).toBe(formatInstant(EXPIRES_AT));
    expect(byId(element, 'reconnect').disabled).toBe(false);
    expect(byId(element, 'disconnect')).not.toBeNull();

    // Polling has stopped.
    const calls = getStatus.mock.calls.length;
    await jest.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 5);
    expect(getStatus.mock.calls.length).toBe(calls);
  });

  it('an old "Connected" is not taken for the new one: Reconnect waits for a later StatusUpdatedAt', async () => {
    const before = connected();
    getStatus
      .mockResolvedValueOnce(before)
      .mockResolvedValueOnce(before)
      .mockResolvedValueOnce(before)
      .mockResolvedValue(connected({ statusUpdatedAt: '2026-12-03T09:02:30.000Z' }));
    const { element, toasts } = await mount();

    await click(element, 'reconnect');
    await jest.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
    expect(toasts).toEqual([]);
    await jest.advanceTimersByTimeAsync(POLL_INTERVAL_MS);

    expect(saveTenantUrl).toHaveBeenCalledWith({ url: TENANT_URL });
    expect(toasts).toEqual([expect.objectContaining({ title: 'Connected', variant: 'success' })]);
  });

  it('Reconnect from "Reconnect required" ends when the server says connected, even if the org values lag', async () => {
    const needsReconnect = connected({
      live: {
        state: 'reconnect_required',
        status: 'Reconnect required',
        expiresAt: null,
        lastError: 'invalid_grant',
      },
    });
    getStatus
      .mockResolvedValueOnce(needsReconnect)
      .mockResolvedValueOnce(needsReconnect)
      .mockResolvedValue(connected()); // live connected; StatusUpdatedAt not rewritten
    const { element, toasts } = await mount();

    await click(element, 'reconnect');
    await jest.advanceTimersByTimeAsync(POLL_INTERVAL_MS);

    expect(toasts).toEqual([
      expect.objectContaining({
        title: 'Connected',
        variant: 'success',
        message: `Connected. The refresh token expires on ${formatInstant(EXPIRES_AT)}.`,
      }),
    ]);
  });

  it("shows the server's LastError__c when it writes one", async () => {
    getStatus
      .mockResolvedValueOnce(disconnected())
      .mockResolvedValueOnce(disconnected({ tenantUrl: TENANT_URL }))
      .mockResolvedValue(
        disconnected({
          tenantUrl: TENANT_URL,
          lastError: 'OAUTH_APPROVAL_ERROR_GENERIC: the grant was refused',
        }),
      );
    const { element, toasts } = await mount();
    await typeTenantUrl(element, TENANT_URL);

    await click(element, 'connect');
    await jest.advanceTimersByTimeAsync(POLL_INTERVAL_MS);

    expect(toasts).toEqual([
      expect.objectContaining({
        title: 'Not connected',
        variant: 'error',
        message: 'OAUTH_APPROVAL_ERROR_GENERIC: the grant was refused',
      }),
    ]);
    expect(byId(element, 'connect').disabled).toBe(false);
    expect(byId(element, 'last-error').textContent).toBe(
      'OAUTH_APPROVAL_ERROR_GENERIC: the grant was refused',
    );
  });

  it('says so when the window is closed before "Connected"', async () => {
    getStatus.mockResolvedValue(disconnected());
    const { element, toasts } = await mount();
    await typeTenantUrl(element, TENANT_URL);

    await click(element, 'connect');
    popup.closed = true;
    await jest.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
    expect(toasts).toEqual([]); // one more look first
    await jest.advanceTimersByTimeAsync(POLL_INTERVAL_MS);

    expect(toasts).toEqual([
      expect.objectContaining({
        variant: 'error',
        message: 'The sign-in window was closed before Instant Sync reported "Connected".',
      }),
    ]);
    expect(byId(element, 'connect').disabled).toBe(false);
  });

  it('under Lightning Web Security (a window stand-in without closed) it still ends at "Connected"', async () => {
    popup = { close: jest.fn(), focus: jest.fn(), postMessage: jest.fn() };
    window.open = jest.fn(() => popup);
    getStatus
      .mockResolvedValueOnce(disconnected())
      .mockResolvedValueOnce(disconnected({ tenantUrl: TENANT_URL }))
      .mockResolvedValueOnce(disconnected({ tenantUrl: TENANT_URL }))
      .mockResolvedValueOnce(disconnected({ tenantUrl: TENANT_URL }))
      .mockResolvedValue(connected());
    const { element, toasts } = await mount();
    await typeTenantUrl(element, TENANT_URL);

    await click(element, 'connect');
    await jest.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 2);
    expect(toasts).toEqual([]);
    await jest.advanceTimersByTimeAsync(POLL_INTERVAL_MS);

    expect(toasts).toEqual([expect.objectContaining({ title: 'Connected', variant: 'success' })]);
    expect(popup.close).toHaveBeenCalled();
  });

  it('Cancel ends the wait at once, closes the window and leaves the page usable', async () => {
    getStatus.mockResolvedValue(disconnected());
    const { element, toasts } = await mount();
    await typeTenantUrl(element, TENANT_URL);

    await click(element, 'connect');
    expect(byId(element, 'connect').label).toBe('Waiting for Salesforce sign-in…');
    await click(element, 'cancel');

    expect(popup.close).toHaveBeenCalled();
    expect(toasts).toEqual([
      expect.objectContaining({
        variant: 'error',
        message: expect.stringContaining('Connect was cancelled'),
      }),
    ]);
    expect(byId(element, 'cancel')).toBeNull();
    expect(byId(element, 'connect').disabled).toBe(false);
    expect(byId(element, 'connect').label).toBe('Connect');
    const calls = getStatus.mock.calls.length;
    await jest.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 3);
    expect(getStatus.mock.calls.length).toBe(calls); // no more polling
  });

  it('Cancel before the window is sent anywhere: nothing is opened at the tenant, no polling', async () => {
    getStatus.mockResolvedValue(disconnected());
    let answerSave;
    saveTenantUrl.mockReturnValue(new Promise((resolve) => (answerSave = resolve)));
    const { element, toasts } = await mount();
    await typeTenantUrl(element, TENANT_URL);

    await click(element, 'connect');
    await click(element, 'cancel');
    answerSave();
    await settle();
    await jest.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 3);

    expect(window.open).toHaveBeenCalledTimes(1); // the blank window, closed by Cancel
    expect(popup.close).toHaveBeenCalled();
    expect(toasts).toEqual([expect.objectContaining({ message: expect.stringContaining('cancelled') })]);
    expect(byId(element, 'connect').disabled).toBe(false);
  });

  it('gives up after 5 minutes, with the reason it has', async () => {
    getStatus
      .mockResolvedValueOnce(connected())
      .mockResolvedValueOnce(connected())
      .mockResolvedValue(
        connected({ live: null, liveError: 'Instant Sync answered HTTP 503 (unavailable: down)' }),
      );
    const { element, toasts } = await mount();

    await click(element, 'reconnect');
    await jest.advanceTimersByTimeAsync(5 * 60 * 1000 - POLL_INTERVAL_MS);
    expect(toasts).toEqual([]);
    await jest.advanceTimersByTimeAsync(POLL_INTERVAL_MS);

    expect(toasts).toEqual([
      expect.objectContaining({
        variant: 'error',
        message:
          'Instant Sync did not report "Connected" within 5 minutes. Instant Sync answered HTTP 503 (unavailable: down)',
      }),
    ]);
    expect(popup.close).toHaveBeenCalled();
  });

  it("a refused save closes the window and shows the controller's message", async () => {
    getStatus.mockResolvedValue(disconnected({ clientId: '4827461930' }));
    saveTenantUrl.mockRejectedValue({ body: { message: 'Set the ClientId first: Setup → Custom Settings' } });
    const { element, toasts } = await mount();
    await typeTenantUrl(element, TENANT_URL);

    await click(element, 'connect');

    expect(popup.close).toHaveBeenCalled();
    expect(connectUrl).not.toHaveBeenCalled();
    expect(toasts).toEqual([
      expect.objectContaining({
        variant: 'error',
        message: 'Set the ClientId first: Setup → Custom Settings',
      }),
    ]);
    expect(byId(element, 'connect').disabled).toBe(false);
  });

  it('a blocked pop-up is said at once', async () => {
    getStatus.mockResolvedValue(disconnected());
    window.open = jest.fn(() => null);
    const { element, toasts } = await mount();
    await typeTenantUrl(element, TENANT_URL);

    await click(element, 'connect');

    expect(saveTenantUrl).not.toHaveBeenCalled();
    expect(toasts).toEqual([
      expect.objectContaining({ variant: 'error', message: expect.stringContaining('blocked') }),
    ]);
  });

  it('needs the ClientId: says where to set it, opens nothing', async () => {
    getStatus.mockResolvedValue(disconnected({ clientId: null }));
    const { element, toasts } = await mount();
    expect(byId(element, 'missing-client-id')).not.toBeNull();
    await typeTenantUrl(element, TENANT_URL);

    await click(element, 'connect');

    expect(window.open).not.toHaveBeenCalled();
    expect(toasts).toEqual([
      expect.objectContaining({
        variant: 'error',
        message: expect.stringContaining('Set the ClientId first'),
      }),
    ]);
  });
});

describe('Disconnect', () => {
  it('shows the green "Disconnected" toast and the new status', async () => {
    getStatus.mockResolvedValue(connected());
    disconnect.mockResolvedValue(
      stored({
        status: 'Disconnected',
        connected: false,
        live: {
          state: 'disconnected',
          status: 'Disconnected',
          expiresAt: null,
          lastError: null,
          revoked: true,
        },
      }),
    );
    const { element, toasts } = await mount();

    await click(element, 'disconnect');

    expect(disconnect).toHaveBeenCalled();
    expect(toasts).toEqual([expect.objectContaining({ title: 'Disconnected', variant: 'success' })]);
    expect(byId(element, 'status').textContent).toBe('Disconnected');
    expect(byId(element, 'disconnect')).toBeNull();
    expect(byId(element, 'connect')).not.toBeNull();
    // The URL stays in the field for the next Connect, though the server cleared it.
    expect(byId(element, 'tenant-url').value).toBe(TENANT_URL);
  });

  it('a refused disconnect says why and the page stays as it was', async () => {
    getStatus.mockResolvedValue(connected());
    disconnect.mockRejectedValue({
      body: {
        message: 'Instant Sync answered HTTP 401 (bad_signature: no match). Nothing was disconnected.',
      },
    });
    const { element, toasts } = await mount();

    await click(element, 'disconnect');

    expect(toasts).toEqual([
      expect.objectContaining({
        title: 'Not disconnected',
        variant: 'error',
        message: 'Instant Sync answered HTTP 401 (bad_signature: no match). Nothing was disconnected.',
      }),
    ]);
    expect(byId(element, 'disconnect').disabled).toBe(false);
  });
});

describe('the status as first shown', () => {
  it('Connected: the live status, who, the expiry, Reconnect and Disconnect', async () => {
    getStatus.mockResolvedValue(connected());
    const { element } = await mount();
    expect(byId(element, 'status').textContent).toBe('Connected (expires in 90 days)');
    expect(byId(element, 'username').textContent).toBe('admin@acme.example');
    expect(byId(element, 'expires').textContent).toBe(formatInstant(EXPIRES_AT));
    expect(byId(element, 'tenant-url').value).toBe(TENANT_URL);
    expect(byId(element, 'connect')).toBeNull();
    expect(byId(element, 'reconnect')).not.toBeNull();
    expect(byId(element, 'disconnect')).not.toBeNull();
  });

  it('Disconnected: Connect only', async () => {
    getStatus.mockResolvedValue(disconnected());
    const { element } = await mount();
    expect(byId(element, 'status').textContent).toBe('Disconnected');
    expect(byId(element, 'expires')).toBeNull();
    expect(byId(element, 'connect')).not.toBeNull();
    expect(byId(element, 'reconnect')).toBeNull();
    expect(byId(element, 'disconnect')).toBeNull();
  });

  it('Reconnect required (the server says so, though the org still says Connected): the last error and Reconnect', async () => {
    getStatus.mockResolvedValue(
      connected({
        live: {
          state: 'reconnect_required',
          status: 'Reconnect required',
          expiresAt: null,
          lastError: 'invalid_grant: expired access/refresh token',
        },
      }),
    );
    const { element } = await mount();
    expect(byId(element, 'status').textContent).toBe('Reconnect required');
    expect(byId(element, 'last-error').textContent).toBe('invalid_grant: expired access/refresh token');
    expect(byId(element, 'reconnect')).not.toBeNull();
    expect(byId(element, 'connect')).toBeNull();
    expect(byId(element, 'expires')).toBeNull();
  });

  it('the stored values with the reason when the server cannot be asked', async () => {
    getStatus.mockResolvedValue(
      connected({
        live: null,
        liveError: 'Instant Sync could not be reached at https://sync.example.com/t/acme/: Read timed out',
      }),
    );
    const { element } = await mount();
    expect(byId(element, 'status').textContent).toBe('Connected');
    expect(byId(element, 'live-error').textContent).toContain('Read timed out');
    expect(byId(element, 'expires').textContent).toBe(formatInstant(EXPIRES_AT));
  });

  it('the latest deliveries', async () => {
    getStatus.mockResolvedValue(
      connected({
        deliveries: [
          {
            Id: 'a01',
            Name: 'D-000002',
            Status__c: 'Failed',
            HttpStatus__c: 401,
            Attempts__c: 1,
            EventCount__c: 3,
            Error__c: 'bad_signature: no match',
          },
          {
            Id: 'a02',
            Name: 'D-000001',
            Status__c: 'Delivered',
            HttpStatus__c: 202,
            Attempts__c: 1,
            EventCount__c: 1,
          },
        ],
      }),
    );
    const { element } = await mount();
    const rows = byId(element, 'deliveries').querySelectorAll('tbody tr');
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toContain('D-000002');
    expect(rows[0].textContent).toContain('bad_signature: no match');
  });

  it('no deliveries yet', async () => {
    getStatus.mockResolvedValue(disconnected());
    const { element } = await mount();
    expect(byId(element, 'no-deliveries')).not.toBeNull();
  });

  it('a status that cannot be read says why', async () => {
    getStatus.mockRejectedValue({
      body: { message: 'You do not have access to the Apex class named InstantSyncConnectController' },
    });
    const { element } = await mount();
    expect(byId(element, 'load-error').textContent).toContain('do not have access');
  });
});
