/**
 * `google.cloud.vpcaccess.v1.VpcAccessService`: CreateConnector and DeleteConnector
 * answer unfinished operations (served through the one Operations service, see
 * `src/emulator/longrunning.ts`), GetConnector and ListConnectors read. A connector is
 * CREATING until its operation completes, then READY (or ERROR when its range collides),
 * and DELETING until its delete operation removes it. Behaviour: spec/vpc-access.md.
 */
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import { GenericOperations, type StoredOperation } from '../../longrunning';
import { CONNECTOR_ID, checkName, missingMaximum, normaliseConnector, overlaps, parseParent } from './validate';
import { packVpc, TYPES } from './protos';
import { ts, vpcNs, type Obj } from './state';

const SERVICE = 'google.cloud.vpcaccess.v1.VpcAccessService';

/** Why a create fails once its operation runs (decided when it starts). */
interface CreateFailure {
  code: number;
  message: string;
  /** Whether the connector stays, in state ERROR ("Please delete the connector manually"). */
  keep: boolean;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function notFound(name: string): EmulatorError {
  return new EmulatorError(Code.NOT_FOUND, `Resource '${name}' was not found`);
}

function ended(core: EmulatorCore, op: StoredOperation): void {
  op.metadata.value.endTime = ts(core.clock.now());
}

/** The module's operations, served through `core.operationSources`. */
export function vpcOperations(core: EmulatorCore): GenericOperations {
  return new GenericOperations(core, () => vpcNs(core).operations, packVpc, {
    create(op) {
      const st = vpcNs(core);
      const target = String(op.data.target);
      const failure = op.data.failure as CreateFailure | undefined;
      const connector = st.connectors[target];
      if (failure) {
        op.error = { code: failure.code, message: failure.message };
        if (connector && failure.keep) connector.state = 'ERROR';
        else delete st.connectors[target];
      } else if (connector) {
        connector.state = 'READY';
        op.response = { type: TYPES.connector, value: clone(connector) };
      }
      ended(core, op);
    },
    delete(op) {
      delete vpcNs(core).connectors[String(op.data.target)];
      op.response = { type: TYPES.empty, value: {} };
      ended(core, op);
    },
  });
}

function startOp(ops: GenericOperations, core: EmulatorCore, parent: string, kind: 'create' | 'delete', target: string, failure?: CreateFailure): Record<string, unknown> {
  const rpc = kind === 'create' ? 'CreateConnector' : 'DeleteConnector';
  const op = ops.start(parent, {
    kind,
    method: `VpcAccessService.${rpc}`,
    metadata: { type: TYPES.metadata, value: { method: `${SERVICE}.${rpc}`, createTime: ts(core.clock.now()), target } },
    data: failure ? { target, failure } : { target },
  });
  return ops.wire(op);
}

/** Why a create will fail once it runs: no maximum, or a range colliding with another connector's on the same network. */
function createFailure(core: EmulatorCore, name: string, project: string, c: Obj): CreateFailure | undefined {
  if (missingMaximum(c)) return { code: Code.INVALID_ARGUMENT, message: 'Operation failed: A Connector must specify either max_throughput or max_instances.', keep: false };
  if (!c.ipCidrRange) return undefined;
  for (const [other, o] of Object.entries(vpcNs(core).connectors)) {
    if (other === name || !o.ipCidrRange || o.network !== c.network || other.split('/')[1] !== project) continue;
    if (overlaps(o.ipCidrRange, c.ipCidrRange)) {
      return { code: Code.INVALID_ARGUMENT, message: 'Operation failed: Invalid IP CIDR range was provided. It conflicts with an existing subnetwork. Please delete the connector manually.', keep: true };
    }
  }
  return undefined;
}

/** CreateConnector. */
export function createConnector(core: EmulatorCore, ops: GenericOperations, req: Obj): Record<string, unknown> {
  const { project } = parseParent(req.parent);
  const id = String(req.connectorId ?? '');
  if (!CONNECTOR_ID.test(id)) throw new EmulatorError(Code.INVALID_ARGUMENT, 'Connector ID must follow the pattern ^[a-z][-a-z0-9]{0,23}[a-z0-9]$.');
  const name = `${req.parent}/connectors/${id}`;
  const st = vpcNs(core);
  if (st.connectors[name]) throw new EmulatorError(Code.ALREADY_EXISTS, `Requested entity already exists: connector '${name}'.`);
  const c = normaliseConnector(req.connector, project);
  const failure = createFailure(core, name, project, c);
  st.connectors[name] = { name, ...c, state: 'CREATING' };
  return startOp(ops, core, req.parent, 'create', name, failure);
}

/** GetConnector. */
export function getConnector(core: EmulatorCore, req: Obj): Obj {
  const c = vpcNs(core).connectors[checkName(req.name)];
  if (!c) throw notFound(req.name);
  return clone(c);
}

/** ListConnectors, by name, paged. */
export function listConnectors(core: EmulatorCore, req: Obj): Obj {
  parseParent(req.parent);
  const all = Object.keys(vpcNs(core).connectors).filter((n) => n.startsWith(`${req.parent}/connectors/`)).sort();
  let offset = 0;
  if (req.pageToken) {
    offset = Number(Buffer.from(String(req.pageToken), 'base64url').toString('utf8').replace(/^o:/, ''));
    if (!Number.isInteger(offset) || offset < 0) throw new EmulatorError(Code.INVALID_ARGUMENT, 'Invalid page token.');
  }
  const size = Math.min(Math.max(Number(req.pageSize) || 100, 1), 1000);
  const page = all.slice(offset, offset + size);
  const nextPageToken = offset + size < all.length ? Buffer.from(`o:${offset + size}`).toString('base64url') : '';
  return { connectors: page.map((n) => clone(vpcNs(core).connectors[n])), nextPageToken };
}

/** DeleteConnector. */
export function deleteConnector(core: EmulatorCore, ops: GenericOperations, req: Obj): Record<string, unknown> {
  const name = checkName(req.name);
  const c = vpcNs(core).connectors[name];
  if (!c) throw notFound(name);
  c.state = 'DELETING';
  return startOp(ops, core, name.split('/').slice(0, 4).join('/'), 'delete', name);
}
