// Lint, run by `npm test` after the type check: typescript-eslint's type-checked rules, chiefly
// so that no promise is left floating (an unhandled rejection crashes the server, a dropped lease
// keeps a document in memory) and none is passed where a callback's result is ignored.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.python/**', '.jupyter/**', 'data/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `void p` is no excuse: a voided promise still needs its rejection handled.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          ignoreVoid: false,
          // node:test's describe/test return promises the runner itself awaits.
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // Off: yjs's generated types hide Y.Text's own toString, and `String(value)` of untrusted
      // input is how error messages quote it; every hit was one of the two.
      '@typescript-eslint/no-base-to-string': 'off',
      // Off: views hand back `{ dispose() }` closures (no `this`), collected as plain functions.
      '@typescript-eslint/unbound-method': 'off',
      // `_name` marks a binding kept on purpose (a rest pattern dropping a key, an Express arity).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Tests read JSON files of the server's own making (kernel records, connection files) as
    // `any` and assert on their fields; typing each read would only restate the assertions.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // In a test an unhandled rejection fails the test, which is what a voided promise there is for.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      // Fakes implement the async interfaces of the parts they stand in for without awaiting.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
