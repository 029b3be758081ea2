/**
 * A rollout survives the death of the runctl that started it: its progress lives on the
 * Cloud Run service, so a plain apply (or watch, or another machine) resumes it from the
 * recorded step. Also: the embedded emulator moves its own clock, so a rollout there
 * needs nobody to drive time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { packageRoot } from '../../src/package-root';
import { startHarness, type Harness } from '../helpers/harness';
import { startCli, within } from '../helpers/loop-runner';
import { advancing, canaryYaml, cliWithSignal, latestRevision, record, split, until } from './rollout-helpers';

describe('rollout resume', () => {
  let h: Harness;
  let file: string;
  beforeAll(async () => {
    h = await startHarness();
    file = h.write('shop.yaml', canaryYaml('shop', 'shop:1'));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
  });
  afterAll(async () => h?.close());

  it('killed mid-rollout, a plain apply resumes from the recorded step', async () => {
    const good = await latestRevision(h, 'shop');
    h.write('shop.yaml', canaryYaml('shop', 'shop:2'));
    const abort = new AbortController();
    const killed = cliWithSignal(h, ['apply', '-f', file], abort.signal);
    // Step 1 is written, then runctl waits on the emulator's clock: kill it there.
    await until(async () => (await record(h, 'shop'))?.step === 1, 'step 1 on the service');
    abort.abort(new Error('SIGINT'));
    const dead = await killed;
    expect(dead.code).toBe(1);
    expect(dead.stdout + dead.stderr).toContain('the next apply or watch resumes it');

    const canary = await latestRevision(h, 'shop');
    expect(await split(h, 'shop')).toEqual([`${canary}:10:next`, `${good}:90:good`].sort());
    expect(await record(h, 'shop')).toMatchObject({ phase: 'progressing', step: 1, percent: 10, revision: canary, good });

    const plan = await h.cli(['plan', '-f', file]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain(`resumes the canary rollout recorded on the service at step 1/3 (10% on ${canary})`);

    const resumed = await advancing(h, h.cli(['apply', '-f', file]));
    expect(resumed.code, resumed.stderr).toBe(0);
    // Step 1 is not started again: the resumed run observes it, then goes on to 50% and 100%.
    const steps = [...resumed.stderr.matchAll(/step (\d)\/3: (\d+)% of traffic to/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(steps).toEqual(['2:50', '3:100']);
    expect(resumed.stderr).toContain('step 1/3 (10% on');
    expect(await split(h, 'shop')).toEqual([`${canary}:100:good`]);
    expect(await record(h, 'shop')).toMatchObject({ phase: 'succeeded', revision: canary, good });
  });
});

describe('rollout resumed by watch', () => {
  it('a rollout killed mid-way is finished by `runctl watch` from the recorded step', async () => {
    const h = await startHarness();
    try {
      const file = h.write('watched/shop.yaml', canaryYaml('shop', 'shop:1'));
      expect((await h.cli(['apply', '-f', file])).code).toBe(0);
      const good = await latestRevision(h, 'shop');
      h.write('watched/shop.yaml', canaryYaml('shop', 'shop:2'));
      const abort = new AbortController();
      const killed = cliWithSignal(h, ['apply', '-f', file], abort.signal);
      await until(async () => (await record(h, 'shop'))?.step === 1, 'step 1 on the service');
      abort.abort(new Error('SIGTERM'));
      expect((await killed).code).toBe(1);
      const canary = await latestRevision(h, 'shop');

      await h.resetStats();
      const w = startCli(['watch', '-f', 'watched', '--log-format', 'json'], { env: { RUNCTL_EMULATOR_HOST: h.emu.grpc }, cwd: h.dir });
      try {
        await advancing(h, until(async () => (await record(h, 'shop'))?.phase === 'succeeded', 'the rollout to finish under watch', 30_000));
        expect(await split(h, 'shop')).toEqual([`${canary}:100:good`]);
        expect(await record(h, 'shop')).toMatchObject({ revision: canary, good, step: 3 });
        // Watch went on from the recorded step: 50%, 100%, promotion — step 1 was not written again.
        expect((await h.stats()).calls['Services.UpdateService']).toBe(3);
      } finally {
        expect(await w.stop()).toBe(0);
      }
    } finally {
      await h.close();
    }
  });
});

describe('rollout with the built runctl', () => {
  const BIN = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  const runctl = (args: string[], cwd: string, env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out })));
    return { child, done };
  };

  it('SIGKILLed mid-rollout, the next apply resumes it from the recorded step', async () => {
    const h = await startHarness();
    try {
      const file = h.write('shop.yaml', canaryYaml('shop', 'shop:1'));
      expect((await h.cli(['apply', '-f', file])).code).toBe(0);
      const good = await latestRevision(h, 'shop');
      h.write('shop.yaml', canaryYaml('shop', 'shop:2'));
      const first = runctl(['apply', '-f', file], h.dir, { RUNCTL_EMULATOR_HOST: h.emu.grpc });
      // Let it reach step 2 (50%), then kill it without warning.
      const moving = advancing(h, until(async () => (await record(h, 'shop'))?.step === 2, 'step 2 on the service', 30_000));
      await moving;
      first.child.kill('SIGKILL');
      expect((await first.done).signal).toBe('SIGKILL');
      const canary = await latestRevision(h, 'shop');
      expect(await split(h, 'shop')).toEqual([`${canary}:50:next`, `${good}:50:good`].sort());

      const resumed = await advancing(h, h.cli(['apply', '-f', file]));
      expect(resumed.code, resumed.stderr).toBe(0);
      const steps = [...resumed.stderr.matchAll(/step (\d)\/3: (\d+)% of traffic to/g)].map((m) => `${m[1]}:${m[2]}`);
      expect(steps).toEqual(['3:100']);
      expect(await split(h, 'shop')).toEqual([`${canary}:100:good`]);
    } finally {
      await h.close();
    }
  });

  it('on the embedded emulator, runctl moves the clock of its own emulator: nobody drives time', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-embedded-'));
    const rollout = { strategy: 'canary', steps: [25, 100], interval: '10m', maxErrorRate: 0.05 };
    try {
      const file = path.join(dir, 'shop.yaml');
      fs.writeFileSync(file, canaryYaml('shop', 'shop:1', rollout));
      const created = await runctl(['apply', '-f', file], dir).done;
      expect(created.code, created.out).toBe(0);
      fs.writeFileSync(file, canaryYaml('shop', 'shop:2', rollout));
      // Two 10-minute steps: were runctl not moving its emulator's clock, this would take
      // 20 real minutes; the bound is far below that.
      const second = runctl(['apply', '-f', file], dir);
      const res = await within(second.done, 45_000, 'the rollout on the embedded emulator').finally(() => second.child.kill());
      expect(res.code, res.out).toBe(0);
      expect(res.out).toMatch(/step 2\/2 \(100% on shop-\S+\) passed: 5xx ratio 0%/);
      expect(res.out).toMatch(/promoting shop-\S+: 100% of traffic, tag good/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
