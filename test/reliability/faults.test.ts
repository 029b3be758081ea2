/**
 * Apply under faults: with 20% of calls failing transiently (UNAVAILABLE, and
 * RESOURCE_EXHAUSTED with Retry-After) and 5% of long-running operations failing, an
 * apply of 100 resources of mixed kinds (Services, Volumes, LoadBalancers) converges
 * within a bounded number of re-runs, and the world it leaves is exactly the world a
 * fault-free apply of the same manifests makes: no duplicate, no orphaned sub-resource.
 *
 * The faulty applies run the engine the way `runctl apply` does (load and validate,
 * plan, execute) with clients whose backoff is scaled down, so the test takes seconds;
 * the checks afterwards go through the CLI. The faults' random choices are seeded; a failure
 * prints the seed and the command that replays it (test/helpers/seed.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadValid } from '../../src/lib/manifests';
import { executePlan } from '../../src/engine/executor';
import { makePlan } from '../../src/engine/planner';
import { newSession } from '../../src/lib/session';
import { Clients } from '../../src/gcp/clients';
import { startHarness, type Harness } from '../helpers/harness';
import { printSeedOnFailure, TEST_SEED } from '../helpers/seed';
import { inventory, mixedFleet, PROJECT } from './world';

/** `runctl apply -f dir`, in-process, with fast retries; failures are per resource, never thrown. */
async function applyOnce(h: Harness, dir: string): Promise<{ failed: number; errors: string[] }> {
  const clients = new Clients({ mode: 'emulator', grpc: h.emu.grpc, http: h.emu.http }, undefined, { initialMs: 20, maxMs: 200 });
  try {
    const manifests = await loadValid([dir], { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: h.dir });
    const session = newSession({ target: { info: { mode: 'emulator', description: 'faulty emulator', fallbackProject: PROJECT, fallbackRegion: 'us-central1' }, clients } });
    const plan = await makePlan(session, manifests);
    const result = await executePlan(session, plan);
    return { failed: result.failed, errors: result.results.filter((r) => r.error).map((r) => `${r.key}: ${r.error}`) };
  } finally {
    await clients.close();
  }
}

/** Re-runs allowed before the apply must have converged. */
const MAX_RUNS = 6;

printSeedOnFailure('test/reliability/faults.test.ts');

describe('apply of 100 mixed resources under faults', () => {
  const fleet = mixedFleet({ services: 70, volumes: 15, lbs: 15 });
  let faulty: Harness;
  let reference: Harness;
  let dirF: string;
  let dirR: string;

  beforeAll(async () => {
    [faulty, reference] = await Promise.all([startHarness(), startHarness()]);
    dirF = path.join(faulty.dir, 'fleet');
    dirR = path.join(reference.dir, 'fleet');
    for (const d of [dirF, dirR]) {
      fs.mkdirSync(d, { recursive: true });
      fs.writeFileSync(path.join(d, 'fleet.yaml'), fleet.yaml);
    }
  });
  afterAll(async () => {
    await faulty?.close();
    await reference?.close();
  });

  it('converges within a bounded number of re-runs to the fault-free world', async () => {
    // The reference world is made while the faulty one converges.
    const ref = reference.cli(['apply', '-f', dirR]);
    expect(faulty.emu.core.random.seed).toBe(TEST_SEED);
    faulty.emu.core.faults.push(
      { method: '*', code: 'UNAVAILABLE', rate: 0.15 },
      // Evaluated after the first rule: 0.85 x 0.06 ≈ 5% more, so about 20% in all.
      { method: '*', code: 'RESOURCE_EXHAUSTED', rate: 0.06 },
      { method: '*', code: 'INTERNAL', rate: 0.05, operation: true, message: 'injected: the operation failed' },
    );
    const runs: string[] = [];
    let converged = false;
    for (let run = 0; run < MAX_RUNS && !converged; run++) {
      try {
        const r = await applyOnce(faulty, dirF);
        runs.push(`${r.failed} failed${r.errors.length ? ` (${r.errors[0]})` : ''}`);
        converged = r.failed === 0;
      } catch (err) {
        // A plan can fail as a whole (a read out of retries): that is a run too.
        runs.push(`plan failed: ${(err as Error).message}`);
      }
    }
    faulty.emu.core.faults.length = 0;
    expect(converged, `seed ${TEST_SEED}; runs: ${runs.join('; ')}`).toBe(true);
    const refRun = await ref;
    expect(refRun.stderr).not.toMatch(/✗/);
    expect(refRun.code).toBe(0);
    // The faults did fire: the faulty world took more calls (retries, re-runs) than the reference.
    const total = (s: { reads: number; writes: number }) => s.reads + s.writes;
    expect(total(await faulty.stats())).toBeGreaterThan(total(await reference.stats()));

    // Settled: nothing left to do.
    const diff = await faulty.cli(['diff', '-f', dirF]);
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
    await faulty.resetStats();
    expect((await faulty.cli(['apply', '-f', dirF])).code).toBe(0);
    expect((await faulty.stats()).writes).toBe(0);

    // The same world, resource for resource.
    const [got, want] = await Promise.all([inventory(faulty.clients), inventory(reference.clients)]);
    expect(want.services).toEqual([...fleet.services].sort());
    expect(want.buckets).toEqual([...fleet.buckets].sort());
    expect(want.forwardingRules.length).toBeGreaterThanOrEqual(fleet.loadBalancers.length);
    expect(got).toEqual(want);
  });
});
