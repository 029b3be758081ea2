/**
 * kill -9 of the CLI in the middle of an apply: the built `runctl` runs as a child
 * process against an emulator whose operations take time, is killed at a random point
 * after its first write, and the next apply converges to exactly the world an
 * uninterrupted apply makes — no duplicate, nothing orphaned.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness';
import { inventory, mixedFleet } from './world';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');
const TRIALS = 3;
const OP_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kill -9 during apply', () => {
  const fleet = mixedFleet({ services: 6, volumes: 1, lbs: 2, prefix: 'k' });
  /** The world an uninterrupted apply makes (computed while the trials run). */
  let want: Promise<Record<string, string[]>>;

  function writeFleet(h: Harness): string {
    const dir = path.join(h.dir, 'fleet');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'fleet.yaml'), fleet.yaml);
    return dir;
  }

  beforeAll(() => {
    want = (async () => {
      const ref = await startHarness({ operationLatencyMs: OP_MS });
      try {
        const r = await ref.cli(['apply', '-f', writeFleet(ref)]);
        if (r.code !== 0) throw new Error(`reference apply exited ${r.code}: ${r.stderr}`);
        return await inventory(ref.clients);
      } finally {
        await ref.close();
      }
    })();
    want.catch(() => {});
  });

  const harnesses: Harness[] = [];
  afterAll(async () => {
    for (const h of harnesses) await h.close();
  });

  // The trials run side by side, each against its own emulator.
  it.concurrent.each(Array.from({ length: TRIALS }, (_, i) => ({ trial: i + 1 })))('trial $trial: the next apply converges with no duplicates', async () => {
    const h = await startHarness({ operationLatencyMs: OP_MS });
    harnesses.push(h);
    const dir = writeFleet(h);
    const child = spawn(process.execPath, [CLI, 'apply', '-f', dir, '--yes'], {
      cwd: h.dir,
      env: { ...process.env, RUNCTL_EMULATOR_HOST: h.emu.grpc, NO_COLOR: '1' },
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Kill at a random point after the first write: mid-create, mid-operation, mid-chain.
    // Bounded generously: on a loaded 2-core machine a cold CLI start takes many seconds.
    const deadline = Date.now() + 90_000;
    while (h.emu.core.stats.writes === 0 && child.exitCode === null && Date.now() < deadline) await sleep(5);
    await sleep(Math.random() * 1500);
    const killedMidway = child.exitCode === null;
    child.kill('SIGKILL');
    await exited;
    expect(h.emu.core.stats.writes).toBeGreaterThan(0);

    const codes: number[] = [];
    for (let run = 0; run < 3; run++) {
      const r = await h.cli(['apply', '-f', dir]);
      codes.push(r.code);
      if (r.code === 0) break;
    }
    expect(codes[codes.length - 1], `exit codes after the kill (killed midway: ${killedMidway}): ${codes.join(', ')}`).toBe(0);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
    expect(await inventory(h.clients)).toEqual(await want);
  }, 240_000);
});
