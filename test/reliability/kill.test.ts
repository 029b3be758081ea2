/**
 * kill -9 of the CLI in the middle of an apply: the built `runctl` runs as a child
 * process against an emulator whose operations take time, is killed at a random point
 * after its first write, and the next apply converges to exactly the world an
 * uninterrupted apply makes — no duplicate, nothing orphaned.
 *
 * A kill that lands too late (every write already sent, or the process already gone)
 * proves nothing, so each trial checks that its kill landed mid-apply — at least one
 * write reached the emulator and fewer than an uninterrupted apply sends — and otherwise
 * starts over on a fresh emulator with an earlier kill, a bounded number of times.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness';
import { inventory, mixedFleet } from './world';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');
const TRIALS = 3;
/** Fresh starts a trial may take before its kill lands mid-apply. */
const ATTEMPTS = 4;
const OP_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kill -9 during apply', () => {
  const fleet = mixedFleet({ services: 6, volumes: 1, lbs: 2, prefix: 'k' });
  /** An uninterrupted apply: the world it makes and the writes it sends (computed while the trials run). */
  let want: Promise<{ world: Record<string, string[]>; writes: number }>;

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
        const before = ref.emu.core.stats.writes;
        const r = await ref.cli(['apply', '-f', writeFleet(ref)]);
        if (r.code !== 0) throw new Error(`reference apply exited ${r.code}: ${r.stderr}`);
        return { world: await inventory(ref.clients), writes: ref.emu.core.stats.writes - before };
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

  /** Start an apply, SIGKILL it `Math.random() * maxDelayMs` after its first write; what the emulator saw. */
  async function killOnce(h: Harness, dir: string, maxDelayMs: number): Promise<{ delayMs: number; writes: number; exitedFirst: boolean }> {
    const child = spawn(process.execPath, [CLI, 'apply', '-f', dir, '--yes'], {
      cwd: h.dir,
      env: { ...process.env, RUNCTL_EMULATOR_HOST: h.emu.grpc, NO_COLOR: '1' },
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Bounded generously: on a loaded 2-core machine a cold CLI start takes many seconds.
    const deadline = Date.now() + 90_000;
    while (h.emu.core.stats.writes === 0 && child.exitCode === null && Date.now() < deadline) await sleep(5);
    // Mid-create, mid-operation, mid-chain: anywhere after the first write.
    const delayMs = Math.round(Math.random() * maxDelayMs);
    await sleep(delayMs);
    const exitedFirst = child.exitCode !== null;
    child.kill('SIGKILL');
    await exited;
    // Requests the child sent before it died may still be in this process's socket buffers.
    await sleep(100);
    return { delayMs, writes: h.emu.core.stats.writes, exitedFirst };
  }

  // The trials run side by side, each against its own emulator.
  it.concurrent.each(Array.from({ length: TRIALS }, (_, i) => ({ trial: i + 1 })))('trial $trial: killed mid-apply, the next apply converges with no duplicates', async () => {
    const attempts: string[] = [];
    let h: Harness | undefined;
    let dir = '';
    let midApply = false;
    for (let attempt = 1; attempt <= ATTEMPTS && !midApply; attempt++) {
      if (h) await h.close();
      h = await startHarness({ operationLatencyMs: OP_MS });
      dir = writeFleet(h);
      // Each fresh start kills earlier: a late kill is the only way to miss.
      const k = await killOnce(h, dir, 1500 / 2 ** (attempt - 1));
      const { writes: total } = await want;
      midApply = !k.exitedFirst && k.writes > 0 && k.writes < total;
      attempts.push(`attempt ${attempt}: killed ${k.delayMs} ms after the first write; ${k.writes} of ${total} writes sent${k.exitedFirst ? '; the apply had already exited' : ''}`);
    }
    harnesses.push(h!);
    const hh = h!;
    expect(midApply, `no kill landed mid-apply:\n${attempts.join('\n')}`).toBe(true);

    const codes: number[] = [];
    for (let run = 0; run < 3; run++) {
      const r = await hh.cli(['apply', '-f', dir]);
      codes.push(r.code);
      if (r.code === 0) break;
    }
    expect(codes[codes.length - 1], `exit codes after the kill (${attempts.join('; ')}): ${codes.join(', ')}`).toBe(0);
    expect((await hh.cli(['diff', '-f', dir])).code).toBe(0);
    expect(await inventory(hh.clients)).toEqual((await want).world);
  }, 480_000);
});
