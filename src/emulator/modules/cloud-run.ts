/**
 * Cloud Run Admin API v2 emulator module: `google.cloud.run.v2.Services` (with IAM),
 * `google.cloud.run.v2.Revisions`, `google.longrunning.Operations` (for every module's
 * operations, `../longrunning.ts`) and
 * `google.cloud.location.Locations` over gRPC, so the
 * unmodified `@google-cloud/run` clients work against it. Behaviour: spec/cloud-run.md.
 */
import type { EmulatorCore } from '../core';
import { Code, EmulatorError } from '../errors';
import type { Router } from '../http';
import type { EmulatorModule } from './module';
import { iamHandlers } from './cloud-run/iam';
import { locationsHandlers } from './cloud-run/locations';
import { operationsHandlers } from '../longrunning';
import { resumeOperations, runOperationSource } from './cloud-run/operations';
import { runProtos } from './cloud-run/protos';
import { revisionsHandlers } from './cloud-run/revisions';
import { servicesHandlers } from './cloud-run/services';
import { runNs } from './cloud-run/state';
import './cloud-run/rollout';

export { runState } from './cloud-run/view';
export type { RunServiceView, RunRevisionView, RunTrafficView, RunStateView } from './cloud-run/view';

/** `/__emulator/run/gpu-quota`: the GPU quota (max instances of GPU services) per region. */
function adminRoutes(router: Router, core: EmulatorCore): void {
  router.add('GET', '/__emulator/run/gpu-quota', () => ({ quotas: { ...runNs(core).gpuQuota } }));
  router.add('POST', '/__emulator/run/gpu-quota', (req) => {
    const { region, quota } = req.body ?? {};
    if (typeof region !== 'string' || !region || !(Number.isInteger(quota) && quota >= 0)) {
      throw new EmulatorError(Code.INVALID_ARGUMENT, 'expected {"region": string, "quota": non-negative integer}');
    }
    runNs(core).gpuQuota[region] = quota;
    core.persist();
    return { quotas: { ...runNs(core).gpuQuota } };
  });
}

/** The Cloud Run module: registers the four gRPC services and `/__emulator/run/` routes. */
export const cloudRunModule: EmulatorModule = {
  name: 'cloud-run',
  grpc(server, core) {
    const protos = runProtos();
    server.addService(protos.services.service, { ...servicesHandlers(core), ...iamHandlers(core) } as any);
    server.addService(protos.revisions.service, revisionsHandlers(core) as any);
    // The one Operations service of the emulator: every module's operations plug into it.
    server.addService(protos.operations.service, operationsHandlers(core) as any);
    server.addService(protos.locations.service, locationsHandlers(core) as any);
  },
  http(router, core) {
    adminRoutes(router, core);
  },
  start(core) {
    core.operationSources.push(runOperationSource(core));
    resumeOperations(core);
  },
};
