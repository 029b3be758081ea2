/**
 * `runctl watch`: the time from saving a manifest to the first write reaching the API.
 * The watcher runs as a child process against the realistic emulator; each trial edits
 * the image tag of one Service in a fleet, and the clock stops when the emulator counts
 * the write (its counters are updated when a request arrives, before its latency).
 * The watcher runs with its default `--debounce`, as a user's would.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { durationMs } from '../../src/loop/runtime';
import { DEFAULT_DEBOUNCE } from '../../src/loop/watch-defaults';
import { BENCH_PROJECT, serviceDoc, writeFleet } from './manifests';
import { CLI, median, startEmulatorChild, stop } from './procs';
import { cliEnv, emulatorFlags, tmpDir, type World } from './scenarios';

export interface WatchResult {
  trials: number[];
  median: number;
  min: number;
  max: number;
  debounceMs: number;
  fleet: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function watchLatency(w: World, fleet = 20, trials = 7): Promise<WatchResult> {
  const emu = await startEmulatorChild(emulatorFlags(w));
  const dir = writeFleet(path.join(tmpDir('watch'), 'fleet'), fleet);
  const child = spawn(process.execPath, [CLI, 'watch', '-f', dir, '--project', BENCH_PROJECT, '--log-format', 'json'], {
    cwd: path.dirname(dir),
    env: { ...process.env, ...cliEnv(emu, w) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const reconciled = () => (log.match(/"message":"reconciled/g) ?? []).length;
  const until = async (cond: () => boolean | Promise<boolean>, what: string, ms = 60_000) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (child.exitCode !== null) throw new Error(`watch exited ${child.exitCode}: ${log.slice(-1500)}`);
      if (Date.now() > end) throw new Error(`watch: timed out waiting for ${what}: ${log.slice(-1500)}`);
      await sleep(5);
    }
  };
  try {
    await until(() => reconciled() >= 1, 'the initial apply');
    const out: number[] = [];
    for (let t = 0; t < trials; t++) {
      const before = (await emu.stats()).writes;
      const passes = reconciled();
      // Trial t edits service t; earlier edits stay as they are.
      const docs = Array.from({ length: fleet }, (_, i) => serviceDoc(i, { tag: i <= t ? `edit-${i}` : '1' }));
      const t0 = performance.now();
      fs.writeFileSync(path.join(dir, 'fleet.yaml'), docs.join('\n---\n') + '\n');
      await until(async () => (await emu.stats()).writes > before, 'the first write');
      out.push(performance.now() - t0);
      await until(() => reconciled() > passes, 'the pass to finish');
    }
    return { trials: out, median: median(out), min: Math.min(...out), max: Math.max(...out), debounceMs: durationMs(DEFAULT_DEBOUNCE, '--debounce'), fleet };
  } finally {
    await stop(child);
    await emu.stop();
  }
}
