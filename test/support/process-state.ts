// Setup file of `npm test`: its workers run file after file in one process (isolate: false), so
// the process-wide state a test file may change is put back when the file's tests end: the
// default TLS trust store (tls.setDefaultCACertificates) and the environment.
import tls from 'node:tls';
import { afterAll } from 'vitest';

const trusted = tls.getCACertificates('default');
const environment = { ...process.env };

afterAll(() => {
  tls.setDefaultCACertificates(trusted);
  for (const key of Object.keys(process.env)) if (!(key in environment)) delete process.env[key];
  Object.assign(process.env, environment);
});
