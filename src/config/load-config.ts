// Reads the configuration from defaults, an optional JSON config file and INSTANT_SYNC_*
// environment variables (later wins), validates all of it, and fails with one message that
// lists every problem. This is the only module that reads process.env.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../lib/errors.ts';
import { options, type Config, type OptionName, type OptionSpec } from './options.ts';

/** Names the config file; read only here, so it is not itself an option. */
export const configFileEnv = 'INSTANT_SYNC_CONFIG';

export interface ConfigSources {
  /** Defaults to the process environment. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Path of a JSON config file; defaults to $INSTANT_SYNC_CONFIG when set. */
  configFile?: string | undefined;
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const problems: string[] = [];
  const configFile = sources.configFile ?? nonEmpty(env[configFileEnv]);
  const fileValues = configFile === undefined ? {} : readConfigFile(configFile, problems);
  const names = Object.keys(options) as OptionName[];
  const envNames = new Set<string>([configFileEnv, ...names.map((n) => options[n].env)]);

  for (const key of Object.keys(env)) {
    if (key.startsWith('INSTANT_SYNC_') && !envNames.has(key)) {
      problems.push(`unknown setting ${key}${suggestion(key, [...envNames])}`);
    }
  }
  for (const key of Object.keys(fileValues)) {
    if (!(names as string[]).includes(key)) {
      problems.push(`config file ${configFile}: unknown option "${key}"${suggestion(key, names)}`);
    }
  }

  const values: Record<string, unknown> = {};
  for (const name of names) {
    const spec: OptionSpec = options[name];
    const fromEnv = nonEmpty(env[spec.env]);
    const fromFile = fileValues[name];
    const source =
      fromEnv !== undefined
        ? spec.env
        : fromFile !== undefined
          ? `config file ${configFile}: ${name}`
          : `default of ${spec.env}`;
    const raw = fromEnv ?? fromFile ?? spec.default;
    if (raw === undefined) continue;
    const result = spec.schema.safeParse(raw);
    if (result.success) {
      values[name] = result.data;
    } else {
      const shown = spec.secret === true ? '' : `, got ${JSON.stringify(raw)}`;
      const message = result.error.issues[0]?.message ?? 'invalid value';
      problems.push(`${source}: ${message}${shown}`);
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  const port = values['port'] as number;
  const publicUrl = ((values['publicUrl'] as string | undefined) ?? `http://localhost:${port}`).replace(
    /\/+$/,
    '',
  );
  return { ...values, publicUrl } as Config;
}

function readConfigFile(path: string, problems: string[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`cannot read config file ${path}: ${(error as Error).message}`);
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
    problems.push(`config file ${path}: expected a JSON object of option names and values`);
  } catch (error) {
    problems.push(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return {};
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function suggestion(name: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 4;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best === undefined ? '' : ` (did you mean ${best}?)`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
