// A local certificate authority and a server certificate for localhost / 127.0.0.1, made once per
// machine with the openssl command and kept in the temp directory, so the sandboxes can speak
// HTTPS and gRPC over TLS as the real services do. Clients trust it by configuration (the CA file
// path is printed by the launchers and returned by the sandboxes).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalTls {
  /** PEM of the CA that signed the server certificate: what a client must trust. */
  caPem: string;
  caFile: string;
  certPem: string;
  keyPem: string;
}

let cached: LocalTls | undefined;

export function localTls(): LocalTls {
  if (cached !== undefined) return cached;
  const dir = join(tmpdir(), `instant-sync-sandbox-tls-${process.getuid?.() ?? 'user'}`);
  if (!existsSync(join(dir, 'server.key'))) create(dir);
  cached = {
    caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    caFile: join(dir, 'ca.crt'),
    certPem: readFileSync(join(dir, 'server.crt'), 'utf8'),
    keyPem: readFileSync(join(dir, 'server.key'), 'utf8'),
  };
  return cached;
}

/** Builds the files in a scratch directory and moves it into place, so concurrent starts never see half a set. */
function create(dir: string): void {
  const work = mkdtempSync(join(tmpdir(), 'instant-sync-tls-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: work, stdio: 'ignore' });
  try {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '3650',
      '-subj',
      '/CN=Instant Sync sandbox CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    );
    writeFileSync(
      join(work, 'server.ext'),
      'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
    );
    openssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '825',
      '-out',
      'server.crt',
      '-extfile',
      'server.ext',
    );
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw new Error('the sandboxes need the openssl command to make their TLS certificate', { cause: error });
  }
  mkdirSync(join(dir, '..'), { recursive: true });
  try {
    renameSync(work, dir);
  } catch {
    // Another process made the same files first: use theirs.
    rmSync(work, { recursive: true, force: true });
  }
}
