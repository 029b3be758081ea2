/**
 * Serverless VPC Access v1 over gRPC (`google.cloud.vpcaccess.v1.VpcAccessService`, so
 * the unmodified `@google-cloud/vpc-access` client works against it) and REST through
 * the transcoder. Its operations are served by the one Operations service
 * (`longrunning.ts`); Cloud Run asks it whether a revision's connector exists.
 * Behaviour: spec/vpc-access.md.
 */
import type { EmulatorCore } from '../core';
import { unary } from '../grpc';
import type { GenericOperations } from '../longrunning';
import type { EmulatorModule } from './module';
import { connectorAdmission } from './vpc-access/admission';
import { createConnector, deleteConnector, getConnector, listConnectors, vpcOperations } from './vpc-access/connectors';
import { vpcProtos } from './vpc-access/protos';

export { vpcNs } from './vpc-access/state';

/** Cores whose Cloud Run already runs the connector check. */
const admitted = new WeakSet<EmulatorCore>();

/** One operation store per emulator core. */
const stores = new WeakMap<EmulatorCore, GenericOperations>();
function opsOf(core: EmulatorCore): GenericOperations {
  let ops = stores.get(core);
  if (!ops) {
    ops = vpcOperations(core);
    stores.set(core, ops);
  }
  return ops;
}

export const vpcAccessModule: EmulatorModule = {
  name: 'vpc-access',
  grpc(server, core) {
    const svc = 'VpcAccessService';
    const ops = opsOf(core);
    server.addService(vpcProtos().service.service, {
      CreateConnector: unary(core, `${svc}.CreateConnector`, 'write', (req) => createConnector(core, ops, req)),
      GetConnector: unary(core, `${svc}.GetConnector`, 'read', (req) => getConnector(core, req)),
      ListConnectors: unary(core, `${svc}.ListConnectors`, 'read', (req) => listConnectors(core, req)),
      DeleteConnector: unary(core, `${svc}.DeleteConnector`, 'write', (req) => deleteConnector(core, ops, req)),
    } as any);
    ops.register();
    // grpc() runs again when the emulator retries a port pair: register the check once.
    if (!admitted.has(core)) {
      admitted.add(core);
      core.imageAdmission.push(connectorAdmission(core));
    }
  },
  start(core) {
    opsOf(core).resume();
  },
};
