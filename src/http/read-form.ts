// A form body read the same way on every page: whatever cannot be parsed as a form (broken
// multipart, a body that is not a form at all) reads as an empty form, so the route refuses it
// for its missing CSRF token (403) instead of failing (500).
import type { Context } from 'hono';

export async function readForm(c: Context): Promise<Record<string, unknown>> {
  try {
    return await c.req.parseBody();
  } catch {
    return {};
  }
}
