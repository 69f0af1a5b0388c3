// ESLint flat config: typescript-eslint with type information, house rules from docs/STYLE.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

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
