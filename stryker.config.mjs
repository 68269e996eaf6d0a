// Mutation testing of the core modules (npm run mutation; not part of npm test): docs/contributing.md
// gives each module's score and why each surviving mutant is harmless.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'src/sync/windows.ts',
    'src/sync/state.ts',
    'src/pardot/retry.ts',
    'src/redact.ts',
    'src/extract/timezone.ts',
    'src/extract/bytes.ts',
    'src/extract/encode.ts',
    'src/extract/join.ts',
  ],
  coverageAnalysis: 'perTest',
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  concurrency: 2,
  // Results are kept in reports/stryker-incremental.json: a later run tests again only the mutants
  // whose code or covering tests changed (--force tests them all).
  incremental: true,
  thresholds: { high: 90, low: 80, break: null },
};
