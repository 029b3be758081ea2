/**
 * Reading Serverless VPC Access connectors: one list per project and region, their
 * manifest form and status.
 */
import type { protos } from '@google-cloud/vpc-access';
import type { ObserveContext, ResourceStatus } from '../../src/engine/controller';

export type Connector = protos.google.cloud.vpcaccess.v1.IConnector;

/** The manifest form a connector is compared in (defaults filled, as the API fills them). */
export type ConnectorForm = {
  region: string;
  network?: string;
  ipCidrRange?: string;
  subnet?: { name: string; project?: string };
  instances: { min: number; max: number };
  machineType: string;
};

/** `projects/{p}/locations/{r}` */
export const parentOf = (project: string, region: string) => `projects/${project}/locations/${region}`;

/** Every connector of a project in a region, by ID, once per run. */
export async function listConnectors(ctx: ObserveContext, project: string, region: string): Promise<Map<string, Connector>> {
  return ctx.cached(`vpcaccess.connectors:${project}/${region}`, async () => {
    const out = new Map<string, Connector>();
    const [all] = await ctx.clients.vpcAccess().listConnectors({ parent: parentOf(project, region) });
    for (const c of all) if (c.name) out.set(c.name.split('/').pop()!, c);
    return out;
  });
}

/** State as a name: the REST fallback may answer the enum as its number. */
function stateOf(c: Connector): string {
  const s = c.state as unknown;
  return typeof s === 'number' ? ['STATE_UNSPECIFIED', 'READY', 'CREATING', 'DELETING', 'ERROR', 'UPDATING'][s] ?? String(s) : String(s ?? 'STATE_UNSPECIFIED');
}

/** A live connector in manifest form. */
export function formOf(c: Connector, project: string, region: string): ConnectorForm {
  const form: ConnectorForm = {
    region,
    instances: { min: Number(c.minInstances ?? 0), max: Number(c.maxInstances ?? 0) },
    machineType: c.machineType || 'e2-micro',
  };
  if (c.subnet?.name) {
    form.subnet = { name: c.subnet.name, ...(c.subnet.projectId && c.subnet.projectId !== project ? { project: c.subnet.projectId } : {}) };
  } else {
    if (c.network) form.network = c.network;
    if (c.ipCidrRange) form.ipCidrRange = c.ipCidrRange;
  }
  return form;
}

/** runctl's status of a connector: Ready from its state; its full name for Services. */
export function statusOf(c: Connector): ResourceStatus {
  const state = stateOf(c);
  const fields = { name: c.name, state, ...(c.connectedProjects?.length ? { connectedProjects: [...c.connectedProjects] } : {}) };
  const ready: ResourceStatus['ready'] =
    state === 'READY' ? { status: 'True', reason: 'Available' }
    : state === 'CREATING' || state === 'UPDATING' ? { status: 'Unknown', reason: 'Creating' }
    : state === 'DELETING' ? { status: 'False', reason: 'Deleting' }
    : { status: 'False', reason: 'Unavailable', message: state === 'ERROR' ? 'the connector is in state ERROR (Google recommends deleting it by hand, e.g. after a range conflict)' : `state ${state}` };
  return { fields, ready };
}
