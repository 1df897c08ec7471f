// Lint rules for the whole repository: type-aware TypeScript rules plus the import
// boundaries that keep the layers honest (see docs/architecture.md, "Boundaries").
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'coverage/', 'salesforce-package/'] },
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
