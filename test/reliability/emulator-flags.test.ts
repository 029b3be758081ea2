/**
 * `runctl emulator` fault, latency and quota flags: parsed into the same rules the
 * `/__emulator/faults` and `/__emulator/quotas` endpoints hold, refused when malformed.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFault, parseMethodLatency, parseQuota } from '../../src/cli/commands/emulator-faults';
import { run } from '../../src/cli/program';
import type { FaultRule } from '../../src/emulator/faults';

/** The built CLI (`npm test` compiles first). */
const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');

describe('emulator flag parsing', () => {
  const good = [
    { reason: 'a code name with a rate', parse: () => parseFault('Services.CreateService=UNAVAILABLE:0.2'), want: { method: 'Services.CreateService', code: 'UNAVAILABLE', rate: 0.2 } },
    { reason: 'an HTTP status on every method', parse: () => parseFault('*=429'), want: { method: '*', code: 429 } },
    { reason: 'a failing long-running operation', parse: () => parseFault('Services.*=internal:0.05', true), want: { method: 'Services.*', code: 'INTERNAL', rate: 0.05, operation: true } },
    { reason: 'fixed plus random latency', parse: () => parseMethodLatency('Services.*=50ms+20ms'), want: { method: 'Services.*', code: 0, latencyMs: 50, jitterMs: 20 } },
    { reason: 'fixed latency only', parse: () => parseMethodLatency('Operations.WaitOperation=1s'), want: { method: 'Operations.WaitOperation', code: 0, latencyMs: 1000 } },
    { reason: 'a write quota for a method group', parse: () => parseQuota('Services.:write=180/min'), want: { group: 'Services.', kind: 'write', perMinute: 180 } },
    { reason: 'a quota on a prefix written with *', parse: () => parseQuota('BackendServices.*=30'), want: { group: 'BackendServices.', perMinute: 30 } },
  ];
  it.each(good)('$reason', ({ parse, want }) => {
    expect(parse()).toEqual(want);
  });

  const bad = [
    { reason: 'no code', parse: () => parseFault('Services.CreateService=') },
    { reason: 'an unknown code name', parse: () => parseFault('Services.CreateService=SOMETIMES') },
    { reason: 'OK is not a fault', parse: () => parseFault('*=OK') },
    { reason: 'a rate above 1', parse: () => parseFault('*=UNAVAILABLE:2') },
    { reason: 'a latency that is not a duration', parse: () => parseMethodLatency('*=soon') },
    { reason: 'a quota of zero', parse: () => parseQuota('Services.=0/min') },
    { reason: 'a quota with a bad kind', parse: () => parseQuota('Services.:delete=10') },
  ];
  it.each(bad)('refuses $reason', ({ parse }) => {
    expect(parse).toThrow(/cannot read/);
  });
});

describe('runctl emulator with fault flags', () => {
  it('starts with the rules installed, visible at /__emulator/ (the built binary)', async () => {
    const child = spawn(process.execPath, [
      CLI, 'emulator', '--port', '0',
      '--fault', 'Services.CreateService=UNAVAILABLE:0.2',
      '--operation-fault', 'Services.*=INTERNAL:0.05',
      '--method-latency', 'Services.*=5ms+5ms',
      '--quota', 'Services.:write=180/min',
      '--seed', '4242',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      while (!out.includes('\n')) {
        if (child.exitCode !== null) throw new Error(`emulator exited ${child.exitCode}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const { http } = JSON.parse(out.split('\n')[0]);
      const faults = (await (await fetch(`http://${http}/__emulator/faults`)).json()) as { faults: FaultRule[]; seed: number };
      const quotas = (await (await fetch(`http://${http}/__emulator/quotas`)).json()) as any;
      expect(faults.faults).toEqual([
        { method: 'Services.CreateService', code: 'UNAVAILABLE', rate: 0.2 },
        { method: 'Services.*', code: 'INTERNAL', rate: 0.05, operation: true },
        { method: 'Services.*', code: 0, latencyMs: 5, jitterMs: 5 },
      ]);
      expect(faults.seed).toBe(4242);
      expect(quotas.quotas).toEqual([{ group: 'Services.', kind: 'write', perMinute: 180 }]);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it.each([['-1'], ['4294967296'], ['1.5'], ['abc']])('exits 1 on --seed %s, before listening', async (bad) => {
    let err = '';
    const code = await run(['emulator', '--seed', bad], { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) }, env: {}, cwd: process.cwd() });
    expect(code).toBe(1);
    expect(err).toContain(`--seed: not an integer from 0 to 4294967295: ${bad}`);
  });

  it('exits 1 with a usage message on a malformed rule, before listening', async () => {
    let err = '';
    const code = await run(['emulator', '--fault', 'nonsense'], { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) }, env: {}, cwd: process.cwd() });
    expect(code).toBe(1);
    expect(err).toMatch(/--fault: cannot read "nonsense"/);
  });
});
