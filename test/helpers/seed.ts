/**
 * The seed of the emulators' fault injection in tests, so a failing run can be replayed:
 * `RUNCTL_TEST_SEED=N npx vitest run <file>` gives every emulator the file starts the
 * seed N (and thus the same random fault choices for the same sequence of calls).
 */
import { beforeEach } from 'vitest';
import { isSeed, randomSeed } from '../../src/emulator/random';

/** `RUNCTL_TEST_SEED` when set, else a fresh random seed — one per test file. */
export const TEST_SEED: number = seedFromEnv(process.env.RUNCTL_TEST_SEED);

function seedFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return randomSeed();
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!isSeed(n)) throw new Error(`RUNCTL_TEST_SEED: not an integer from 0 to 4294967295: ${value}`);
  return n;
}

/** Register (per test) a line naming the seed and the replay command when the test fails. */
export function printSeedOnFailure(file: string): void {
  beforeEach((ctx) => {
    ctx.onTestFailed(() => {
      console.error(`fault injection seed ${TEST_SEED}: replay with RUNCTL_TEST_SEED=${TEST_SEED} npx vitest run ${file}`);
    });
  });
}
