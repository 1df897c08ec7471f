// Tenant identity rules: what a slug may look like and what a tenant URL is. Pure.

const slugPattern = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

/** Why `slug` cannot name a tenant, or undefined when it can. */
export function slugProblem(slug: string): string | undefined {
  if (slugPattern.test(slug) && !slug.includes('--')) return undefined;
  return (
    `invalid tenant slug ${JSON.stringify(slug)}: use 1 to 40 lowercase letters, digits and single dashes, ` +
    'starting and ending with a letter or digit (for example acme or acme-emea)'
  );
}

/** The tenant URL admins paste into Salesforce: `<public-url>/t/<slug>/`, always ending in `/`. */
export function tenantUrl(publicUrl: string, slug: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/t/${slug}/`;
}
