/**
 * The tests `npm run mutation` (Stryker, stryker.config.mjs) runs against each mutant: the fast
 * in-process unit tests of the mutated modules only (no CLI test: the executable runs dist/, which
 * Stryker does not mutate). A run costs mutants × these tests, so the list stays short.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// A mutant that breaks a clean-up (the join's spill folder, say) makes its test fail and leaves
// the folder behind: temporary files go under the run's own folder (Stryker's sandbox, removed
// after the run), not the machine's /tmp.
const tmp = resolve('.mutation-tmp');
mkdirSync(tmp, { recursive: true });

export default defineConfig({
  test: {
    include: [
      'test/windows.test.ts',
      'test/timezone-evidence.test.ts',
      'test/state.test.ts',
      'test/redact.test.ts',
      'test/retry.test.ts',
      'test/extract.test.ts',
      'test/extract-cells.test.ts',
      'test/extract-values.test.ts',
      'test/extract-encode.test.ts',
      'test/extract-timezone.test.ts',
      'test/extract-timezone-parse.test.ts',
      'test/custom-fields.test.ts',
      'test/join.test.ts',
      'test/join-errors.test.ts',
      'test/join-mutants.test.ts',
    ],
    env: { TMPDIR: tmp },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
