import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
  { ignores: ['node_modules', 'data', 'dist', 'web/dist', 'test-artifacts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='only']", message: 'Focused tests (.only) must not be committed.' },
        { selector: "CallExpression[callee.property.name='skip']", message: 'Skipped tests must not be committed.' },
      ],
    },
  },
  {
    // The web app: hooks called in the same order on every render, effects that list what they read.
    files: ['web/src/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
  },
  {
    // Tenant code reaches the database only through the tenant-bound transaction.
    files: ['src/**/*.ts'],
    ignores: ['src/core/db/**', 'src/main.ts', 'src/server.ts', 'src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'pg', message: 'Use the tenant-bound transaction from src/core/db.' },
          { name: '@electric-sql/pglite', message: 'Use the tenant-bound transaction from src/core/db.' },
        ],
      }],
    },
  },
);
