// Admin notifications (a connection expiring soon, a connection that needs reconnecting):
// always logged, and POSTed as JSON to INSTANT_SYNC_NOTIFY_URL when it is set. Delivery is
// best effort with a timeout: a notification endpoint that is down must never stop the sync.
import type { Logger } from './logger.ts';

export interface Notification {
  type: 'salesforce.connection.expiring' | 'salesforce.connection.reconnect_required';
  tenant: string;
  message: string;
  tenantUrl: string;
  at: string;
  [detail: string]: unknown;
}

export interface Notifier {
  notify(notification: Notification): Promise<void>;
}

export function createNotifier(deps: {
  logger: Logger;
  url: string | undefined;
  fetch?: typeof fetch;
}): Notifier {
  const send = deps.fetch ?? fetch;
  return {
    async notify(notification) {
      deps.logger.warn({ notification }, notification.message);
      if (deps.url === undefined) return;
      try {
        const response = await send(deps.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'instant-sync' },
          body: JSON.stringify(notification),
          signal: AbortSignal.timeout(10_000),
        });
        if (!response.ok) {
          deps.logger.error(
            { status: response.status, type: notification.type },
            'notification endpoint refused a notification',
          );
        }
      } catch (error) {
        deps.logger.error({ err: error, type: notification.type }, 'could not deliver a notification');
      }
    },
  };
}
