// Checks the Salesforce package (salesforce-package/) as far as it can be checked without an org:
// every Apex class and trigger parses (@apexdevtools/apex-parser) and is formatted as
// prettier-plugin-apex prints it (which parses with jorje, Salesforce's own Apex parser: its native
// build where the platform has one, Java 17 otherwise); every metadata file is well-formed XML; the
// source converts to a Metadata API package (@salesforce/source-deploy-retrieve, into a temporary
// folder removed afterwards) whose package.xml lists every component the source holds (Apex, objects,
// the Lightning web component and its tab; never the component's jest tests); the Apex methods a
// Lightning web component imports exist and are @AuraEnabled; the shared
// webhook signature vector is what node:crypto computes and what the Apex test asserts. No network:
// the package's API version comes from sfdx-project.json, never from Salesforce.
//
// test/package/salesforce-package.test.ts runs these in `npm test`; `node
// scripts/check-salesforce-package.ts` prints the same findings and exits 1 when there are any.
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApexErrorListener, ApexParserFactory } from '@apexdevtools/apex-parser';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import * as prettier from 'prettier';
import * as apexPlugin from 'prettier-plugin-apex';
import { normalizeEventId } from '../src/domain/salesforce-ids.ts';

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
export const packageRoot = join(repositoryRoot, 'salesforce-package');
export const sourceRoot = join(packageRoot, 'force-app', 'main', 'default');
export const vectorPath = join(packageRoot, 'test-vectors', 'webhook-signature.json');
/** The Apex test that asserts the shared vector, with the vector's values as literals. */
export const apexVectorTestPath = join(sourceRoot, 'classes', 'InstantSyncWebhookTest.cls');

/** One problem, where it is: a path relative to the repository, and a line when there is one. */
export interface Finding {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

export function formatFinding(finding: Finding): string {
  const at =
    finding.line === undefined
      ? ''
      : `:${finding.line}${finding.column === undefined ? '' : `:${finding.column}`}`;
  return `${finding.file}${at}: ${finding.message}`;
}

export function repositoryPath(path: string): string {
  return relative(repositoryRoot, path);
}

/** Every file under force-app/main/default, absolute, sorted. */
export function sourceFiles(): string[] {
  return readdirSync(sourceRoot, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

export function apexFiles(): string[] {
  return sourceFiles().filter((file) => file.endsWith('.cls') || file.endsWith('.trigger'));
}

export function sourceApiVersion(): string {
  const project = JSON.parse(readFileSync(join(packageRoot, 'sfdx-project.json'), 'utf8')) as {
    sourceApiVersion?: unknown;
  };
  if (typeof project.sourceApiVersion !== 'string' || !/^\d+\.0$/.test(project.sourceApiVersion)) {
    throw new Error('salesforce-package/sfdx-project.json must name a sourceApiVersion such as "66.0"');
  }
  return project.sourceApiVersion;
}

class CollectingListener extends ApexErrorListener {
  readonly errors: { line: number; column: number; message: string }[] = [];

  apexSyntaxError(line: number, column: number, message: string): void {
    this.errors.push({ line, column: column + 1, message });
  }
}

/** Syntax errors in every class (compilationUnit) and trigger (triggerUnit), lexer's and parser's. */
export function apexSyntaxErrors(files: string[] = apexFiles()): Finding[] {
  return files.flatMap((file) => {
    const listener = new CollectingListener();
    const { parser } = ApexParserFactory.createLexerAndParser(readFileSync(file, 'utf8'), listener);
    if (file.endsWith('.trigger')) parser.triggerUnit();
    else parser.compilationUnit();
    return listener.errors.map((error) => ({ file: repositoryPath(file), ...error }));
  });
}

/**
 * Files prettier-plugin-apex would print differently, with the repository's Prettier options; a file it
 * cannot parse is a finding too, with jorje's message.
 */
export async function apexFormattingProblems(files: string[] = apexFiles()): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const file of files) {
    const options = (await prettier.resolveConfig(file)) ?? {};
    try {
      const formatted = await prettier.check(readFileSync(file, 'utf8'), {
        ...options,
        filepath: file,
        plugins: [apexPlugin],
      });
      if (!formatted) {
        findings.push({
          file: repositoryPath(file),
          message:
            'not formatted as prettier-plugin-apex prints it (npx prettier --plugin=prettier-plugin-apex --write <file>)',
        });
      }
    } catch (error) {
      findings.push({
        file: repositoryPath(file),
        message: `prettier-plugin-apex cannot parse it: ${(error as Error).message}`,
      });
    }
  }
  return findings;
}

/** Every metadata XML file parses; errors carry the line XMLValidator reports. */
export function xmlProblems(
  files: string[] = sourceFiles().filter((file) => file.endsWith('.xml')),
): Finding[] {
  return files.flatMap((file) => {
    const result = XMLValidator.validate(readFileSync(file, 'utf8'));
    return result === true
      ? []
      : [
          {
            file: repositoryPath(file),
            line: result.err.line,
            column: result.err.col,
            message: result.err.msg,
          },
        ];
  });
}

const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: () => false });

/** A metadata file's root element, parsed (every value a string; repeated elements an array). */
export function readMetadata(path: string): Record<string, unknown> {
  const parsed = xml.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const root = Object.keys(parsed).find((key) => key !== '?xml');
  if (root === undefined) throw new Error(`${repositoryPath(path)} has no root element`);
  return parsed[root] as Record<string, unknown>;
}

/** The class, trigger and Lightning web component meta files whose apiVersion is not the project's sourceApiVersion. */
export function apiVersionProblems(): Finding[] {
  const version = sourceApiVersion();
  return sourceFiles()
    .filter((file) => /\.(?:cls|trigger|js)-meta\.xml$/.test(file))
    .flatMap((file) => {
      const meta = readMetadata(file);
      return meta['apiVersion'] === version
        ? []
        : [
            {
              file: repositoryPath(file),
              message: `apiVersion ${String(meta['apiVersion'])}, not the project's ${version}`,
            },
          ];
    });
}

/**
 * The Metadata API components the source holds, as `Type:fullName`, worked out from the files' paths
 * (independently of source-deploy-retrieve, so its package.xml can be checked against it). A file no
 * rule knows is a finding: a new kind of metadata needs a rule here.
 */
export function expectedComponents(): { components: string[]; findings: Finding[] } {
  const components = new Set<string>();
  const findings: Finding[] = [];
  const rules: [RegExp, (match: RegExpMatchArray) => string | undefined][] = [
    [/^classes\/(\w+)\.cls$/, (m) => `ApexClass:${m[1]}`],
    [/^classes\/\w+\.cls-meta\.xml$/, () => undefined],
    [/^triggers\/(\w+)\.trigger$/, (m) => `ApexTrigger:${m[1]}`],
    [/^triggers\/\w+\.trigger-meta\.xml$/, () => undefined],
    [/^objects\/(\w+)\/\1\.object-meta\.xml$/, (m) => `CustomObject:${m[1]}`],
    [/^objects\/(\w+)\/fields\/(\w+)\.field-meta\.xml$/, (m) => `CustomField:${m[1]}.${m[2]}`],
    [/^objects\/(\w+)\/listViews\/(\w+)\.listView-meta\.xml$/, (m) => `ListView:${m[1]}.${m[2]}`],
    [/^permissionsets\/(\w+)\.permissionset-meta\.xml$/, (m) => `PermissionSet:${m[1]}`],
    [/^tabs\/(\w+)\.tab-meta\.xml$/, (m) => `CustomTab:${m[1]}`],
    // A Lightning web component is one bundle: its folder's js, html, css and js-meta.xml.
    [/^lwc\/(\w+)\/\1\.(?:js|html|css|js-meta\.xml)$/, (m) => `LightningComponentBundle:${m[1]}`],
    // Its jest tests (npm run test:lwc) are not metadata: .forceignore keeps them out of a deploy.
    [/^lwc\/\w+\/__tests__\/[\w.-]+\.test\.js$/, () => undefined],
  ];
  for (const file of sourceFiles()) {
    const path = relative(sourceRoot, file).split('\\').join('/');
    const rule = rules.find(([pattern]) => pattern.test(path));
    if (rule === undefined) {
      findings.push({
        file: repositoryPath(file),
        message: 'no rule in scripts/check-salesforce-package.ts knows this file',
      });
      continue;
    }
    const component = rule[1](path.match(rule[0])!);
    if (component !== undefined) components.add(component);
  }
  return { components: [...components].sort(), findings };
}

export interface ConvertedPackage {
  /** `Type:member` for every member package.xml lists. */
  components: string[];
  version: string;
  /** Paths of the converted package's files, relative to its folder. */
  files: string[];
}

/**
 * Converts force-app to a Metadata API package in a temporary folder with source-deploy-retrieve (what
 * `sf project deploy start` does before it deploys), reads its package.xml, and removes the folder.
 */
export async function convertToMetadataApi(): Promise<ConvertedPackage> {
  // @salesforce/core (under source-deploy-retrieve) writes a log file in ~/.sf unless told not to.
  process.env['SF_DISABLE_LOG_FILE'] ??= 'true';
  const { ComponentSet, MetadataConverter } = await import('@salesforce/source-deploy-retrieve');
  const set = ComponentSet.fromSource(join(packageRoot, 'force-app'));
  // Set, so the converter never asks Salesforce for its current API version.
  set.sourceApiVersion = sourceApiVersion();
  const output = mkdtempSync(join(tmpdir(), 'instant-sync-mdapi-'));
  try {
    await new MetadataConverter().convert(set, 'metadata', {
      type: 'directory',
      outputDirectory: output,
      genUniqueDir: false,
    });
    const manifest = readMetadata(join(output, 'package.xml'));
    const types = [manifest['types'] ?? []].flat() as { members: string | string[]; name: string }[];
    return {
      components: types
        .flatMap((type) => [type.members].flat().map((member) => `${type.name}:${member}`))
        .sort(),
      version: String(manifest['version']),
      files: readdirSync(output, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => relative(output, join(entry.parentPath, entry.name)).split('\\').join('/'))
        .sort(),
    };
  } finally {
    rmSync(output, { recursive: true, force: true });
  }
}

/** Every Lightning web component's main JavaScript file, absolute, sorted. */
export function lwcFiles(): string[] {
  return sourceFiles().filter((file) => /\/lwc\/(\w+)\/\1\.js$/.test(file.split('\\').join('/')));
}

/**
 * Every `@salesforce/apex/Class.method` a component imports names a class of the package with an
 * `@AuraEnabled` static method of that name (what the org checks when the component is deployed).
 */
export function apexImportProblems(files: string[] = lwcFiles()): Finding[] {
  return files.flatMap((file) => {
    const findings: Finding[] = [];
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/from\s+'@salesforce\/apex\/(\w+)\.(\w+)'/g)) {
      const [, className, method] = match as unknown as [string, string, string];
      const classFile = join(sourceRoot, 'classes', `${className}.cls`);
      let apex: string;
      try {
        apex = readFileSync(classFile, 'utf8');
      } catch {
        findings.push({
          file: repositoryPath(file),
          message: `imports ${className}.${method}: no class ${className}`,
        });
        continue;
      }
      const declared = new RegExp(
        `@AuraEnabled(?:\\([^)]*\\))?\\s+(?:public|global)\\s+static\\s+[\\w<>, .]+\\s+${method}\\s*\\(`,
      );
      if (!declared.test(apex)) {
        findings.push({
          file: repositoryPath(file),
          message: `imports ${className}.${method}, which is not an @AuraEnabled public static method of ${className}`,
        });
      }
    }
    return findings;
  });
}

export interface SignatureVector {
  secret: string;
  timestamp: string;
  body: string;
  signature: string;
}

export function readVector(): SignatureVector {
  return JSON.parse(readFileSync(vectorPath, 'utf8')) as SignatureVector;
}

/**
 * The vector is consistent (its signature is node:crypto's HMAC-SHA256 of timestamp + "." + body with its
 * secret, docs/webhook.md), realistic (a body as the trigger builds it: a deliveryId and valid 18-character
 * Event ids), and the Apex test asserts exactly its values.
 */
export function vectorProblems(): Finding[] {
  const file = repositoryPath(vectorPath);
  const vector = readVector();
  const findings: Finding[] = [];
  for (const key of ['secret', 'timestamp', 'body', 'signature'] as const) {
    if (typeof vector[key] !== 'string') findings.push({ file, message: `${key} must be a string` });
  }
  if (findings.length > 0) return findings;
  const computed = createHmac('sha256', vector.secret)
    .update(`${vector.timestamp}.${vector.body}`, 'utf8')
    .digest('hex');
  if (computed !== vector.signature) {
    findings.push({
      file,
      message: `signature ${vector.signature} is not HMAC-SHA256(timestamp.body): ${computed}`,
    });
  }
  if (!/^\d{10}$/.test(vector.timestamp)) findings.push({ file, message: 'timestamp must be Unix seconds' });
  const body = JSON.parse(vector.body) as {
    deliveryId?: unknown;
    events?: { id?: unknown; changeType?: unknown }[];
  };
  if (typeof body.deliveryId !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(body.deliveryId)) {
    findings.push({ file, message: 'the body needs a deliveryId (printable ASCII, no spaces)' });
  }
  if (!Array.isArray(body.events) || body.events.length === 0) {
    findings.push({ file, message: 'the body needs events' });
  } else {
    for (const event of body.events) {
      if (typeof event.id !== 'string' || event.id.length !== 18 || normalizeEventId(event.id) !== event.id) {
        findings.push({ file, message: `${JSON.stringify(event.id)} is not a valid 18-character Event id` });
      }
    }
  }
  const apex = apexVectorLiterals();
  for (const [key, value] of Object.entries(vector)) {
    const literal = apex[key];
    if (literal !== value) {
      findings.push({
        file: repositoryPath(apexVectorTestPath),
        message: `VECTOR_${key.toUpperCase()} is ${JSON.stringify(literal)}, but the vector's ${key} is ${JSON.stringify(value)}`,
      });
    }
  }
  return findings;
}

/** The VECTOR_* string constants of the Apex vector test, unescaped. */
export function apexVectorLiterals(): Record<string, string> {
  const source = readFileSync(apexVectorTestPath, 'utf8');
  const literals: Record<string, string> = {};
  for (const match of source.matchAll(/\bVECTOR_([A-Z]+)\s*=\s*'((?:[^'\\]|\\.)*)'/g)) {
    const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };
    literals[match[1]!.toLowerCase()] = match[2]!.replace(
      /\\(.)/g,
      (_, char: string) => escapes[char] ?? char,
    );
  }
  return literals;
}

async function main(): Promise<number> {
  const started = Date.now();
  const expected = expectedComponents();
  const converted = await convertToMetadataApi();
  const missing = expected.components.filter((component) => !converted.components.includes(component));
  const findings = [
    ...apexSyntaxErrors(),
    ...(await apexFormattingProblems()),
    ...xmlProblems(),
    ...apiVersionProblems(),
    ...apexImportProblems(),
    ...expected.findings,
    ...missing.map((component) => ({ file: 'package.xml', message: `${component} is not listed` })),
    ...vectorProblems(),
  ];
  for (const finding of findings) console.error(formatFinding(finding));
  console.log(
    `${basename(packageRoot)}: ${apexFiles().length} Apex files, ${converted.components.length} components in package.xml (API ${converted.version}), ${findings.length} problems, ${Date.now() - started} ms`,
  );
  return findings.length === 0 ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
