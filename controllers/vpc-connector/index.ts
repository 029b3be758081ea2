/**
 * VpcConnector: a Serverless VPC Access connector (`@google-cloud/vpc-access` v1).
 *
 * Ownership. Connectors carry no labels and no description, so nothing on the object can
 * say who made it. runctl therefore treats the connector at a manifest's name as that
 * manifest's (observe reports the set's markers), and is safe by construction:
 * - it never changes a connector after creating it (the v1 API has no update), so a
 *   changed field is refused at plan time, never replaced (a replacement would delete a
 *   connector runctl cannot prove it made);
 * - `--prune` never deletes a connector (`list` reports no ownership markers);
 * - only `delete -f` naming the connector deletes it (the user's explicit request), and
 *   `runctl.dev/deletion-policy: abandon` stops that too.
 * Paused and ignore-changes work as for every kind (the engine's).
 */
import type { Controller, Identity, LiveResource, Observed, ResourcePlan, Scope } from '../../src/engine/controller';
import { diffDeclared } from '../../src/engine/diff';
import { projectOf, regionOf } from '../../src/engine/location';
import { LABEL_MANAGED_BY, LABEL_SET, MANAGED_BY_VALUE } from '../../src/engine/ownership';
import type { Diagnostic } from '../../src/engine/types';
import { ignoringNotFound } from '../../src/gcp/errors';
import type { VpcConnectorSpec } from '../generated/manifests';
import { formOf, listConnectors, parentOf, statusOf, type Connector, type ConnectorForm } from './live';

const KIND = 'VpcConnector';
const DEFAULT_INSTANCES = { min: 2, max: 10 };

/** Why a changed field is refused: the API cannot change it, and runctl will not delete what it cannot prove it made. */
const IMMUTABLE =
  'a connector cannot be changed in place (the Serverless VPC Access v1 API has no update), and runctl will not delete and re-create it: connectors carry no labels, so runctl cannot prove it created this one. ' +
  'Give the connector a new name (and point the Services at it), or delete this one yourself (`runctl delete -f` naming it, or gcloud compute networks vpc-access connectors delete) and apply again';
const NOT_PRUNED = 'connectors carry no labels: --prune never deletes this connector; only `runctl delete -f` naming it does';

type ConnectorObserved = Observed<Connector, ConnectorForm>;

function observed(c: Connector, project: string, region: string, set: string): ConnectorObserved {
  // Claimed by name (see the file comment): the set's markers, so apply and diff treat it as the manifest's.
  return { exists: true, spec: formOf(c, project, region), labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_SET]: set }, raw: c, status: statusOf(c) };
}

function fullName(project: string, region: string, name: string): string {
  return `${parentOf(project, region)}/connectors/${name}`;
}

export const vpcConnectorController: Controller<VpcConnectorSpec, Connector, ConnectorForm> = {
  kind: KIND,
  schema: 'vpc-connector.schema.json',
  regional: true,
  replaceOn: ['spec.region', 'spec.network', 'spec.ipCidrRange', 'spec.subnet', 'spec.instances', 'spec.machineType'].map((path) => ({ path, refuse: IMMUTABLE })),

  validate(m): Diagnostic[] {
    const s = m.spec ?? {};
    const out: Diagnostic[] = [];
    if (s.subnet && (s.ipCidrRange || s.network)) {
      out.push({ code: 'InvalidValue', path: s.ipCidrRange ? 'spec.ipCidrRange' : 'spec.network', message: 'give either subnet, or network with ipCidrRange, not both' });
    }
    if (!s.subnet && !s.ipCidrRange) out.push({ code: 'InvalidValue', path: 'spec', message: 'a connector needs ipCidrRange (an unused /28, e.g. 10.8.0.0/28) or subnet (an existing /28 subnet)' });
    if (s.ipCidrRange) {
      const octets = s.ipCidrRange.split('/')[0].split('.').map(Number);
      if (octets.some((o) => o > 255)) out.push({ code: 'InvalidValue', path: 'spec.ipCidrRange', message: `${s.ipCidrRange} is not an IPv4 range` });
      else if (octets[3] % 16 !== 0) out.push({ code: 'InvalidValue', path: 'spec.ipCidrRange', message: `${s.ipCidrRange} does not start a /28 (the last octet must be a multiple of 16, e.g. ${octets.slice(0, 3).join('.')}.${octets[3] - (octets[3] % 16)}/28)` });
    }
    const min = s.instances?.min ?? DEFAULT_INSTANCES.min;
    const max = s.instances?.max ?? DEFAULT_INSTANCES.max;
    if (max <= min) out.push({ code: 'InvalidValue', path: 'spec.instances.max', message: `max instances (${max}) must be more than min instances (${min})` });
    return out;
  },

  identify(m, ctx): Identity {
    const project = projectOf(m, ctx.target);
    const region = regionOf(m, ctx.target);
    return { project, region, name: m.metadata.name, fullName: fullName(project, region, m.metadata.name) };
  },

  async observe({ id }, ctx) {
    const live = (await listConnectors(ctx, id.project, id.region!)).get(id.name);
    return live ? observed(live, id.project, id.region!, ctx.set) : { exists: false };
  },

  desired({ manifest: m, id }) {
    const s = m.spec;
    const form: ConnectorForm = {
      region: id.region!,
      instances: { min: s.instances?.min ?? DEFAULT_INSTANCES.min, max: s.instances?.max ?? DEFAULT_INSTANCES.max },
      machineType: s.machineType ?? 'e2-micro',
    };
    if (s.subnet) form.subnet = { name: s.subnet.name, ...(s.subnet.project && s.subnet.project !== id.project ? { project: s.subnet.project } : {}) };
    else {
      form.network = s.network ?? 'default';
      if (s.ipCidrRange) form.ipCidrRange = s.ipCidrRange;
    }
    return form;
  },

  plan({ desired, observed: obs }): ResourcePlan {
    if (!obs.exists) return { action: 'create', changes: diffDeclared(desired, {}).changes, notes: [NOT_PRUNED] };
    const { changes } = diffDeclared(desired, obs.spec ?? {});
    // The engine turns these into a refusal (replaceOn): nothing is ever changed in place.
    return changes.length ? { action: 'update', changes, notes: [] } : { action: 'noop', changes: [], notes: [] };
  },

  async apply({ id, desired, observed: obs, plan }, ctx) {
    if (plan.action !== 'create') return obs;
    const vpc = ctx.clients.vpcAccess();
    ctx.progress('creating the connector (its instances start: a minute or two)');
    const [op] = await vpc.createConnector({
      parent: parentOf(id.project, id.region!),
      connectorId: id.name,
      connector: {
        ...(desired.subnet ? { subnet: { name: desired.subnet.name, projectId: desired.subnet.project ?? id.project } } : { network: desired.network, ipCidrRange: desired.ipCidrRange }),
        minInstances: desired.instances.min,
        maxInstances: desired.instances.max,
        machineType: desired.machineType,
      },
    });
    await op.promise();
    const [live] = await vpc.getConnector({ name: id.fullName });
    return observed(live, id.project, id.region!, ctx.set);
  },

  async delete({ id }, ctx) {
    ctx.progress('deleting the connector');
    await ignoringNotFound(async () => {
      const [op] = await ctx.clients.vpcAccess().deleteConnector({ name: id.fullName });
      await op.promise();
    });
  },

  async list(scopes: Scope[], ctx): Promise<LiveResource[]> {
    const out: LiveResource[] = [];
    const seen = new Set<string>();
    for (const scope of scopes) {
      const regions = scope.region ? [scope.region] : await locations(ctx, scope.project);
      for (const region of regions) {
        if (seen.has(`${scope.project}/${region}`)) continue;
        seen.add(`${scope.project}/${region}`);
        for (const [name, c] of await listConnectors(ctx, scope.project, region)) {
          // No ownership markers: nothing on a connector proves who made it, so it is never pruned.
          out.push({ kind: KIND, name, identity: { project: scope.project, region, name, fullName: fullName(scope.project, region, name) }, labels: {}, spec: { ...formOf(c, scope.project, region) }, status: statusOf(c) });
        }
      }
    }
    return out;
  },

  async exportSpec(r) {
    const { instances, machineType, network, ...rest } = r.spec as ConnectorForm;
    const spec: Record<string, unknown> = { ...rest };
    if (network && network !== 'default') spec.network = network;
    if (instances.min !== DEFAULT_INSTANCES.min || instances.max !== DEFAULT_INSTANCES.max) spec.instances = instances;
    if (machineType !== 'e2-micro') spec.machineType = machineType;
    return { spec };
  },
};

/** The regions Serverless VPC Access offers to the project (the client's Locations mixin), once per run. */
async function locations(ctx: Parameters<Controller['list']>[1], project: string): Promise<string[]> {
  return ctx.cached(`vpcaccess.locations:${project}`, async () => {
    const out: string[] = [];
    for await (const loc of ctx.clients.vpcAccess().listLocationsAsync({ name: `projects/${project}` })) if (loc.locationId) out.push(loc.locationId);
    return out;
  });
}
