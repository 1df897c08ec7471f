// Reads the configuration from defaults, an optional JSON config file and INSTANT_SYNC_*
// environment variables (later wins), validates all of it, and fails with one message that
// lists every problem. This is the only module that reads process.env.
//
// While the demo runs, it leaves its settings (the sandboxes' CA file and Pub/Sub address, its
// public URL) next to the secret key, in demo-settings.json: a command run in the same folder
// with no config file of its own reads them, so `instant-sync doctor demo` reaches the demo's
// sandboxes. They count only while the demo that wrote them is running.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../lib/errors.ts';
import { options, type Config, type OptionName, type OptionSpec } from './options.ts';

/** Names the config file; read only here, so it is not itself an option. */
export const configFileEnv = 'INSTANT_SYNC_CONFIG';

/** Read by the executable before the service loads (bin/entry-point.js): not an option either. */
export const fromSourceEnv = 'INSTANT_SYNC_FROM_SOURCE';

export interface ConfigSources {
  /** Defaults to the process environment. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Path of a JSON config file; defaults to $INSTANT_SYNC_CONFIG when set. */
  configFile?: string | undefined;
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const problems: string[] = [];
  const namedFile = sources.configFile ?? nonEmpty(env[configFileEnv]);
  const demoFile = namedFile === undefined ? runningDemoSettings(env) : undefined;
  const configFile = namedFile ?? demoFile?.file;
  const fileValues =
    namedFile !== undefined ? readConfigFile(namedFile, problems) : (demoFile?.settings ?? {});
  const names = Object.keys(options) as OptionName[];
  const envNames = new Set<string>([
    configFileEnv,
    fromSourceEnv,
    ...names.map((n) => options[n].env),
    ...names.filter((n) => (options[n] as OptionSpec).fromFile === true).map((n) => `${options[n].env}_FILE`),
  ]);

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
    const fromSecretFile = valueFromFile(spec, env, problems);
    const fromEnv = nonEmpty(env[spec.env]) ?? fromSecretFile;
    const fromFile = fileValues[name];
    const source =
      fromEnv !== undefined
        ? spec.env
        : fromFile !== undefined
          ? `config file ${configFile}: ${name}`
          : `default of ${spec.env}`;
    if (fromEnv === undefined && fromFile === null) {
      problems.push(`${source}: null is not a value (leave the option out for its default)`);
      continue;
    }
    const raw = fromEnv ?? fromFile ?? spec.default;
    if (raw === undefined) continue;
    const result = spec.schema.safeParse(raw);
    if (!result.success) {
      const shown = spec.secret === true ? '' : `, got ${JSON.stringify(raw)}`;
      const message = result.error.issues[0]?.message ?? 'invalid value';
      problems.push(`${source}: ${message}${shown}`);
      continue;
    }
    const unreadable = fileProblem(name, result.data);
    if (unreadable === undefined) values[name] = result.data;
    else problems.push(`${source}: ${unreadable}`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  const port = values['port'] as number;
  const publicUrl = ((values['publicUrl'] as string | undefined) ?? `http://localhost:${port}`).replace(
    /\/+$/,
    '',
  );
  return { ...values, publicUrl } as Config;
}

/**
 * The value in the file `<env>_FILE` names, for options that may come from one (container
 * secrets): its contents without the final line break. Setting both is a mistake worth a word.
 */
function valueFromFile(
  spec: OptionSpec,
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
): string | undefined {
  const file = spec.fromFile === true ? nonEmpty(env[`${spec.env}_FILE`]) : undefined;
  if (file === undefined) return undefined;
  if (nonEmpty(env[spec.env]) !== undefined) {
    problems.push(`${spec.env} and ${spec.env}_FILE are both set: set one of them`);
    return undefined;
  }
  try {
    const value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    if (value.trim() === '') problems.push(`${spec.env}_FILE: ${file} is empty`);
    return nonEmpty(value);
  } catch (error) {
    problems.push(`${spec.env}_FILE: cannot read ${file}: ${(error as Error).message}`);
    return undefined;
  }
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

/** Options naming a file that must be there to be read: one that cannot be is reported with the rest. */
function fileProblem(name: OptionName, value: unknown): string | undefined {
  if (name !== 'extraCaFile' || typeof value !== 'string') return undefined;
  try {
    readFileSync(value, 'utf8');
    return undefined;
  } catch (error) {
    return `cannot read ${value}: ${(error as Error).message}`;
  }
}

/** Where the demo leaves its settings while it runs: next to the secret key file. */
export function demoSettingsFile(env: Readonly<Record<string, string | undefined>>): string {
  return demoSettingsFileBeside(nonEmpty(env[options.secretKeyFile.env]) ?? options.secretKeyFile.default);
}

export function demoSettingsFileBeside(secretKeyFile: string): string {
  return join(dirname(secretKeyFile), 'demo-settings.json');
}

/** The running demo's settings, when it left some and is still running. */
function runningDemoSettings(
  env: Readonly<Record<string, string | undefined>>,
): { file: string; settings: Record<string, unknown> } | undefined {
  const file = demoSettingsFile(env);
  let written: unknown;
  try {
    written = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof written !== 'object' || written === null) return undefined;
  const { pid, settings } = written as { pid?: unknown; settings?: unknown };
  if (typeof pid !== 'number' || !processRuns(pid)) return undefined;
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return undefined;
  return { file, settings: settings as Record<string, unknown> };
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
