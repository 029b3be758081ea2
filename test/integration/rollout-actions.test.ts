/**
 * `runctl rollout status|promote|abort|undo` against a rollout that another runctl is
 * driving (in-process, waiting on the emulator's clock): the manual action wins, and
 * the driver notices it on its next look and stops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness';
import { advancing, canaryYaml, latestRevision, record, split, until } from './rollout-helpers';

describe('rollout status, abort, promote and undo', () => {
  let h: Harness;
  let file: string;
  let v1: string;
  beforeAll(async () => {
    h = await startHarness();
    file = h.write('shop.yaml', canaryYaml('shop', 'shop:1'));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    v1 = await latestRevision(h, 'shop');
  });
  afterAll(async () => h?.close());

  /** Start an apply of `img` and wait until its first step is live. */
  async function startRollout(img: string): Promise<{ applying: Promise<{ code: number; stdout: string; stderr: string }>; canary: string }> {
    h.write('shop.yaml', canaryYaml('shop', img));
    const applying = h.cli(['apply', '-f', file]);
    await until(async () => {
      const rec = await record(h, 'shop');
      return rec?.phase === 'progressing' && rec.step === 1 && rec.revision === (await latestRevision(h, 'shop'));
    }, `step 1 of ${img}`);
    return { applying, canary: await latestRevision(h, 'shop') };
  }

  it('status shows the step, the traffic and the gate; abort rolls back now', async () => {
    const { applying, canary } = await startRollout('shop:2');
    // Let the step gather a few minutes of traffic for the status figures.
    await h.cli(['rollout', 'status', 'shop', '-f', file]);
    await fetch(`http://${h.emu.http}/__emulator/clock/advance`, { method: 'POST', body: JSON.stringify({ seconds: 150 }), headers: { 'content-type': 'application/json' } });
    const status = await h.cli(['rollout', 'status', 'shop', '-f', file]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Rollout of ${canary}: progressing, step 1/3 (10% on the new revision)`);
    expect(status.stdout).toContain(`good: ${v1}`);
    expect(status.stdout).toContain('gate: 5xx ratio ≤ 2% · at least 100 requests per step, else fail');
    expect(status.stdout).toMatch(/now \((pass|nodata), since .*\): /);
    expect(status.stdout).toMatch(new RegExp(`${canary}\\s+10%\\s+next`));
    expect(status.stdout).toMatch(new RegExp(`${v1}\\s+90%\\s+good`));

    const abort = await h.cli(['rollout', 'abort', 'shop', '-f', file]);
    expect(abort.code, abort.stderr).toBe(0);
    expect(abort.stdout).toContain(`rollout of ${canary} aborted: 100% of traffic on ${v1} (tag good)`);
    expect(await split(h, 'shop')).toEqual([`${canary}:0:next`, `${v1}:100:good`].sort());

    // The apply that was driving it wakes up, sees the abort and fails.
    const res = await advancing(h, applying);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(`the rollout of ${canary} was aborted: aborted by runctl rollout abort at step 1/3 (10%)`);
    expect(await split(h, 'shop')).toEqual([`${canary}:0:next`, `${v1}:100:good`].sort());

    const again = await h.cli(['rollout', 'abort', 'shop', '-f', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is not in progress (aborted)');
  });

  it('promote skips to 100%; the driving apply ends successfully', async () => {
    const { applying, canary } = await startRollout('shop:3');
    // By name and region, without manifests.
    const promote = await h.cli(['rollout', 'promote', 'shop', '--region', 'europe-north1']);
    expect(promote.code, promote.stderr).toBe(0);
    expect(promote.stdout).toContain(`${canary} promoted: 100% of traffic, tag good`);
    expect(await split(h, 'shop')).toEqual([`${canary}:100:good`]);
    const res = await advancing(h, applying);
    expect(res.code, res.stderr).toBe(0);
    expect(await record(h, 'shop')).toMatchObject({ phase: 'succeeded', revision: canary, good: v1, message: 'promoted by runctl rollout promote at step 1/3 (10%)' });
  });

  it('undo returns to the revision that was good before the last rollout', async () => {
    const promoted = await latestRevision(h, 'shop');
    const undo = await h.cli(['rollout', 'undo', 'shop', '--region', 'europe-north1', '-o', 'json']);
    expect(undo.code, undo.stderr).toBe(0);
    expect(JSON.parse(undo.stdout)).toMatchObject({ changed: true, record: { phase: 'undone', good: v1, revision: promoted } });
    expect(await split(h, 'shop')).toEqual([`${promoted}:0:next`, `${v1}:100:good`].sort());

    // The manifest still names the undone image, but its template is live: apply leaves the undo alone.
    await h.resetStats();
    const apply = await h.cli(['apply', '-f', file]);
    expect(apply.code).toBe(0);
    expect((await h.stats()).writes).toBe(0);

    const twice = await h.cli(['rollout', 'undo', 'shop', '--region', 'europe-north1']);
    expect(twice.code).toBe(0);
    expect(twice.stdout).toContain('nothing to undo');

    // A new template rolls out from the revision that is good now.
    const next = await advancing(h, (async () => {
      h.write('shop.yaml', canaryYaml('shop', 'shop:4'));
      return h.cli(['apply', '-f', file]);
    })());
    expect(next.code, next.stderr).toBe(0);
    expect(await record(h, 'shop')).toMatchObject({ phase: 'succeeded', good: v1 });
  });

  it('refuses actions on a service without a rollout, and unknown actions', async () => {
    h.write('plain.yaml', canaryYaml('plain', 'plain:1'));
    expect((await h.cli(['apply', '-f', `${h.dir}/plain.yaml`])).code).toBe(0);
    const promote = await h.cli(['rollout', 'promote', 'plain', '--region', 'europe-north1']);
    expect(promote.code).toBe(1);
    expect(promote.stderr).toContain('no rollout is recorded on plain [Refused]');
    const status = await h.cli(['rollout', 'status', 'plain', '--region', 'europe-north1']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Rollout: none recorded');
    const bad = await h.cli(['rollout', 'pause', 'plain']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('[Usage]');
  });
});
