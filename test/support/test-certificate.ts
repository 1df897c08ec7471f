// A throwaway RSA key and self-signed X.509 certificate (via the openssl command), for the JWT
// bearer flow: the key signs assertions, the certificate is what the org's app holds.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function makeTestCertificate(): { keyPem: string; certificatePem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'instant-sync-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const certificate = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=instant-sync-test',
        '-keyout',
        key,
        '-out',
        certificate,
      ],
      { stdio: 'ignore' },
    );
    return { keyPem: readFileSync(key, 'utf8'), certificatePem: readFileSync(certificate, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
