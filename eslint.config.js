// Lint rules: typescript-eslint's recommended set plus STYLE.md's architecture (tools/eslint/layers.js):
// imports point down the layers, reach another layer through its index.ts, and form no cycle.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layers from './tools/eslint/layers.js';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'native/build/',
      'node_modules/',
      'coverage/',
      'scratch/',
      'bench/node_modules/',
      'bench/.out/',
      'docs/api/',
      'test-artifacts/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { layers },
    rules: { 'layers/imports': 'error' },
  },
  {
    // one casing for error codes: `code: 'X'` in an error's options is SCREAMING_SNAKE_CASE; folders are made by makeDirectory
    files: ['src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.case.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "NewExpression[callee.name=/Error$/] ObjectExpression > Property[key.name='code'] > Literal[value!=/^[A-Z][A-Z0-9_]*$/]",
          message: 'Error codes are SCREAMING_SNAKE_CASE, e.g. REGISTRY_NO_TASK.',
        },
        {
          // Node 20's recursive mkdir never returns for a path under /proc (issue seen with --db)
          selector:
            "CallExpression:matches([callee.name=/^mkdir(Sync)?$/], [callee.property.name=/^mkdir(Sync)?$/]) Property[key.name='recursive']",
          message:
            "Use the engine's makeDirectory: Node's recursive mkdir can loop forever on a path it cannot create.",
        },
      ],
    },
  },
);
