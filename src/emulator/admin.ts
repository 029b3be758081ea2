/**
 * `/__emulator/` control plane: call counters, fault and latency injection, quotas and
 * the simulated clock. Modules add their own admin routes (attested images, traffic).
 */
import type { EmulatorCore } from './core';
import type { FaultRule, QuotaRule } from './faults';
import { EmulatorError, Code } from './errors';
import type { Router } from './http';
import { response } from './http';
import { orgPolicyRoutes } from './org-policy';

export function adminRoutes(router: Router, core: EmulatorCore): void {
  router.add('GET', '/__emulator/stats', () => core.stats.toJSON());
  orgPolicyRoutes(router, core);
  router.add('POST', '/__emulator/stats/reset', () => {
    core.stats.reset();
    return core.stats.toJSON();
  });

  // The seed goes with the rules: together they replay a run's injected faults.
  router.add('GET', '/__emulator/faults', () => ({ faults: core.faults, seed: core.random.seed }));
  router.add('POST', '/__emulator/faults', (req) => {
    const rules: FaultRule[] = Array.isArray(req.body?.faults) ? req.body.faults : [req.body];
    for (const r of rules) {
      if (!r || typeof r.method !== 'string' || r.code === undefined) {
        throw new EmulatorError(Code.INVALID_ARGUMENT, 'a fault needs "method" and "code"');
      }
    }
    core.faults.push(...rules);
    return { faults: core.faults, seed: core.random.seed };
  });
  router.add('DELETE', '/__emulator/faults', () => {
    core.faults = [];
    return response(200, { faults: [] });
  });

  router.add('GET', '/__emulator/quotas', () => ({ quotas: core.quotas }));
  router.add('POST', '/__emulator/quotas', (req) => {
    const rules: QuotaRule[] = Array.isArray(req.body?.quotas) ? req.body.quotas : [req.body];
    core.quotas.push(...rules);
    return { quotas: core.quotas };
  });
  router.add('DELETE', '/__emulator/quotas', () => {
    core.quotas = [];
    return { quotas: [] };
  });

  router.add('GET', '/__emulator/clock', () => ({ now: new Date(core.clock.now()).toISOString(), timeScale: core.clock.timeScale }));
  router.add('POST', '/__emulator/clock/advance', (req) => {
    const seconds = Number(req.body?.seconds ?? 0);
    if (!Number.isFinite(seconds) || seconds < 0) throw new EmulatorError(Code.INVALID_ARGUMENT, '"seconds" must be a non-negative number');
    core.clock.advance(seconds * 1000);
    return { now: new Date(core.clock.now()).toISOString() };
  });

  // Long poll: answer once the simulated clock reaches `until` (an advance wakes it at
  // once), or after `timeoutSeconds` of real time; clients loop until it is reached.
  router.add('POST', '/__emulator/clock/wait', async (req) => {
    const until = Date.parse(String(req.body?.until ?? ''));
    const timeout = Number(req.body?.timeoutSeconds ?? 10);
    if (!Number.isFinite(until)) throw new EmulatorError(Code.INVALID_ARGUMENT, '"until" must be an RFC 3339 time');
    if (!Number.isFinite(timeout) || timeout < 0 || timeout > 300) throw new EmulatorError(Code.INVALID_ARGUMENT, '"timeoutSeconds" must be between 0 and 300');
    const left = until - core.clock.now();
    if (left > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([core.clock.sleep(left), new Promise<void>((r) => (timer = setTimeout(r, timeout * 1000)))]);
      clearTimeout(timer);
    }
    const now = core.clock.now();
    return { now: new Date(now).toISOString(), reached: now >= until };
  });

  router.add('GET', '/__emulator/healthz', () => ({ ok: true }));
}
