/**
 * Two `runctl apply` processes that want different values for one field, at once. Each
 * output must be true: it names the change it made, or the conflict that stopped it
 * (field, current value, what its plan expected) — never an "updated" it did not make,
 * never a silent revert of the other writer. The live value is what the last successful
 * output says. Two applies that want the same value: one writes, the other reports that
 * the change was already made.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, type Harness } from '../helpers/harness';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');
const REGION = 'europe-north1';
const TRIALS = 3;
const image = (tag: string) => `${REGION}-docker.pkg.dev/p/r/cf:${tag}`;

function runCli(h: Harness, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: h.dir, env: { ...process.env, RUNCTL_EMULATOR_HOST: h.emu.grpc, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', (code) => resolve({ code: code ?? -1, out }));
  });
}

/** What one process's output claims: the image change it made, or the conflict that stopped it. */
function claim(r: { code: number; out: string }, mine: string): { wrote?: { old: string; new: string }; conflict?: { now: string; expected: string }; alreadyDone?: boolean } {
  const planned = new RegExp(`~ spec\\.image: "([^"]+)" → "${mine.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`).exec(r.out);
  const conflict = /spec\.image is now "([^"]+)" \(plan expected "([^"]+)"\)/.exec(r.out);
  if (r.code === 0 && /Service\/cf \(unchanged: already applied by another writer\)/.test(r.out)) return { alreadyDone: true };
  if (r.code === 0 && /No changes/.test(r.out)) return {};
  if (r.code === 0) {
    expect(r.out, r.out).toMatch(/✓ Service\/cf \(updated\)/);
    expect(planned, r.out).not.toBeNull();
    return { wrote: { old: planned![1], new: mine } };
  }
  expect(r.out, r.out).toMatch(/another writer changed Service\/cf since the plan/);
  expect(conflict, r.out).not.toBeNull();
  expect(r.out).not.toMatch(/✓ Service\/cf \(updated\)/);
  return { conflict: { now: conflict![1], expected: conflict![2] } };
}

describe('two concurrent applies of one field', () => {
  let h: Harness;
  const live = async () => ((await h.clients.runServices().getService({ name: `projects/local-project/locations/${REGION}/services/cf` }))[0] as any).template.containers[0].image as string;

  beforeAll(async () => {
    h = await startHarness();
    // Both processes read before either writes: reads and writes take 300 ms.
    const faults = ['Services.ListServices', 'Services.UpdateService'].map((method) => ({ method, code: 0, latencyMs: 300 }));
    await fetch(`http://${h.emu.http}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ faults }) });
  });
  afterAll(async () => h?.close());

  it.each(Array.from({ length: TRIALS }, (_, i) => ({ trial: i + 1 })))('trial $trial: different values — each output is true, live is the last success', async ({ trial }) => {
    const base = h.write(`t${trial}/base.yaml`, serviceYaml('cf', { image: image(`base-${trial}`) }));
    expect((await h.cli(['apply', '-f', base])).code).toBe(0);
    const a = h.write(`t${trial}/a/svc.yaml`, serviceYaml('cf', { image: image(`a-${trial}`) }));
    const b = h.write(`t${trial}/b/svc.yaml`, serviceYaml('cf', { image: image(`b-${trial}`) }));
    const [ra, rb] = await Promise.all([runCli(h, ['apply', '-f', a]), runCli(h, ['apply', '-f', b])]);
    const ca = claim(ra, image(`a-${trial}`));
    const cb = claim(rb, image(`b-${trial}`));
    const now = await live();
    const wrote = [ca, cb].filter((c) => c.wrote).map((c) => c.wrote!);
    expect(wrote.length, `${ra.out}\n----\n${rb.out}`).toBeGreaterThan(0);
    if (wrote.length === 2) {
      // One planned after the other had written: its "old" is the other's value (no silent revert).
      const [first, second] = wrote[0].new === wrote[1].old ? wrote : [wrote[1], wrote[0]];
      expect(second.old).toBe(first.new);
      expect(now).toBe(second.new);
    } else {
      expect(now).toBe(wrote[0].new);
      // The loser names the value the winner wrote and what its own plan expected.
      const lost = ca.conflict ?? cb.conflict!;
      expect(lost.now).toBe(wrote[0].new);
      expect(lost.expected).toBe(image(`base-${trial}`));
    }
  });

  it('the same value from both: one updates, the other says it was already applied', async () => {
    const base = h.write('same/base.yaml', serviceYaml('cf', { image: image('same-base') }));
    expect((await h.cli(['apply', '-f', base])).code).toBe(0);
    const file = h.write('same/svc.yaml', serviceYaml('cf', { image: image('same') }));
    const results = await Promise.all([runCli(h, ['apply', '-f', file]), runCli(h, ['apply', '-f', file])]);
    for (const r of results) expect(r.code, r.out).toBe(0);
    const claims = results.map((r) => claim(r, image('same')));
    // One write, claimed once: the other process says it found the change made, never "updated".
    expect(claims.filter((c) => c.wrote).length, results.map((r) => r.out).join('\n----\n')).toBe(1);
    expect(await live()).toBe(image('same'));
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);
  });
});
