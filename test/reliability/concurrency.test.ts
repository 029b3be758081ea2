/**
 * How apply spends its time: by default every independent resource is in flight at
 * once (each waiting on its own operation with one WaitOperation call), and
 * `--parallelism 1` is one resource after the other. The emulator's simulated clock is
 * frozen (`timeScale: 0`) and moved only by the test, so an operation can finish only
 * when the test says so: the evidence is the order of events and the services' create
 * times on that clock, never wall time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, type CliResult, type Harness } from '../helpers/harness';
import { poll } from '../helpers/loop-runner';

const OP_MS = 400;

describe('apply concurrency', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ operationLatencyMs: OP_MS, timeScale: 0 });
  });
  afterAll(async () => h?.close());

  /** Write `n` services in `region`; start `runctl apply` on them (`done` is not awaited). */
  async function startApply(region: string, n: number, extra: string[] = []): Promise<{ done: Promise<CliResult> }> {
    const dir = path.join(h.dir, region);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'all.yaml'), Array.from({ length: n }, (_, i) => serviceYaml(`c${i}`, { region })).join('---\n'));
    await h.resetStats();
    return { done: h.cli(['apply', '-f', dir, ...extra]) };
  }

  async function listIn(region: string) {
    const [list] = await h.clients.runServices().listServices({ parent: `projects/local-project/locations/${region}`, pageSize: 1000 });
    return list;
  }

  /** The services' create times on the emulator's clock, ms, ascending. */
  async function createTimes(region: string): Promise<number[]> {
    return (await listIn(region))
      .map((s) => Number(s.createTime?.seconds ?? 0) * 1000 + Math.round(Number(s.createTime?.nanos ?? 0) / 1e6))
      .sort((a, b) => a - b);
  }

  function expectSucceeded(r: CliResult): void {
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
  }

  it('by default starts all 40 creates before the first operation is done', async () => {
    const { done: applying } = await startApply('europe-west1', 40);
    // The clock stands still, so no operation can be done yet: all 40 creates arrive
    // while every service is still reconciling.
    await poll(async () => ((await h.stats()).calls['Services.CreateService'] ?? 0) >= 40, 30_000, () => 'fewer than 40 creates arrived');
    const pending = await listIn('europe-west1');
    expect(pending).toHaveLength(40);
    expect(pending.filter((s) => !s.reconciling).map((s) => s.name)).toEqual([]);
    h.emu.core.clock.advance(OP_MS);
    expectSucceeded(await applying);

    const stats = await h.stats();
    expect(stats.calls['Services.CreateService']).toBe(40);
    // One wait per operation, no polling.
    expect(stats.calls['Operations.WaitOperation']).toBe(40);
    expect(stats.calls['Operations.GetOperation']).toBeUndefined();
    // One list by apply, one by this test while the operations were pending.
    expect(stats.calls['Services.ListServices']).toBe(2);
    const created = await createTimes('europe-west1');
    expect(created[39] - created[0]).toBe(0);
  });

  it('--parallelism 1 creates one service after the other is ready', async () => {
    const { done: applying } = await startApply('europe-west2', 3, ['--parallelism', '1']);
    // Move the clock on until apply is done: each create can only follow the previous
    // service's operation, which needs OP_MS of simulated time after that create.
    let finished = false;
    void applying.finally(() => (finished = true));
    while (!finished) {
      h.emu.core.clock.advance(OP_MS);
      await new Promise((r) => setTimeout(r, 20));
    }
    expectSucceeded(await applying);
    const created = await createTimes('europe-west2');
    expect(created).toHaveLength(3);
    expect(created[1] - created[0]).toBeGreaterThanOrEqual(OP_MS);
    expect(created[2] - created[1]).toBeGreaterThanOrEqual(OP_MS);
  });
});
