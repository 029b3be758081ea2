/**
 * The traffic model: synthetic requests to Cloud Run services, recorded as
 * `run.googleapis.com/request_count` time series in Cloud Monitoring, so SLOs, burn
 * rates and canary gates have data offline. Each public service receives
 * `--traffic-rps` requests per simulated second split by its live traffic percentages;
 * each revision answers a share of them with 5xx according to its image.
 * Behaviour: `spec/traffic.md`. Settings: `/__emulator/traffic`.
 */
import type { EmulatorCore } from '../core';
import type { EmulatorModule } from './module';
import { runState } from './cloud-run';
import { errorRatioFor, mergeTrafficConfig, resetTrafficConfig, rpsFor, trafficConfig } from './traffic/config';
import { catchUp, resetModel } from './traffic/generator';

export { catchUp as catchUpTraffic } from './traffic/generator';
export { trafficConfig, errorRatioFor } from './traffic/config';
export type { TrafficConfig } from './traffic/config';

/** What `/__emulator/traffic` answers: the settings and the model as it stands now. */
function describe(core: EmulatorCore): unknown {
  const cfg = trafficConfig(core);
  return {
    rps: cfg.rps ?? core.options.trafficRps ?? 50,
    timeScale: core.clock.timeScale,
    now: new Date(core.clock.now()).toISOString(),
    services: cfg.services,
    images: cfg.images,
    live: runState(core)
      .services()
      .map((svc) => ({
        service: svc.name,
        rps: rpsFor(core, cfg, svc),
        revisions: svc.traffic
          .filter((t) => t.percent > 0)
          .map((t) => ({ revision: t.revision, percent: t.percent, images: t.images, errorRatio: errorRatioFor(cfg, t.images) })),
      })),
  };
}

const hooks = new WeakMap<EmulatorCore, () => void>();

export const trafficModule: EmulatorModule = {
  name: 'traffic',
  http(router, core) {
    router.add('GET', '/__emulator/traffic', () => {
      catchUp(core, true);
      return describe(core);
    });
    router.add('POST', '/__emulator/traffic', (req) => {
      // Settings apply from now on: what happened so far used the old ones.
      catchUp(core, true);
      mergeTrafficConfig(core, req.body);
      return describe(core);
    });
    router.add('DELETE', '/__emulator/traffic', () => {
      catchUp(core, true);
      resetTrafficConfig(core);
      return describe(core);
    });
  },
  start(core) {
    resetModel(core);
    const hook = () => catchUp(core);
    hooks.set(core, hook);
    core.beforeChange.push(hook);
  },
  stop(core) {
    const hook = hooks.get(core);
    const i = hook ? core.beforeChange.indexOf(hook) : -1;
    if (i >= 0) core.beforeChange.splice(i, 1);
  },
};
