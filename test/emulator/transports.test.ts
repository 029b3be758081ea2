/**
 * Both transports answer alike: one table of Cloud Run v2 and Monitoring v3 calls
 * (create, get, list, update, delete, operations, IAM, errors) run through the official
 * clients over gRPC and through the same clients in REST/JSON mode (`fallback: true`,
 * served by the emulator's transcoder, src/emulator/rest/), each against a fresh
 * emulator; every step's result must be identical. Results are compared after masking
 * what differs between any two runs (UUIDs, etags, times, generated IDs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import { Clients, type Transport } from '../../src/gcp/clients';
import { apiError } from '../../src/gcp/errors';
import { availabilitySli, DAY } from './monitoring-helpers';

const PROJECT = 'conf-proj';
const PARENT = `projects/${PROJECT}/locations/europe-north1`;
const SVC = `${PARENT}/services/jokes`;
const MON = `projects/${PROJECT}`;
const IMAGE = 'europe-north1-docker.pkg.dev/conf-proj/repo/jokes:1';

/** Values a step hands to later steps (server-assigned names). */
type Ctx = Record<string, string>;
interface Step {
  name: string;
  run(c: Clients, ctx: Ctx): Promise<unknown>;
}

/** A call's result, or its failure as the gRPC code runctl reads from it (either transport). */
async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await p };
  } catch (err) {
    return { error: apiError(err).code };
  }
}

const run = (c: Clients) => c.runServices();
const revs = (c: Clients) => c.runRevisions();
const sm = (c: Clients) => c.monitoring('ServiceMonitoringServiceClient');
const alerts = (c: Clients) => c.monitoring('AlertPolicyServiceClient');
const channels = (c: Clients) => c.monitoring('NotificationChannelServiceClient');
/** gax's OperationsClient as called here (its typings declare request classes, not plain objects). */
interface OperationsApi {
  getOperation(r: { name: string }): Promise<[{ name?: string; done?: boolean }]>;
  listOperations(r: { name: string }): Promise<[Array<{ name?: string; done?: boolean }>]>;
  deleteOperation(r: { name: string }): Promise<[unknown]>;
}
const ops = (c: Clients) => run(c).operationsClient as unknown as OperationsApi;
const first = async <T>(p: Promise<T[] | [T, ...unknown[]]>) => (await p)[0];

const RUN_STEPS: Step[] = [
  {
    name: 'run: create a service; its operation finishes with the service',
    async run(c, ctx) {
      const [op] = await run(c).createService({ parent: PARENT, serviceId: 'jokes', service: { labels: { app: 'jokes' }, template: { containers: [{ image: IMAGE }] } } });
      ctx.createOp = op.name!;
      const [svc] = await op.promise();
      return { operation: op.name, metadataName: (op.metadata as { name?: string } | undefined)?.name, service: svc.name };
    },
  },
  { name: 'run: create again is ALREADY_EXISTS', run: (c) => run(c).createService({ parent: PARENT, serviceId: 'jokes', service: { template: { containers: [{ image: IMAGE }] } } }) },
  { name: 'run: create with an invalid ID is INVALID_ARGUMENT', run: (c) => run(c).createService({ parent: PARENT, serviceId: 'Bad_Name', service: { template: { containers: [{ image: IMAGE }] } } }) },
  { name: 'run: get', run: (c) => first(run(c).getService({ name: SVC })) },
  { name: 'run: get a missing service is NOT_FOUND', run: (c) => first(run(c).getService({ name: `${PARENT}/services/missing` })) },
  { name: 'run: list', run: async (c) => (await run(c).listServices({ parent: PARENT }))[0].map((s) => s.name) },
  {
    name: 'run: update with a mask, then read it back',
    async run(c) {
      const [op] = await run(c).updateService({ service: { name: SVC, labels: { app: 'jokes', tier: 'web' } }, updateMask: { paths: ['labels'] } });
      await op.promise();
      return first(run(c).getService({ name: SVC }));
    },
  },
  {
    name: 'run: a new template makes a second revision',
    async run(c) {
      const [op] = await run(c).updateService({ service: { name: SVC, template: { containers: [{ image: IMAGE, env: [{ name: 'A', value: '1' }] }] } } });
      await op.promise();
      return (await revs(c).listRevisions({ parent: SVC }))[0].map((r) => r.name);
    },
  },
  { name: 'run: get a revision', run: async (c) => first(revs(c).getRevision({ name: (await revs(c).listRevisions({ parent: SVC }))[0][0].name! })) },
  { name: 'run: update with a stale etag is ABORTED', run: (c) => run(c).updateService({ service: { name: SVC, etag: '"stale"', labels: {} }, updateMask: { paths: ['labels'] } }) },
  { name: 'run: update with an invalid template is INVALID_ARGUMENT', run: (c) => run(c).updateService({ service: { name: SVC, template: { containers: [] } } }) },
  { name: 'run: get the create operation', run: async (c, ctx) => first(ops(c).getOperation({ name: ctx.createOp })) },
  { name: 'run: list operations', run: async (c) => (await ops(c).listOperations({ name: PARENT }))[0].map((o) => [o.name, o.done]) },
  { name: 'run: get a missing operation is NOT_FOUND', run: (c) => first(ops(c).getOperation({ name: `${PARENT}/operations/missing` })) },
  { name: 'run: delete an operation', run: async (c, ctx) => first(ops(c).deleteOperation({ name: ctx.createOp })) },
  { name: 'run: get IAM policy (empty)', run: (c) => first(run(c).getIamPolicy({ resource: SVC })) },
  {
    name: 'run: set IAM policy, then read it back',
    async run(c) {
      await run(c).setIamPolicy({ resource: SVC, policy: { bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] } });
      return first(run(c).getIamPolicy({ resource: SVC }));
    },
  },
  { name: 'run: test IAM permissions', run: (c) => first(run(c).testIamPermissions({ resource: SVC, permissions: ['run.services.get', 'run.routes.invoke'] })) },
  { name: 'run: IAM of a missing service is NOT_FOUND', run: (c) => first(run(c).getIamPolicy({ resource: `${PARENT}/services/missing` })) },
  {
    name: 'run: delete; the operation finishes with the deleted service, which is then gone',
    async run(c) {
      const [op] = await run(c).deleteService({ name: SVC });
      const [svc] = await op.promise();
      return { deleted: svc.name, after: await outcome(first(run(c).getService({ name: SVC }))) };
    },
  },
  { name: 'run: delete a missing service is NOT_FOUND', run: (c) => run(c).deleteService({ name: SVC }) },
];

const SLO = { displayName: '99% good', goal: 0.99, rollingPeriod: { seconds: DAY }, serviceLevelIndicator: availabilitySli('jokes') };
const MON_SVC = `${MON}/services/jokes`;

const MONITORING_STEPS: Step[] = [
  {
    name: 'monitoring: create a service',
    async run(c, ctx) {
      const [svc] = await sm(c).createService({ parent: MON, serviceId: 'jokes', service: { displayName: 'jokes', cloudRun: { serviceName: 'jokes', location: 'europe-north1' } } });
      ctx.service = svc.name!;
      return svc;
    },
  },
  { name: 'monitoring: create the service again is ALREADY_EXISTS', run: (c) => sm(c).createService({ parent: MON, serviceId: 'jokes', service: { cloudRun: { serviceName: 'jokes', location: 'europe-north1' } } }) },
  { name: 'monitoring: get the service', run: (c, ctx) => first(sm(c).getService({ name: ctx.service })) },
  { name: 'monitoring: get a missing service is NOT_FOUND', run: (c) => first(sm(c).getService({ name: `${MON}/services/missing` })) },
  { name: 'monitoring: list services', run: async (c) => first(sm(c).listServices({ parent: MON })) },
  { name: 'monitoring: update the service with a mask', run: (c, ctx) => first(sm(c).updateService({ service: { name: ctx.service, displayName: 'Jokes API' }, updateMask: { paths: ['display_name'] } })) },
  { name: 'monitoring: update with an unknown mask path is INVALID_ARGUMENT', run: (c, ctx) => first(sm(c).updateService({ service: { name: ctx.service }, updateMask: { paths: ['no_such_field'] } })) },
  {
    name: 'monitoring: create an SLO',
    async run(c, ctx) {
      const [slo] = await sm(c).createServiceLevelObjective({ parent: MON_SVC, serviceLevelObjectiveId: 'availability', serviceLevelObjective: SLO });
      ctx.slo = slo.name!;
      return slo;
    },
  },
  { name: 'monitoring: create an SLO under a missing service is NOT_FOUND', run: (c) => first(sm(c).createServiceLevelObjective({ parent: `${MON}/services/missing`, serviceLevelObjective: SLO })) },
  { name: 'monitoring: get the SLO', run: (c, ctx) => first(sm(c).getServiceLevelObjective({ name: ctx.slo })) },
  { name: 'monitoring: list SLOs', run: (c) => first(sm(c).listServiceLevelObjectives({ parent: MON_SVC })) },
  { name: 'monitoring: update the SLO goal', run: (c, ctx) => first(sm(c).updateServiceLevelObjective({ serviceLevelObjective: { name: ctx.slo, goal: 0.995 }, updateMask: { paths: ['goal'] } })) },
  {
    name: 'monitoring: create a notification channel (server-assigned ID)',
    async run(c, ctx) {
      const [ch] = await channels(c).createNotificationChannel({ name: MON, notificationChannel: { type: 'email', displayName: 'oncall', labels: { email_address: 'oncall@example.com' } } });
      ctx.channel = ch.name!;
      return ch;
    },
  },
  { name: 'monitoring: a channel without its labels is INVALID_ARGUMENT', run: (c) => first(channels(c).createNotificationChannel({ name: MON, notificationChannel: { type: 'email', labels: {} } })) },
  { name: 'monitoring: get the channel', run: (c, ctx) => first(channels(c).getNotificationChannel({ name: ctx.channel })) },
  { name: 'monitoring: list channels', run: (c) => first(channels(c).listNotificationChannels({ name: MON })) },
  { name: 'monitoring: update the channel', run: (c, ctx) => first(channels(c).updateNotificationChannel({ notificationChannel: { name: ctx.channel, displayName: 'on call' }, updateMask: { paths: ['display_name'] } })) },
  { name: 'monitoring: list channel descriptors', run: async (c) => (await channels(c).listNotificationChannelDescriptors({ name: MON }))[0].map((d) => d.type) },
  {
    name: 'monitoring: create an alert policy (server-assigned ID)',
    async run(c, ctx) {
      const [p] = await alerts(c).createAlertPolicy({
        name: MON,
        alertPolicy: {
          displayName: 'fast burn',
          combiner: 'OR',
          conditions: [{ displayName: 'burn > 10', conditionThreshold: { filter: `select_slo_burn_rate("${ctx.slo}", "3600s")`, comparison: 'COMPARISON_GT', thresholdValue: 10, duration: { seconds: 0 } } }],
          notificationChannels: [ctx.channel],
          userLabels: { 'managed-by': 'runctl' },
        },
      });
      ctx.policy = p.name!;
      return p;
    },
  },
  { name: 'monitoring: get the alert policy', run: (c, ctx) => first(alerts(c).getAlertPolicy({ name: ctx.policy })) },
  { name: 'monitoring: list alert policies', run: (c) => first(alerts(c).listAlertPolicies({ name: MON })) },
  { name: 'monitoring: update the alert policy', run: (c, ctx) => first(alerts(c).updateAlertPolicy({ alertPolicy: { name: ctx.policy, displayName: 'renamed' }, updateMask: { paths: ['display_name'] } })) },
  { name: 'monitoring: delete the alert policy', run: (c, ctx) => first(alerts(c).deleteAlertPolicy({ name: ctx.policy })) },
  { name: 'monitoring: get the deleted alert policy is NOT_FOUND', run: (c, ctx) => first(alerts(c).getAlertPolicy({ name: ctx.policy })) },
  { name: 'monitoring: delete the channel', run: (c, ctx) => first(channels(c).deleteNotificationChannel({ name: ctx.channel })) },
  { name: 'monitoring: delete the SLO', run: (c, ctx) => first(sm(c).deleteServiceLevelObjective({ name: ctx.slo })) },
  { name: 'monitoring: delete the service', run: (c, ctx) => first(sm(c).deleteService({ name: ctx.service })) },
  { name: 'monitoring: delete the service again is NOT_FOUND', run: (c, ctx) => first(sm(c).deleteService({ name: ctx.service })) },
];

const STEPS = [...RUN_STEPS, ...MONITORING_STEPS];

/** Mask what differs between any two emulator runs, so the rest must be identical. */
function masked(value: unknown): unknown {
  const text = JSON.stringify(value, (key, v) => {
    if (['uid', 'etag', 'mutateTime', 'mutatedBy'].includes(key) || /Time$/.test(key)) return v === undefined ? v : '<masked>';
    if (Buffer.isBuffer(v) || (v && typeof v === 'object' && v.type === 'Buffer')) return '<bytes>';
    return v;
  });
  if (text === undefined) return undefined;
  return JSON.parse(
    text
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
      .replace(/(-\d{5})-[a-z0-9]{3}\b/g, '$1-xxx')
      .replace(/(alertPolicies|notificationChannels|conditions|serviceLevelObjectives)\/\d+/g, '$1/<id>'),
  );
}

async function runAll(transport: Transport): Promise<{ results: unknown[]; emu: RunningEmulator; clients: Clients }> {
  // Operations take a while, so the clients wait on them in both transports.
  const emu = await startEmulator({ port: 0, operationLatencyMs: 150 });
  // Over REST the clients get a gRPC address nothing listens on: any gRPC call would fail.
  const grpc = transport === 'rest' ? '127.0.0.1:9' : emu.grpc;
  const clients = new Clients({ mode: 'emulator', grpc, http: emu.http, transport });
  const ctx: Ctx = {};
  const results: unknown[] = [];
  for (const step of STEPS) results.push(masked(await outcome(step.run(clients, ctx))));
  return { results, emu, clients };
}

describe('Cloud Run v2 and Monitoring v3: gRPC and REST/JSON give identical results', () => {
  const runs: Record<Transport, Awaited<ReturnType<typeof runAll>>> = {} as never;
  beforeAll(async () => {
    runs.grpc = await runAll('grpc');
    runs.rest = await runAll('rest');
  }, 120_000);
  afterAll(async () => {
    for (const r of Object.values(runs)) {
      await r?.clients.close();
      await r?.emu.stop();
    }
  });

  it.each(STEPS.map((s, i) => [s.name, i] as const))('%s', (_name, i) => {
    expect(runs.rest.results[i]).toEqual(runs.grpc.results[i]);
  });

  it('the error steps fail with the codes the real APIs use, in both transports', () => {
    const errors = STEPS.map((s, i) => [s.name, runs.grpc.results[i]] as const).filter(([n]) => /is [A-Z_]+$/.test(n));
    expect(errors.length).toBeGreaterThan(8);
    const CODES: Record<string, number> = { ALREADY_EXISTS: 6, INVALID_ARGUMENT: 3, NOT_FOUND: 5, ABORTED: 10 };
    for (const [name, result] of errors) expect(result, name).toEqual({ error: CODES[/is ([A-Z_]+)$/.exec(name)![1]] });
  });

  it('every other step succeeds', () => {
    const good = STEPS.map((s, i) => [s.name, runs.rest.results[i]] as const).filter(([n]) => !/is [A-Z_]+$/.test(n));
    for (const [name, result] of good) expect(result, name).toHaveProperty('ok');
  });

  it('the REST run reached the emulator over HTTP only (its clients had no gRPC address)', async () => {
    const stats = (await (await fetch(`http://${runs.rest.emu.http}/__emulator/stats`)).json()) as { calls: Record<string, number> };
    expect(stats.calls['Services.CreateService']).toBeGreaterThan(0);
    // gax's REST operations stub cannot send WaitOperation (src/gcp/lro-wait.ts): it polls.
    expect(stats.calls['Operations.GetOperation']).toBeGreaterThan(0);
    expect(stats.calls['AlertPolicyService.CreateAlertPolicy']).toBe(1);
  });
});
