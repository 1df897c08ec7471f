// The context each sealed column's values are bound to (SecretBox associated data): a value copied
// into another row or column does not open. One list, so the code that seals, the code that opens
// and key rotation (sealed-values-repository.ts) cannot disagree.
export const sealContext = {
  accessToken: (tenantId: string) => `tenant:${tenantId}:salesforce-access-token`,
  refreshToken: (tenantId: string) => `tenant:${tenantId}:salesforce-refresh-token`,
  clientSecret: (tenantId: string) => `tenant:${tenantId}:salesforce-client-secret`,
  jwtPrivateKey: (tenantId: string) => `tenant:${tenantId}:salesforce-jwt-private-key`,
  /** A Connect in progress: its PKCE verifier, by the hash of its OAuth state. */
  codeVerifier: (stateHash: string) => `oauth-state:${stateHash}:code-verifier`,
  /** The tenant's webhook secret (also written into the org's package settings after Connect). */
  webhookSecret: (tenantId: string) => `tenant:${tenantId}:webhook-secret`,
  /** A mailbox provider's app-only credentials. */
  providerCredentials: (tenantId: string, providerId: string) =>
    `tenant:${tenantId}:mailbox-provider:${providerId}:credentials`,
} as const;
