/** The loop's work queue and per-resource backoff. */
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/loop/backoff';
import { Scheduler, type Work } from '../../src/loop/scheduler';

describe('Backoff', () => {
  const cases: Array<{ name: string; reason: string; failures: number; want: number }> = [
    { name: 'first', reason: 'the first retry waits the base delay', failures: 1, want: 1000 },
    { name: 'second', reason: 'each failure doubles the delay', failures: 2, want: 2000 },
    { name: 'fifth', reason: '2^4 × base', failures: 5, want: 16000 },
    { name: 'capped', reason: 'never beyond the maximum', failures: 40, want: 300000 },
  ];
  for (const t of cases) {
    it(`${t.name}: ${t.reason}`, () => {
      const b = new Backoff({ jitter: 0 });
      let ms = 0;
      for (let i = 0; i < t.failures; i++) ms = b.fail('Service/a');
      expect(ms).toBe(t.want);
    });
  }

  it('keeps resources apart, starts over after a success, and jitters downwards only', () => {
    const b = new Backoff({ jitter: 0.5, random: () => 1 - Number.EPSILON });
    b.fail('Service/a');
    b.fail('Service/a');
    expect(b.fail('Service/b')).toBeLessThanOrEqual(1000);
    expect(b.fail('Service/b')).toBeGreaterThanOrEqual(1000 * 0.5);
    b.succeed('Service/a');
    expect(b.attempts('Service/a')).toBe(0);
    expect(b.attempts('Service/b')).toBe(2);
  });

  it('forgets resources no longer managed but keeps pass and commit keys', () => {
    const b = new Backoff();
    for (const k of ['Service/a', 'Service/gone', '(pass)', 'commit:abc']) b.fail(k);
    b.retain(new Set(['Service/a']));
    expect(['Service/a', 'Service/gone', '(pass)', 'commit:abc'].map((k) => b.attempts(k))).toEqual([1, 0, 1, 1]);
  });
});

describe('Scheduler', () => {
  function harness(handle: (w: Work) => Promise<void>, graceMs = 20_000) {
    const abort = new AbortController();
    const errors: unknown[] = [];
    const s = new Scheduler({ signal: abort.signal, handle, onError: (e) => errors.push(e), graceMs });
    return { s, abort, errors, running: s.run() };
  }

  it('runs one pass at a time and merges what piles up meanwhile into the next', async () => {
    const seen: Work[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { s, abort, running } = harness(async (w) => {
      seen.push(w);
      if (seen.length === 1) await gate;
    });
    s.request({ reload: true, full: true }, 'initial');
    await new Promise((r) => setTimeout(r, 10));
    s.request({ keys: ['Service/a'] }, 'retry');
    s.request({ reload: true }, 'change');
    s.request({ keys: ['Service/b'] }, 'retry');
    expect(seen).toHaveLength(1);
    release();
    await s.whenIdle();
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual({ reload: true, full: false, keys: new Set(['Service/a', 'Service/b']), triggers: new Set(['retry', 'change']) });
    abort.abort();
    expect(await running).toBe(true);
  });

  it('keeps running after a pass throws', async () => {
    let n = 0;
    const { s, abort, errors, running } = harness(async () => {
      if (++n === 1) throw new Error('boom');
    });
    s.request({ full: true }, 'initial');
    await s.whenIdle();
    s.request({ full: true }, 'resync');
    await s.whenIdle();
    expect(n).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
    abort.abort();
    await running;
  });

  it('lets the pass in flight finish after the abort, and starts nothing new', async () => {
    let release!: () => void;
    const passes: string[] = [];
    const { s, abort, running } = harness(async (w) => {
      passes.push([...w.triggers].join());
      await new Promise<void>((r) => (release = r));
    });
    s.request({ full: true }, 'initial');
    await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    s.request({ full: true }, 'resync');
    release();
    expect(await running).toBe(true);
    expect(passes).toEqual(['initial']);
  });

  it('abandons a pass in flight once the grace period runs out', async () => {
    const { s, abort, running } = harness(() => new Promise<void>(() => {}), 30);
    s.request({ full: true }, 'initial');
    await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    expect(await running).toBe(false);
  });

  it('retries a key after its delay, a later retry replacing an earlier one', async () => {
    const seen: Work[] = [];
    const { s, abort, running } = harness(async (w) => void seen.push(w));
    s.retryAfter('Service/a', 5_000);
    s.retryAfter('Service/a', 5);
    expect(s.retrying()).toEqual(['Service/a']);
    await new Promise((r) => setTimeout(r, 40));
    await s.whenIdle();
    expect(seen).toHaveLength(1);
    expect([...seen[0].keys]).toEqual(['Service/a']);
    expect(s.retrying()).toEqual([]);
    abort.abort();
    await running;
  });
});
