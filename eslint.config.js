// Lint rules for the whole repository: type-aware TypeScript rules plus the import
// boundaries that keep the layers honest (see docs/architecture.md, "Boundaries").
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/ (docs/architecture.md, "Boundaries"): each folder and what it may import
 * besides itself and packages. Anything not listed is above it and off limits, which also keeps
 * folders free of cycles. src/main.ts (the composition root) may import every folder but cli/;
 * cli/ may import everything.
 */
const layers = {
  domain: [],
  lib: [],
  config: ['domain', 'lib'],
  store: ['domain', 'lib'],
  providers: ['domain', 'lib'],
  salesforce: ['domain', 'lib', 'store'],
  intake: ['domain', 'lib', 'store', 'salesforce'],
  engine: ['domain', 'lib', 'store', 'providers', 'salesforce'],
  tenants: ['domain', 'lib', 'store', 'providers', 'salesforce', 'intake'],
  reports: ['domain', 'lib', 'config', 'store', 'providers', 'salesforce', 'intake', 'engine', 'tenants'],
  http: ['domain', 'lib', 'store', 'salesforce', 'intake'],
  admin: [
    'domain',
    'lib',
    'config',
    'store',
    'providers',
    'salesforce',
    'intake',
    'tenants',
    'reports',
    'http',
  ],
};
// The demo runs the whole service with its sandboxes: everything but the CLI that starts it.
layers.demo = [...Object.keys(layers), 'main.ts'];
const folders = [...Object.keys(layers), 'cli', 'main.ts'];
const layerZones = Object.entries(layers).map(([folder, allowed]) => ({
  target: `./src/${folder}`,
  from: folders
    .filter((other) => other !== folder && !allowed.includes(other))
    .map((other) => `./src/${other}`),
  message: `src/${folder}/ may import only ${allowed.length === 0 ? 'itself' : allowed.join(', ')} (docs/architecture.md, "Boundaries").`,
}));

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'coverage/', 'salesforce-package/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './src/domain',
              from: './',
              except: ['./src/domain'],
              message: 'domain/ is pure: it imports nothing outside itself.',
            },
            {
              target: './src/providers',
              from: './src/store',
              message: 'providers/ never touch the database: the engine hands them what they need.',
            },
            ...layerZones,
            {
              target: './src/main.ts',
              from: './src/cli',
              message: 'the composition root is below the CLI that runs it.',
            },
            {
              target: './sandbox',
              from: './src',
              message:
                'sandbox servers share no code with the client, so one bug cannot hide on both sides of the wire.',
            },
            {
              target: './src',
              from: ['./test', './bench'],
              message: 'product code never imports test or bench code.',
            },
            {
              target: './test/support',
              from: './bench',
              message: 'the bench builds on test/support, never the other way round.',
            },
          ],
        },
      ],
    },
  },
  {
    // domain/ may not reach for Node built-ins or packages either: only relative imports inside itself.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(?!\\./|\\.\\./)', message: 'domain/ is pure: no packages, no node: modules.' },
          ],
        },
      ],
    },
  },
  {
    // Tests of the pure core may use the test libraries; the code under test may not.
    files: ['src/domain/**/*.test.ts'],
    rules: { 'no-restricted-imports': 'off', 'import-x/no-restricted-paths': 'off' },
  },
  {
    // Every statement is a store/ function, and only store/ holds the database handle: the
    // composition root hands every module the repositories bound to it (store/repositories.ts).
    files: ['src/**/*.ts'],
    ignores: ['src/store/**', 'src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'kysely', message: 'queries live in src/store/: call or add a store function there.' },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'CallExpression[callee.property.name=/^(selectFrom|insertInto|updateTable|deleteFrom|mergeInto|replaceInto|selectNoFrom|executeQuery)$/]',
          message: 'queries live in src/store/: call or add a store function there.',
        },
        {
          selector: 'CallExpression[callee.property.name="transaction"][arguments.length=0]',
          message:
            'a unit of work is repos.transaction(async (tx) => ...), with tx the repositories bound to it.',
        },
        {
          selector:
            'MemberExpression[property.name="db"], ImportSpecifier[imported.name=/^(Db|inTransaction)$/]',
          message:
            'only store/ holds the database handle: take the repositories you use (store/repositories.ts) in your deps.',
        },
      ],
    },
  },
  {
    // Only config/ reads the environment: everything else is handed its settings.
    files: ['src/**/*.ts'],
    ignores: ['src/config/**', 'src/**/*.test.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'only src/config/ reads process.env (docs/architecture.md).',
        },
      ],
    },
  },
  {
    // Only the CLI writes to the terminal; everything else logs through lib/logger.
    files: ['src/cli/**/*.ts', 'scripts/**/*.ts', 'bin/**/*.js', 'bench/**/*.ts', 'sandbox/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['*.js', 'bin/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly' },
    },
  },
);
