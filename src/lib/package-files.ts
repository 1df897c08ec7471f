// Files the service reads from its own package at run time (the Pub/Sub API's .proto, the demo's
// sandbox launchers), named from the package's root. The service runs either from its sources
// (src/…) or from the bundle `npm run build` writes (dist/bundle/…), and both sit two folders
// below the root, so one relative step serves both, wherever this module's code ends up.
export const packageRoot = new URL('../../', import.meta.url);

/** A file of the package, by its path from the package's root (`sandbox/graph/main.ts`). */
export function packageFile(path: string): URL {
  return new URL(path, packageRoot);
}

/** Whether this code runs from the bundle `npm run build` made or from the TypeScript sources. */
export const runningFrom: 'bundle' | 'sources' = import.meta.url.includes('/dist/bundle/')
  ? 'bundle'
  : 'sources';
