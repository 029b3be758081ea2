/**
 * The emulator's seedable random source: every random choice of fault injection (does a
 * `rate` rule fire, how much jitter) draws from one generator per emulator, so a run
 * started with the same seed makes the same choices for the same sequence of calls.
 * Names, etags and ids keep using `crypto` — they must not repeat across runs.
 */
import { randomInt } from 'node:crypto';

/** Largest seed + 1: seeds are unsigned 32-bit integers. */
const SEED_LIMIT = 2 ** 32;

/** Whether `n` can seed the generator (an integer in [0, 2^32)). */
export function isSeed(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n < SEED_LIMIT;
}

/** A fresh seed from the operating system's random source. */
export function randomSeed(): number {
  return randomInt(0, 2 ** 31) * 2 + randomInt(0, 2);
}

/**
 * mulberry32 (Tommy Ettinger, public domain): a 32-bit state, full period 2^32, good
 * enough statistics for deciding faults, and a few lines instead of a dependency.
 */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number = randomSeed()) {
    if (!isSeed(seed)) throw new RangeError(`a seed is an integer from 0 to ${SEED_LIMIT - 1}, not ${seed}`);
    this.state = seed;
  }

  /** The next number in [0, 1), like Math.random(). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / SEED_LIMIT;
  }
}
