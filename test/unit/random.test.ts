/**
 * The emulator's seedable random source and the fault injection that draws from it: the
 * same seed makes the same choices, so a failing fault run can be replayed.
 */
import { describe, expect, it } from 'vitest';
import { EmulatorCore } from '../../src/emulator/core';
import { type FaultRule } from '../../src/emulator/faults';
import { isSeed, randomSeed, SeededRandom } from '../../src/emulator/random';

const draws = (r: SeededRandom, n: number) => Array.from({ length: n }, () => r.next());

describe('SeededRandom (mulberry32)', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    expect(draws(new SeededRandom(42), 20)).toEqual(draws(new SeededRandom(42), 20));
    expect(draws(new SeededRandom(42), 20)).not.toEqual(draws(new SeededRandom(43), 20));
  });

  it('matches the reference mulberry32 for seed 1', () => {
    // The first outputs of the published algorithm for seed 1 (each a uint32 / 2^32).
    expect(draws(new SeededRandom(1), 3).map((x) => x * 2 ** 32)).toEqual([2693262067, 11749833, 2265367787]);
  });

  it('stays in [0, 1) and spreads evenly', () => {
    const xs = draws(new SeededRandom(7), 10_000);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const low = xs.filter((x) => x < 0.5).length;
    expect(low).toBeGreaterThan(4_700);
    expect(low).toBeLessThan(5_300);
  });

  it('takes only unsigned 32-bit integers as seeds; a default seed is one', () => {
    for (const bad of [-1, 2 ** 32, 1.5, Number.NaN]) expect(() => new SeededRandom(bad)).toThrow(RangeError);
    expect(isSeed(0) && isSeed(2 ** 32 - 1)).toBe(true);
    for (let i = 0; i < 20; i++) expect(isSeed(randomSeed())).toBe(true);
    expect(isSeed(new SeededRandom().seed)).toBe(true);
  });
});

describe('fault injection with a seed', () => {
  const rules = (): FaultRule[] => [{ method: 'Services.*', code: 'UNAVAILABLE', rate: 0.3 }];
  /** Which of `n` calls an emulator seeded with `seed` fails. */
  const failures = (seed: number, n = 200) => {
    const core = new EmulatorCore({ seed });
    core.faults.push(...rules());
    return Array.from({ length: n }, () => core.takeFault('Services.GetService', false)).flatMap((f, i) => (f ? [i] : []));
  };

  it('fails the same calls for the same seed, and about `rate` of them', () => {
    const a = failures(1234);
    expect(failures(1234)).toEqual(a);
    expect(failures(4321)).not.toEqual(a);
    expect(a.length).toBeGreaterThan(30);
    expect(a.length).toBeLessThan(90);
  });

  it('records the seed it was given, or the random one it chose', () => {
    expect(new EmulatorCore({ seed: 99 }).random.seed).toBe(99);
    expect(isSeed(new EmulatorCore().random.seed)).toBe(true);
  });

  it('draws nothing for rules without a rate, so they do not shift a replay', () => {
    const core = new EmulatorCore({ seed: 5 });
    core.faults.push({ method: 'Services.CreateService', code: 'INTERNAL', times: 1 });
    expect(core.takeFault('Services.CreateService', false)?.grpcCode).toBe(13);
    expect(core.random.next()).toBe(new SeededRandom(5).next());
  });
});
