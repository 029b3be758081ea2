/**
 * `runctl emulator` flags for fault, latency and quota injection, parsed into the
 * emulator core's rules (the same rules `POST /__emulator/faults` and
 * `/__emulator/quotas` accept):
 *
 * - `--fault METHOD=CODE[:RATE]`: calls fail with CODE (name, gRPC code or HTTP status)
 *   at RATE (0..1, default 1), e.g. `Services.CreateService=UNAVAILABLE:0.2`, `*=429:0.1`.
 * - `--operation-fault METHOD=CODE[:RATE]`: long-running operations started by METHOD
 *   end with that error, e.g. `Services.*=INTERNAL:0.05`.
 * - `--method-latency METHOD=DURATION[+JITTER]`: added latency, fixed plus uniformly
 *   random up to JITTER, e.g. `Services.*=50ms+20ms`.
 * - `--quota GROUP[:read|write]=N[/min]`: requests per minute for a method prefix,
 *   answered with RESOURCE_EXHAUSTED (429) and Retry-After when exceeded, e.g.
 *   `Services.:write=180/min` (Cloud Run Admin API writes).
 *
 * METHOD is `<Service>.<Method>`, a prefix ending in `*`, or `*`.
 */
import { durationSeconds } from '../../util/duration';
import { Code, grpcCodeOf } from '../../emulator/errors';
import { type FaultRule, type QuotaRule } from '../../emulator/faults';
import { RunctlError } from '../../engine/types';

const usage = (flag: string, v: string, example: string) =>
  new RunctlError('Usage', `--${flag}: cannot read "${v}" (example: --${flag} ${example})`, { source: 'user' });

function splitRule(flag: string, v: string, example: string): [string, string] {
  const i = v.lastIndexOf('=');
  if (i <= 0 || i === v.length - 1) throw usage(flag, v, example);
  return [v.slice(0, i).trim(), v.slice(i + 1).trim()];
}

function durationMs(flag: string, v: string, text: string, example: string): number {
  const secs = durationSeconds(text);
  if (!Number.isFinite(secs) || secs < 0) throw usage(flag, v, example);
  return secs * 1000;
}

/** `METHOD=CODE[:RATE]` → a fault rule. */
export function parseFault(v: string, operation = false): FaultRule {
  const flag = operation ? 'operation-fault' : 'fault';
  const example = operation ? 'Services.*=INTERNAL:0.05' : 'Services.CreateService=UNAVAILABLE:0.2';
  const [method, rest] = splitRule(flag, v, example);
  const [codeText, rateText] = rest.split(':');
  const numeric = /^\d+$/.test(codeText);
  const code = numeric ? Number(codeText) : codeText.toUpperCase();
  // grpcCodeOf maps any unknown name or status to INTERNAL: refuse those here.
  if (!numeric && !(code in Code)) throw usage(flag, v, example);
  if (grpcCodeOf(code) === Code.OK) throw usage(flag, v, example);
  const rule: FaultRule = { method, code, ...(operation ? { operation: true } : {}) };
  if (rateText !== undefined) {
    const rate = Number(rateText);
    if (!Number.isFinite(rate) || rate < 0 || rate > 1) throw usage(flag, v, example);
    rule.rate = rate;
  }
  return rule;
}

/** `METHOD=DURATION[+JITTER]` → a latency-only rule (code 0). */
export function parseMethodLatency(v: string): FaultRule {
  const example = 'Services.*=50ms+20ms';
  const [method, rest] = splitRule('method-latency', v, example);
  const [fixed, jitter] = rest.split('+');
  const rule: FaultRule = { method, code: 0, latencyMs: durationMs('method-latency', v, fixed, example) };
  if (jitter !== undefined) rule.jitterMs = durationMs('method-latency', v, jitter, example);
  return rule;
}

/** `GROUP[:read|write]=N[/min]` → a quota rule. */
export function parseQuota(v: string): QuotaRule {
  const m = /^([^:=]+)(?::(read|write))?=(\d+)(?:\/min)?$/.exec(v.trim());
  if (!m || Number(m[3]) <= 0) throw usage('quota', v, 'Services.:write=180/min');
  const group = m[1].endsWith('*') ? m[1].slice(0, -1) : m[1];
  return { group, ...(m[2] ? { kind: m[2] as 'read' | 'write' } : {}), perMinute: Number(m[3]) };
}
