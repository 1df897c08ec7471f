// The Connect page inside Salesforce ("Connect Instant Sync to Salesforce Config" tab): the connection's status as
// the server sees it now, the tenant URL, Connect / Reconnect (Salesforce's sign-in in a window, then a wait for
// the server's "Connected"), Disconnect, and the latest webhook deliveries. Every action ends in a toast that says
// what happened, and the page stays usable whatever the outcome.
import { LightningElement } from 'lwc';
import { ShowToastEvent } from 'lightning/platformShowToastEvent';
import getStatus from '@salesforce/apex/InstantSyncConnectController.getStatus';
import saveTenantUrl from '@salesforce/apex/InstantSyncConnectController.saveTenantUrl';
import connectUrl from '@salesforce/apex/InstantSyncConnectController.connectUrl';
import disconnect from '@salesforce/apex/InstantSyncConnectController.disconnect';

/** How often the page asks whether Connect has finished. */
export const POLL_INTERVAL_MS = 2000;
/** How long it waits for "Connected" before it says why not. */
export const CONNECT_TIMEOUT_MS = 5 * 60 * 1000;
/** The sign-in window's name: opening it again reuses it rather than opening a second one. */
const WINDOW_NAME = 'instantSyncConnect';
const WINDOW_FEATURES = 'popup,width=640,height=780';

/** Why a tenant URL cannot be used (the same rules as the controller's), or null. */
export function tenantUrlProblem(url) {
  if (!url) {
    return 'Enter your tenant URL, for example https://sync.example.com/t/acme/.';
  }
  if (!url.startsWith('https://')) {
    return 'The tenant URL must start with https://.';
  }
  if (!url.endsWith('/')) {
    return 'The tenant URL must end with /.';
  }
  if (url.length > 255 || !/^https:\/\/[^\s/?#@]+\/[^\s?#]*$/.test(url)) {
    return 'This is not a tenant URL: https://<server>/t/<tenant>/, as instant-sync tenants list shows it.';
  }
  return null;
}

/** An instant as the admin reads it, in their locale and time zone. */
export function formatInstant(value) {
  if (!value) {
    return null;
  }
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(
    new Date(value),
  );
}

/** The message of an Apex or JavaScript error. */
function messageOf(error) {
  if (error && error.body) {
    if (Array.isArray(error.body) && error.body.length > 0) {
      return error.body.map((item) => item.message).join(', ');
    }
    if (error.body.message) {
      return error.body.message;
    }
  }
  return (error && error.message) || String(error);
}

function instant(value) {
  return value ? new Date(value).getTime() : 0;
}

/** The connection's state, preferring the server's live answer to the stored values. */
function stateOf(status) {
  if (!status) {
    return 'unknown';
  }
  if (status.live && status.live.state) {
    return status.live.state;
  }
  const stored = status.status || '';
  if (stored.startsWith('Connected')) {
    return 'connected';
  }
  if (stored.startsWith('Reconnect required')) {
    return 'reconnect_required';
  }
  return 'disconnected';
}

/** The server says the connection works now (its live answer; absent before the first Connect). */
function isLive(status) {
  return Boolean(status.live) && (status.live.state === 'connected' || status.live.state === 'expiring');
}

/** ClientId Config says Connected, written after the attempt's start. */
function connectedSince(status, attempt) {
  return (
    (status.status || '').startsWith('Connected') && instant(status.statusUpdatedAt) > attempt.statusUpdatedAt
  );
}

export default class InstantSyncConnect extends LightningElement {
  status;
  tenantUrl = '';
  urlError;
  loadError;
  busy = false;
  connecting = false;

  tenantUrlEdited = false;
  connectAttempt;
  pollTimer;

  connectedCallback() {
    this.refresh();
  }

  disconnectedCallback() {
    this.stopPolling();
  }

  async refresh() {
    try {
      this.applyStatus(await getStatus());
      this.loadError = undefined;
    } catch (error) {
      this.loadError = messageOf(error);
    }
  }

  applyStatus(status) {
    this.status = status;
    if (!this.tenantUrlEdited && status && status.tenantUrl) {
      this.tenantUrl = status.tenantUrl;
    }
  }

  // What the template shows.

  get loaded() {
    return this.status !== undefined;
  }

  get state() {
    return stateOf(this.status);
  }

  get isConnected() {
    return this.state === 'connected' || this.state === 'expiring';
  }

  get isReconnectRequired() {
    return this.state === 'reconnect_required';
  }

  get statusLabel() {
    if (!this.status) {
      return '';
    }
    if (this.status.live && this.status.live.status) {
      return this.status.live.status;
    }
    if (this.isConnected) {
      return 'Connected';
    }
    if (this.isReconnectRequired) {
      return 'Reconnect required';
    }
    return 'Disconnected';
  }

  get statusClass() {
    if (this.isConnected) {
      return 'slds-badge slds-theme_success';
    }
    if (this.isReconnectRequired) {
      return 'slds-badge slds-theme_warning';
    }
    return 'slds-badge';
  }

  get expiresAt() {
    if (!this.status || !this.isConnected) {
      return null;
    }
    return (this.status.live ? this.status.live.expiresAt : this.status.expiresAt) || null;
  }

  get expiresAtText() {
    return formatInstant(this.expiresAt);
  }

  get noExpiry() {
    return this.isConnected && !this.expiresAt;
  }

  get lastError() {
    if (!this.status) {
      return null;
    }
    return (this.status.live && this.status.live.lastError) || this.status.lastError || null;
  }

  get username() {
    return (this.status && this.status.live && this.status.live.username) || null;
  }

  get liveError() {
    return (this.status && this.status.liveError) || null;
  }

  get missingClientId() {
    return this.loaded && !this.status.clientId;
  }

  get showConnect() {
    return this.loaded && !this.isConnected && !this.isReconnectRequired;
  }

  get showReconnect() {
    return this.loaded && (this.isConnected || this.isReconnectRequired);
  }

  get showDisconnect() {
    return this.loaded && this.status.connected === true;
  }

  get actionsDisabled() {
    return this.busy || !this.loaded;
  }

  get connectLabel() {
    return this.connecting ? 'Waiting for Salesforce sign-in…' : 'Connect';
  }

  get reconnectLabel() {
    return this.connecting ? 'Waiting for Salesforce sign-in…' : 'Reconnect';
  }

  get tenantUrlClass() {
    return this.urlError ? 'slds-form-element slds-has-error' : 'slds-form-element';
  }

  get deliveries() {
    const rows = (this.status && this.status.deliveries) || [];
    return rows.map((row) => ({
      id: row.Id,
      name: row.Name,
      status: row.Status__c,
      httpStatus: row.HttpStatus__c,
      attempts: row.Attempts__c,
      eventCount: row.EventCount__c,
      sentAt: formatInstant(row.SentAt__c),
      error: row.Error__c,
    }));
  }

  get hasDeliveries() {
    return this.deliveries.length > 0;
  }

  // The tenant URL field: checked as it is typed, so the reason shows under it before anything is sent.

  handleTenantUrlChange(event) {
    this.tenantUrl = (event.detail.value || '').trim();
    this.tenantUrlEdited = true;
    this.urlError = this.tenantUrl ? tenantUrlProblem(this.tenantUrl) : undefined;
  }

  // Connect and Reconnect.

  async handleConnect() {
    if (this.busy) {
      return;
    }
    const url = this.tenantUrl.trim();
    this.urlError = tenantUrlProblem(url) || undefined;
    if (this.urlError) {
      return;
    }
    if (this.missingClientId) {
      this.toast(
        'error',
        'Not connected',
        "Set the ClientId first: Setup → Custom Settings → ClientId Config → Manage, the organization's values.",
      );
      return;
    }
    // Opened now, within the click, so no pop-up blocker stops it; it is sent to Instant Sync below.
    const popup = window.open('', WINDOW_NAME, WINDOW_FEATURES);
    if (!popup) {
      this.toast(
        'error',
        'Not connected',
        'The browser blocked the sign-in window. Allow pop-ups for this Salesforce site, then click Connect again.',
      );
      return;
    }
    this.busy = true;
    this.connecting = true;
    const attempt = {
      popup,
      startedAt: Date.now(),
      statusUpdatedAt: 0,
      lastError: null,
      wasLive: false,
      closedSeen: false,
    };
    this.connectAttempt = attempt;
    try {
      await saveTenantUrl({ url });
      // What the org holds just before sign-in: only a "Connected" written after it counts.
      const baseline = await getStatus();
      this.applyStatus(baseline);
      attempt.statusUpdatedAt = instant(baseline.statusUpdatedAt);
      attempt.lastError = (baseline.live && baseline.live.lastError) || baseline.lastError || null;
      attempt.wasLive = isLive(baseline);
      const target = await connectUrl();
      if (this.connectAttempt !== attempt) {
        return; // cancelled meanwhile
      }
      window.open(target, WINDOW_NAME, WINDOW_FEATURES);
    } catch (error) {
      if (this.connectAttempt === attempt) {
        this.closeWindow(popup);
        this.endConnect('error', 'Not connected', messageOf(error));
      }
      return;
    }
    attempt.startedAt = Date.now();
    attempt.pollError = null;
    this.schedulePoll();
  }

  schedulePoll() {
    // eslint-disable-next-line @lwc/lwc/no-async-operation
    this.pollTimer = setTimeout(() => this.poll(), POLL_INTERVAL_MS);
  }

  async poll() {
    const attempt = this.connectAttempt;
    if (!attempt) {
      return;
    }
    let status;
    try {
      status = await getStatus();
      this.applyStatus(status);
      attempt.pollError = null;
    } catch (error) {
      attempt.pollError = messageOf(error);
    }
    if (this.connectAttempt !== attempt) {
      return;
    }
    if (status && (connectedSince(status, attempt) || (!attempt.wasLive && isLive(status)))) {
      this.closeWindow(attempt.popup);
      const expiry = formatInstant((status.live && status.live.expiresAt) || status.expiresAt);
      this.endConnect(
        'success',
        'Connected',
        expiry
          ? `Connected. The refresh token expires on ${expiry}.`
          : 'Connected. The refresh token does not expire.',
      );
      return;
    }
    const error = status ? (status.live && status.live.lastError) || status.lastError : null;
    if (error && error !== attempt.lastError) {
      this.endConnect('error', 'Not connected', error);
      return;
    }
    const reason = error || (status && status.liveError) || attempt.pollError;
    if (this.windowClosed(attempt.popup)) {
      // One more look first: the server may write "Connected" as the window closes.
      if (attempt.closedSeen) {
        this.endConnect(
          'error',
          'Not connected',
          'The sign-in window was closed before Instant Sync reported "Connected".' +
            (reason ? ` ${reason}` : ''),
        );
        return;
      }
      attempt.closedSeen = true;
    }
    if (Date.now() - attempt.startedAt >= CONNECT_TIMEOUT_MS) {
      this.closeWindow(attempt.popup);
      this.endConnect(
        'error',
        'Not connected',
        'Instant Sync did not report "Connected" within 5 minutes.' +
          (reason ? ` ${reason}` : ' Check the tenant URL and the ClientId, then click Connect again.'),
      );
      return;
    }
    this.schedulePoll();
  }

  endConnect(variant, title, message) {
    this.stopPolling();
    this.busy = false;
    this.connecting = false;
    this.toast(variant, title, message);
    if (variant === 'error') {
      this.refresh();
    }
  }

  stopPolling() {
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    this.connectAttempt = undefined;
  }

  /**
   * Whether the sign-in window has been closed, where the browser lets the page know. Under Lightning Web
   * Security window.open returns a stand-in that offers only close, focus and postMessage: there `closed` is
   * not a boolean, the page cannot tell, and Cancel or the 5-minute limit ends the wait.
   */
  windowClosed(popup) {
    try {
      return typeof popup.closed === 'boolean' && popup.closed;
    } catch (error) {
      return false;
    }
  }

  handleCancel() {
    const attempt = this.connectAttempt;
    if (!attempt) {
      return;
    }
    this.closeWindow(attempt.popup);
    this.endConnect(
      'error',
      'Not connected',
      'Connect was cancelled before Instant Sync reported "Connected". Click Connect to start again.',
    );
  }

  closeWindow(popup) {
    try {
      popup.close();
    } catch (error) {
      // Already closed, or not ours to close any more.
    }
  }

  // Disconnect.

  async handleDisconnect() {
    if (this.busy) {
      return;
    }
    this.busy = true;
    try {
      this.applyStatus(await disconnect());
      const revoked = this.status && this.status.live && this.status.live.revoked;
      this.toast(
        'success',
        'Disconnected',
        revoked
          ? 'Instant Sync no longer syncs this org, and Salesforce revoked its access.'
          : 'Instant Sync no longer syncs this org.',
      );
    } catch (error) {
      this.toast('error', 'Not disconnected', messageOf(error));
      await this.refresh();
    } finally {
      this.busy = false;
    }
  }

  handleRefresh() {
    this.refresh();
  }

  toast(variant, title, message) {
    this.dispatchEvent(
      new ShowToastEvent({ title, message, variant, mode: variant === 'error' ? 'sticky' : 'dismissible' }),
    );
  }
}
