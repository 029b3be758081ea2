/**
 * Serverless VPC Access v1 through the official `@google-cloud/vpc-access` client, over
 * gRPC and over REST/JSON (`fallback: true`, the transcoder): connectors' lifecycle and
 * long-running operations, server defaults, validation as the real API words it, and the
 * check Cloud Run makes of a revision's connector. Behaviour: src/emulator/spec/vpc-access.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import { Clients } from '../../src/gcp/clients';
import { apiFailure as failure } from '../helpers/api-failure';
import { TEST_SEED } from '../helpers/seed';

const PROJECT = 'vpc-proj';
const PARENT = `projects/${PROJECT}/locations/europe-north1`;
const IMAGE = 'europe-north1-docker.pkg.dev/vpc-proj/repo/app:1';

describe.each(['grpc', 'rest'] as const)('Serverless VPC Access emulator (%s)', (transport) => {
  let emu: RunningEmulator;
  let clients: Clients;
  beforeAll(async () => {
    emu = await startEmulator({ port: 0, seed: TEST_SEED, operationLatencyMs: 400 });
    clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http, transport });
  });
  afterAll(async () => {
    await clients?.close?.();
    await emu?.stop();
  });
  const vpc = () => clients.vpcAccess();
  const create = (connectorId: string, connector: Record<string, unknown>) => vpc().createConnector({ parent: PARENT, connectorId, connector });

  it('creates a connector: CREATING until its operation is done, then READY with the server defaults', async () => {
    const [op] = await create('onprem', { network: 'default', ipCidrRange: '10.8.0.0/28', minInstances: 2, maxInstances: 3, state: 'ERROR', connectedProjects: ['x'] });
    expect(op.done).toBeFalsy();
    expect(op.name).toMatch(new RegExp(`^${PARENT}/operations/`));
    const [during] = await vpc().getConnector({ name: `${PARENT}/connectors/onprem` });
    expect(during.state).toBe('CREATING');
    const [done] = await op.promise();
    expect(done.name).toBe(`${PARENT}/connectors/onprem`);
    const [c] = await vpc().getConnector({ name: `${PARENT}/connectors/onprem` });
    expect(c).toMatchObject({ network: 'default', ipCidrRange: '10.8.0.0/28', state: 'READY', machineType: 'e2-micro', minInstances: 2, maxInstances: 3, minThroughput: 200, maxThroughput: 300 });
    expect(c.connectedProjects ?? []).toEqual([]);
    const [meta] = [op.metadata as { method?: string; target?: string }];
    expect(meta).toMatchObject({ method: 'google.cloud.vpcaccess.v1.VpcAccessService.CreateConnector', target: `${PARENT}/connectors/onprem` });
  });

  it('fills instances from throughput, subnet.projectId from the project; instances win over throughput', async () => {
    const [a] = await create('by-throughput', { network: 'default', ipCidrRange: '10.8.0.16/28', minThroughput: 300, maxThroughput: 700 });
    await a.promise();
    const [ca] = await vpc().getConnector({ name: `${PARENT}/connectors/by-throughput` });
    expect(ca).toMatchObject({ minInstances: 3, maxInstances: 7, minThroughput: 300, maxThroughput: 700 });
    const [b] = await create('in-subnet', { subnet: { name: 'connectors' }, minInstances: 2, maxInstances: 10, maxThroughput: 300, machineType: 'e2-standard-4' });
    await b.promise();
    const [cb] = await vpc().getConnector({ name: `${PARENT}/connectors/in-subnet` });
    expect(cb).toMatchObject({ subnet: { name: 'connectors', projectId: PROJECT }, maxInstances: 10, maxThroughput: 1000, machineType: 'e2-standard-4' });
    expect(cb.ipCidrRange || undefined).toBeUndefined();
  });

  it('lists connectors by name, paged', async () => {
    const [all] = await vpc().listConnectors({ parent: PARENT });
    expect(all.map((c) => c.name!.split('/').pop())).toEqual(['by-throughput', 'in-subnet', 'onprem']);
    const [page, next] = await vpc().listConnectors({ parent: PARENT, pageSize: 2 }, { autoPaginate: false });
    expect(page).toHaveLength(2);
    expect(next?.pageToken).toBeTruthy();
  });

  it('refuses bad requests at the call with INVALID_ARGUMENT and the API wording', async () => {
    const bad = await failure(create('Bad_Name', { network: 'default', ipCidrRange: '10.9.0.0/28', maxInstances: 3 }));
    expect(bad.code).toBe(3);
    expect(bad.message).toContain('Connector ID must follow the pattern ^[a-z][-a-z0-9]{0,23}[a-z0-9]$.');
    expect((await failure(create('a-very-long-connector-name-x', { network: 'default', ipCidrRange: '10.9.0.0/28', maxInstances: 3 }))).code).toBe(3);
    expect((await failure(create('wide', { network: 'default', ipCidrRange: '10.9.0.0/24', maxInstances: 3 }))).message).toMatch(/must be a \/28/);
    expect((await failure(create('both', { network: 'default', ipCidrRange: '10.9.0.0/28', subnet: { name: 's' }, maxInstances: 3 }))).code).toBe(3);
    expect((await failure(create('neither', { network: 'default', maxInstances: 3 }))).code).toBe(3);
    expect((await failure(create('min-max', { network: 'default', ipCidrRange: '10.9.0.0/28', minInstances: 5, maxInstances: 4 }))).message).toMatch(/greater than minimum/);
    expect((await failure(create('too-many', { network: 'default', ipCidrRange: '10.9.0.0/28', maxInstances: 11 }))).message).toMatch(/between 3 and 10/);
    expect((await failure(create('slow', { network: 'default', ipCidrRange: '10.9.0.0/28', minThroughput: 150, maxThroughput: 300 }))).message).toContain(
      'Connector minimum throughput must be a multiple of 100 between 200 and 1000 in Mbps.',
    );
    expect((await failure(create('odd-machine', { network: 'default', ipCidrRange: '10.9.0.0/28', maxInstances: 3, machineType: 'n1-standard-1' }))).code).toBe(3);
    expect((await failure(create('onprem', { network: 'default', ipCidrRange: '10.9.0.0/28', maxInstances: 3 }))).code).toBe(6);
    const [all] = await vpc().listConnectors({ parent: PARENT });
    expect(all).toHaveLength(3);
  });

  it('fails the operation when no maximum is given, and when the range overlaps another connector (left in ERROR)', async () => {
    const [noMax] = await create('no-max', { network: 'default', ipCidrRange: '10.9.0.0/28' });
    const e1 = await failure(noMax.promise());
    expect(e1.code).toBe(3);
    expect(e1.message).toContain('A Connector must specify either max_throughput or max_instances.');
    expect((await failure(vpc().getConnector({ name: `${PARENT}/connectors/no-max` }))).code).toBe(5);

    const [clash] = await create('clash', { network: 'default', ipCidrRange: '10.8.0.0/28', maxInstances: 3 });
    const e2 = await failure(clash.promise());
    expect(e2.code).toBe(3);
    expect(e2.message).toContain('Invalid IP CIDR range was provided. It conflicts with an existing subnetwork. Please delete the connector manually.');
    const [c] = await vpc().getConnector({ name: `${PARENT}/connectors/clash` });
    expect(c.state).toBe('ERROR');
    // Another network has its own address space.
    const [other] = await create('other-net', { network: 'lab', ipCidrRange: '10.8.0.0/28', maxInstances: 3 });
    await other.promise();
  });

  it('deletes: DELETING until the operation is done, then NOT_FOUND; a missing connector is NOT_FOUND', async () => {
    const name = `${PARENT}/connectors/clash`;
    const [op] = await vpc().deleteConnector({ name });
    expect(op.done).toBeFalsy();
    expect((await vpc().getConnector({ name }))[0].state).toBe('DELETING');
    await op.promise();
    expect((await failure(vpc().getConnector({ name }))).code).toBe(5);
    expect((await failure(vpc().deleteConnector({ name }))).code).toBe(5);
  });

  it('serves its operations through the Operations mixin the client polls', async () => {
    const [op] = await create('polled', { network: 'default', ipCidrRange: '10.8.0.32/28', maxInstances: 3 });
    const [read] = await vpc().getOperation({ name: op.name! } as Parameters<ReturnType<typeof vpc>['getOperation']>[0]);
    expect(read.name).toBe(op.name);
    await op.promise();
    const [again] = await vpc().getOperation({ name: op.name! } as Parameters<ReturnType<typeof vpc>['getOperation']>[0]);
    expect(again.done).toBe(true);
    const listed: string[] = [];
    for await (const o of vpc().listOperationsAsync({ name: PARENT } as Parameters<ReturnType<typeof vpc>['listOperationsAsync']>[0])) listed.push(o.name!);
    expect(listed).toContain(op.name);
  });

  it('fails a Cloud Run revision whose connector in the same project does not exist, and admits it once it does', async () => {
    const run = clients.runServices();
    const connector = `${PARENT}/connectors/missing`;
    const [op] = await run.createService({ parent: PARENT, serviceId: `vpc-app-${transport}`, service: { template: { containers: [{ image: IMAGE }], vpcAccess: { connector } } } });
    const err = await failure(op.promise());
    expect(err.message).toContain(`VPC connector ${connector} does not exist, or Cloud Run does not have permission to use it.`);
    const [svc] = await run.getService({ name: `${PARENT}/services/vpc-app-${transport}` });
    expect(svc.terminalCondition?.reason).toBe('VPC_NETWORK_NOT_FOUND');

    const [c] = await create('missing', { network: 'default', ipCidrRange: '10.8.0.48/28', maxInstances: 3 });
    await c.promise();
    const [op2] = await run.updateService({ service: { ...svc, template: { ...svc.template, labels: { retry: '1' } } } });
    await op2.promise();
    const [ok] = await run.getService({ name: svc.name! });
    expect(ok.terminalCondition?.state).toBe('CONDITION_SUCCEEDED');
  });

  it('admits a connector of another project (Shared VPC host project; grants there are not modelled)', async () => {
    const run = clients.runServices();
    const [op] = await run.createService({
      parent: PARENT,
      serviceId: `shared-vpc-${transport}`,
      service: { template: { containers: [{ image: IMAGE }], vpcAccess: { connector: 'projects/host-proj/locations/europe-north1/connectors/shared' } } },
    });
    await op.promise();
    const [svc] = await run.getService({ name: `${PARENT}/services/shared-vpc-${transport}` });
    expect(svc.terminalCondition?.state).toBe('CONDITION_SUCCEEDED');
  });
});
