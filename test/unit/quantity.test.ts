import { describe, expect, it } from 'vitest';
import { normalizeCpu, normalizeMemory } from '../../controllers/shared/quantity';
import { durationSeconds, normalizeDuration, toProtoDuration } from '../../src/util/duration';

describe('quantities compare by value', () => {
  const cpu: Array<[unknown, string | undefined]> = [
    [1, '1'], ['1', '1'], ['1000m', '1'], ['500m', '0.5'], [0.5, '0.5'], ['2', '2'], ['8000m', '8'], [undefined, undefined],
  ];
  it.each(cpu)('cpu %j → %j', (input, want) => expect(normalizeCpu(input)).toBe(want));

  const mem: Array<[unknown, string | undefined]> = [
    ['512Mi', '512Mi'], ['0.5Gi', '512Mi'], ['1024Mi', '1Gi'], ['2Gi', '2Gi'], ['1536Mi', '1536Mi'], [536870912, '512Mi'], ['32Gi', '32Gi'],
  ];
  it.each(mem)('memory %j → %j', (input, want) => expect(normalizeMemory(input)).toBe(want));

  const dur: Array<[unknown, string | undefined]> = [
    ['300s', '300s'], ['5m', '300s'], ['1h30m', '5400s'], ['1d', '86400s'], [{ seconds: '300', nanos: 0 }, '300s'], [600, '600s'],
  ];
  it.each(dur)('duration %j → %j', (input, want) => expect(normalizeDuration(input)).toBe(want));

  it('keeps malformed values visible instead of hiding them', () => {
    expect(normalizeMemory('lots')).toBe('lots');
    expect(Number.isNaN(durationSeconds('5 minutes'))).toBe(true);
  });

  it('builds protobuf durations', () => {
    expect(toProtoDuration('1.5s')).toEqual({ seconds: 1, nanos: 500000000 });
  });
});
