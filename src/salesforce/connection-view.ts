// A connection as admins see it (tenant page, `instant-sync status`): the admin guide's words for the
// state, the countdown, who and which org it is connected as. Never a token.
import {
  connectionStatusText,
  describeRefreshTokenPolicy,
  parseRefreshTokenPolicy,
  type ConnectionState,
} from '../domain/salesforce-connection.ts';
import type { ConnectionRow } from '../store/schema.ts';

export interface ConnectionView {
  state: ConnectionState;
  /** "Connected (expires in 12 days)", "Reconnect required", … */
  status: string;
  authFlow: 'web_server' | 'jwt_bearer';
  loginUrl: string;
  orgId: string | null;
  userId: string | null;
  username: string | null;
  instanceUrl: string | null;
  connectedAt: string | null;
  expiresAt: string | null;
  refreshTokenPolicy: string;
  refreshTokenPolicyDescription: string;
  lastError: string | null;
}

export function toConnectionView(row: ConnectionRow, now: number): ConnectionView {
  const policy = parseRefreshTokenPolicy(row.refresh_token_policy);
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const live = row.state === 'connected' || row.state === 'expiring';
  return {
    state: row.state,
    status: connectionStatusText(row.state, row.expires_at, now),
    authFlow: row.auth_flow,
    loginUrl: row.login_url,
    orgId: row.org_id,
    userId: row.user_id,
    username: row.username,
    instanceUrl: row.instance_url,
    connectedAt: live ? iso(row.connected_at) : null,
    expiresAt: live ? iso(row.expires_at) : null,
    refreshTokenPolicy: row.refresh_token_policy,
    refreshTokenPolicyDescription:
      row.auth_flow === 'jwt_bearer'
        ? 'JWT bearer: nothing to expire'
        : 'problem' in policy
          ? row.refresh_token_policy
          : describeRefreshTokenPolicy(policy),
    lastError: row.last_error,
  };
}
