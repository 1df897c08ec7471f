// Renders docs/configuration.md from the option table, so the documentation cannot drift
// from the code (a test compares the file with this output).
import { configFileEnv, fromSourceEnv } from './load-config.ts';
import { options, type OptionName, type OptionSpec } from './options.ts';

export function renderConfigDocs(): string {
  const lines = [
    '# Configuration',
    '',
    '<!-- Generated from src/config/options.ts by `npm run docs:config`; a test fails when it is out of date. -->',
    '',
    'Instant Sync reads its settings, later sources winning, from:',
    '',
    '1. the defaults below;',
    `2. an optional JSON config file, named by \`--config <file>\` or \`${configFileEnv}\`, whose keys are the option names below`,
    '   (for example `{ "port": 9090, "logLevel": "debug" }`);',
    '3. environment variables.',
    '',
    'An empty environment variable counts as unset. A bad value, an unknown `INSTANT_SYNC_*` variable or an unknown key in',
    'the config file stops the service at start with one message that lists every problem. Durations are written',
    'with a unit: `500ms`, `30s`, `10m`, `2h`, `1d`.',
    '',
    'Options marked _(or `…_FILE`)_ may instead be read from the file that `<variable>_FILE` names (its contents, without',
    'the final line break): container secrets, or a file only the service user can read. The secret key has its own',
    'file setting, `INSTANT_SYNC_SECRET_KEY_FILE`.',
    '',
    `\`${fromSourceEnv}=1\` is not a setting of the service but of the executable: it runs the TypeScript sources instead`,
    'of the bundle `npm ci` (or `npm run build`) made.',
    '',
    '| Option | Environment variable | Default | Meaning |',
    '|---|---|---|---|',
  ];
  for (const name of Object.keys(options) as OptionName[]) {
    const spec: OptionSpec = options[name];
    const shown = spec.defaultDescription ?? (spec.default === undefined ? '(none)' : `\`${spec.default}\``);
    // A bounded setting's schema describes its range ("from 10s to 1d"): shown, so it cannot drift.
    const range = spec.schema.description === undefined ? '' : ` Allowed: ${spec.schema.description}.`;
    lines.push(
      `| \`${name}\` | \`${spec.env}\`${spec.fromFile === true ? ' (or `…_FILE`)' : ''} | ${shown} | ${`${spec.description}${range}`.replaceAll('|', '\\|')} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
