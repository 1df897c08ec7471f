// deploy/instant-sync.service as systemd reads it: `systemd-analyze verify` accepts it (with
// /opt/instant-sync standing for this checkout, so its paths exist), and it keeps the hardening
// docs/deploy.md promises: no new privileges, a read-only system but for the state folder.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const unit = readFileSync(join(root, 'deploy/instant-sync.service'), 'utf8');
const analyze = '/usr/bin/systemd-analyze';

describe('the systemd unit', () => {
  it('keeps the promised hardening and runs `serve` as its own user with the environment file', () => {
    const settings = unit.split('\n').filter((line) => /^[A-Za-z]+=/.test(line));
    for (const setting of [
      'User=instant-sync',
      'EnvironmentFile=/etc/instant-sync/instant-sync.env',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ReadWritePaths=/var/lib/instant-sync',
      'KillSignal=SIGTERM',
      'CapabilityBoundingSet=',
    ])
      expect(settings).toContain(setting);
    expect(settings.find((s) => s.startsWith('ExecStart='))).toMatch(/bin\/instant-sync\.js serve$/);
  });

  it.runIf(existsSync(analyze) || process.env['CI'] === 'true')(
    'is accepted by systemd-analyze verify',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'instant-sync-unit-'));
      onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
      const file = join(dir, 'instant-sync.service');
      writeFileSync(file, unit.replaceAll('/opt/instant-sync', root.replace(/\/$/, '')));
      const { stdout, stderr } = await promisify(execFile)(analyze, ['verify', file]).catch(
        (error: { stdout?: string; stderr?: string }) => ({
          stdout: error.stdout ?? '',
          stderr: error.stderr ?? 'failed',
        }),
      );
      expect(`${stdout}${stderr}`.trim()).toBe('');
    },
  );
});
