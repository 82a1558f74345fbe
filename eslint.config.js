// Lint rules: typescript-eslint's recommended set plus the layer rule from STYLE.md (imports point down).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['**/soft/**', '**/tasks/**', '**/providers/**', '**/serve/**', '**/cli/**'] },
      ],
    },
  },
);
