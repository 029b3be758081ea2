/**
 * How apply spends its time: by default every independent resource is in flight at
 * once (each waiting on its own operation with one WaitOperation call), and
 * `--parallelism 1` is one resource after the other. Checked on the state of the
 * world — the services' create times against the operation latency — not on wall time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, type Harness } from '../helpers/harness';

const OP_MS = 400;

describe('apply concurrency', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ operationLatencyMs: OP_MS });
  });
  afterAll(async () => h?.close());

  async function applyIn(region: string, n: number, extra: string[] = []) {
    const dir = path.join(h.dir, region);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'all.yaml'), Array.from({ length: n }, (_, i) => serviceYaml(`c${i}`, { region })).join('---\n'));
    await h.resetStats();
    const r = await h.cli(['apply', '-f', dir, ...extra]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const stats = await h.stats();
    const [list] = await h.clients.runServices().listServices({ parent: `projects/local-project/locations/${region}`, pageSize: 1000 });
    const created = list.map((s: any) => Number(s.createTime.seconds) * 1000 + Math.round(Number(s.createTime.nanos ?? 0) / 1e6)).sort((a, b) => a - b);
    return { created, stats };
  }

  it('by default starts all 40 creates before the first operation is done', async () => {
    const { created, stats } = await applyIn('europe-west1', 40);
    expect(created).toHaveLength(40);
    expect(created[39] - created[0]).toBeLessThan(OP_MS);
    // One wait per operation, no polling.
    expect(stats.calls['Operations.WaitOperation']).toBe(40);
    expect(stats.calls['Operations.GetOperation']).toBeUndefined();
    expect(stats.calls['Services.ListServices']).toBe(1);
  });

  it('--parallelism 1 creates one service after the other is ready', async () => {
    const { created } = await applyIn('europe-west2', 3, ['--parallelism', '1']);
    expect(created).toHaveLength(3);
    expect(created[1] - created[0]).toBeGreaterThanOrEqual(OP_MS);
    expect(created[2] - created[1]).toBeGreaterThanOrEqual(OP_MS);
  });
});
