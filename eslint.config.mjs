// ESLint flat config: typescript-eslint with type information, house rules from docs/STYLE.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

/** `err.name === '...'`, `x.cause.name !== ...`, `switch (error.name)`, `e.constructor.name === ...` (tests: test/unit/lint.test.ts). */
const ERROR_LIKE = String.raw`/^(e|err|error|ex|exc|exception|cause|failure|reason)$/i`;
const ERROR_NAME = [
  `MemberExpression[computed=false][property.name='name'][object.type='Identifier'][object.name=${ERROR_LIKE}]`,
  `MemberExpression[computed=false][property.name='name'][object.type='MemberExpression'][object.property.name=${ERROR_LIKE}]`,
  `MemberExpression[computed=false][property.name='name'][object.type='MemberExpression'][object.property.name='constructor']`,
];
const ERROR_NAME_MESSAGE =
  'Do not compare error names as strings: use instanceof the error class, or the declared `type` of a PipelineError / ApplicationFailure (src/reasons.ts).';
export const ERROR_NAME_COMPARISONS = ERROR_NAME.flatMap((m) => [
  { selector: `BinaryExpression[operator=/^[!=]==?$/] > ${m}`, message: ERROR_NAME_MESSAGE },
  { selector: `SwitchStatement > ${m}.discriminant`, message: ERROR_NAME_MESSAGE },
]);

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', '.tools/**', 'test-output/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner tracks itself.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      // Errors are told apart by class (instanceof) or by their declared `type` (src/reasons.ts), never by the
      // `name` string: a renamed class silently turns such a comparison false (issue 24: stored.ts compared
      // err.name with a class that no longer existed, so a deleted instance killed follow and reprocess runs).
      'no-restricted-syntax': ['error', ...ERROR_NAME_COMPARISONS],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O or clock/random modules.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflows must be deterministic: no Node built-ins.' })),
            { name: 'axios', message: 'Workflows do no I/O: call an activity.' },
            { name: 'adm-zip', message: 'Workflows do no I/O: call an activity.' },
            { name: 'onnxruntime-node', message: 'Workflows do no I/O: call an activity.' },
            { name: 'dcmjs', message: 'Workflows stay thin: DICOM work belongs in activities.' },
            { name: '@temporalio/activity', message: 'Workflows import @temporalio/workflow only.' },
            { name: '@temporalio/worker', message: 'Workflows import @temporalio/workflow only.' },
            { name: '@temporalio/client', message: 'Workflows import @temporalio/workflow only.' },
          ],
          patterns: [
            {
              group: ['../dicom/*', '../dicom', '../zip/*', '../zip'],
              message:
                'Workflows must not import src/dicom or src/zip (I/O and heavy code): use activities and shared types.',
            },
          ],
        },
      ],
    },
  },
);
