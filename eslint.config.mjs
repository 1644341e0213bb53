// @ts-check
// Type-checked typescript-eslint over src/, test/ and the config files (`npm run lint`, run by .ci/run).
// Type information comes from the root tsconfig.json (projectService); the JavaScript files of test/
// (fixtures, the consumers' harness and contract) get the same rules without type information.
// Formatting is Prettier's (.prettierrc.json); no stylistic rule here.
import eslint from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores([
    'dist/',
    'bench/',
    'examples/',
    '**/node_modules/',
    // Each consumer project (test/consumers/<name>/) is its own package, with its own dependencies and
    // tsconfig, checked by running it (test/consumers/consumers.test.ts); the shared harness and
    // contract code beside them is linted.
    'test/consumers/*/',
    '!test/consumers/contract/',
    '!test/consumers/harness/',
  ]),
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // tsconfig.json has noUncheckedIndexedAccess: `values[i]!` and `match[1]!` are how code marks an
      // index it knows is in range (a regex group that matched, a loop bound). The rule would turn each
      // into an `if (x === undefined) throw` that can never run.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `delete process.env[NAME]` is how an environment variable is unset (assigning `undefined` sets
      // the string "undefined", Node's process.env doc), and the state file's records keyed by server
      // name are plain JSON objects (its on-disk schema), not Maps.
      '@typescript-eslint/no-dynamic-delete': 'off',
      // `use: (value: void) => Promise<void>` is the fixture signature of Vitest and Playwright, and a
      // custom probe's `check` may return `boolean | void` (nothing means "ready"): both are API shapes
      // the rule does not allow outside return types.
      '@typescript-eslint/no-invalid-void-type': 'off',
      // Its findings here are runtime checks of values from JavaScript callers and JSON (`typeof target
      // === 'object'` where the type says it is), and flags set in callbacks and read after an `await`
      // (`while (polling)`), which TypeScript's narrowing does not see change
      // (it narrows `let polling = true` to `true` and keeps that across the `await`).
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // An `async` method with no `await` is how a method that must return a promise (a supervisor
      // handler, a readiness probe's `check`) turns a synchronous throw into a rejection.
      '@typescript-eslint/require-await': 'off',
      // Errors from Node callbacks (execFile, socket 'error') are rejected as received: they are Errors
      // at run time, typed `unknown` or `Error | null` by the callback's signature.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // Vitest and Playwright read a fixture's dependencies from its first parameter's destructuring
      // pattern: a fixture that needs none is written `async ({}, use) => …` (Vitest rejects anything else).
      'no-empty-pattern': ['error', { allowObjectPatternsAsParameters: true }],
      // STYLE.md (tinypool): type-only imports are marked, so nothing is loaded for a type.
      // `typeof import('./module.js')` stays allowed: it names a module's type where nothing is imported.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      // Template literals of numbers are how messages and paths are written here (`port ${port}`),
      // and a number prints the same in every locale; booleans and others still need a reason.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // `void promise` is the marked way to start a promise on purpose (then its errors are handled
      // inside it); any other unhandled promise is an error.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      // `if (seen()) return resolve();` in a promise executor or a callback: returning a void expression
      // from a function that itself returns void hides no value.
      '@typescript-eslint/no-confusing-void-expression': [
        'error',
        { ignoreArrowShorthand: true, ignoreVoidReturningFunctions: true },
      ],
      // `let x;` read by a closure (a signal handler) before its one assignment below: `const` would
      // make that read a TDZ error.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // `_`-prefixed parameters are the ones an interface makes us accept and we do not use.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['test/**'],
    rules: {
      // Vitest's asymmetric matchers (`expect.any(Number)`, `expect.stringContaining(…)`) are typed
      // `any`, and tests read JSON that they write or that the code under test printed (`JSON.parse(stdout)`)
      // and then assert its shape: the assertion is the check these rules ask for. src/ keeps them.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // Test helpers that parse JSON (`lastJsonLine<T>(stdout)`) take the shape the caller expects as a
      // type parameter; the test's assertions check it.
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      // `const { join } = await import('node:path')` and `expect(object.method)`: Node's and Vitest's
      // functions that do not use `this`, which the rule cannot tell from their types.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // The fingerprint of an in-process app hashes its source text: the test builds functions from text
    // (`new Function(…)`) to get two with the same behaviour and different sources.
    files: ['test/config/fingerprint.test.ts'],
    rules: { '@typescript-eslint/no-implied-eval': 'off' },
  },
  {
    // Outside tsconfig.json (its exclude of the consumer projects, `test/consumers/*/**`, also matches
    // these) and importing the untyped harness (harness/consumers.mjs): linted without type information.
    files: ['test/consumers/*.ts', 'test/consumers/contract/*.ts'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // Loaded by Jest in the consumer projects, which provides these globals.
    files: ['test/consumers/contract/jest-contract.cjs'],
    languageOptions: { globals: { ...globals.jest } },
  },
  {
    // The page Vite serves in test/readiness (a browser script).
    files: ['test/fixtures/vite-app/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: {
      // CommonJS files load with require; that is what they test.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
);
