#!/usr/bin/env node
// The `instant-sync` executable. The service is TypeScript run directly by Node.js 24 (type
// stripping), so this shim only checks the Node version before loading it.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `instant-sync needs Node.js 24 or newer; this is ${process.version}.\n` +
      'Run it through npm (npm start, npx instant-sync ...), which uses the Node.js 24 the project installs.\n',
  );
  process.exit(2);
}
await import('../src/cli/main.ts');
