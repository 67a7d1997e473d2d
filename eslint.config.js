// Lint rules: neostandard's correctness rules for TypeScript; formatting is prettier's job.
import neostandard from 'neostandard';

const unused = { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true };

export default [
  ...neostandard({
    ts: true,
    noStyle: true,
    ignores: ['dist/**', 'coverage/**', '.tap/**', 'node_modules/**', 'test-results/**'],
  }),
  {
    rules: {
      // `void promise` marks a promise deliberately not awaited.
      'no-void': 'off',
      'promise/param-names': 'off',
    },
  },
  // Rest siblings and leading underscores name what is dropped on purpose.
  { files: ['**/*.js', '**/*.mjs'], rules: { 'no-unused-vars': ['error', unused] } },
  { files: ['**/*.ts'], rules: { '@typescript-eslint/no-unused-vars': ['error', unused] } },
];
