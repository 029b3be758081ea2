/**
 * Shared setup for the Compute conformance tests: an emulator on ephemeral ports and the
 * official `@google-cloud/compute` clients pointed at it, plus operation waiting the way a
 * reconciler does it (`wait` on `latestResponse.name` until DONE, then check `error`).
 */
import type * as compute from '@google-cloud/compute';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import type { EmulatorOptions } from '../../src/emulator/options';
import { Clients } from '../../src/gcp/clients';

export const PROJECT = 'test-proj';
export const REGION = 'europe-north1';

export interface ComputeEnv {
  emu: RunningEmulator;
  clients: Clients;
  close(): Promise<void>;
}

export async function computeEnv(options: EmulatorOptions = {}): Promise<ComputeEnv> {
  const emu = await startEmulator({ port: 0, ...options });
  const clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http });
  return {
    emu,
    clients,
    async close() {
      await clients.close();
      await emu.stop();
    },
  };
}

/**
 * The Compute operation JSON from a client's LRO wrapper (`[wrapper, ...]`). The clients
 * declare the wrapper as a google.longrunning `LROperation`, but Compute's wrapper is an
 * ExtendedOperation whose `latestResponse` is a `compute.v1.Operation`.
 */
export function opOf(result: unknown): compute.protos.google.cloud.compute.v1.IOperation {
  const wrapper: unknown = Array.isArray(result) ? result[0] : result;
  return (wrapper as { latestResponse: compute.protos.google.cloud.compute.v1.IOperation }).latestResponse;
}

/** Wait for a global or regional operation to be DONE; returns the final operation. */
export async function waitOp(clients: Clients, result: any, region?: string): Promise<any> {
  let op = opOf(result);
  for (let i = 0; op.status !== 'DONE' && i < 100; i++) {
    if (region) [op] = await clients.compute('RegionOperationsClient').wait({ project: PROJECT, region, operation: op.name });
    else [op] = await clients.compute('GlobalOperationsClient').wait({ project: PROJECT, operation: op.name });
  }
  return op;
}

/** Wait and fail on an operation error. */
export async function done(clients: Clients, result: any, region?: string): Promise<any> {
  const op = await waitOp(clients, result, region);
  if (op.status !== 'DONE') throw new Error(`operation ${op.name} not done`);
  if (op.error?.errors?.length) throw new Error(`operation ${op.name} failed: ${JSON.stringify(op.error)}`);
  return op;
}

/** The HTTP status of a rejected client call (GaxiosError `code` in this gax version). */
export async function statusOf(p: Promise<unknown>): Promise<{ code: number; body: any }> {
  try {
    await p;
  } catch (err: any) {
    let body: any;
    try {
      body = JSON.parse(err.message);
    } catch {
      body = err.response?.data;
    }
    return { code: Number(err.code ?? err.status), body };
  }
  throw new Error('expected the call to fail');
}

/** Create the serverless NEG → backend service → URL map chain; returns their self-links. */
export async function lbBase(clients: Clients, prefix = 'app'): Promise<{ neg: string; bs: string; um: string }> {
  await done(clients, await clients.compute('RegionNetworkEndpointGroupsClient').insert({
    project: PROJECT,
    region: REGION,
    networkEndpointGroupResource: { name: `${prefix}-neg`, networkEndpointType: 'SERVERLESS', cloudRun: { service: prefix } },
  }), REGION);
  await done(clients, await clients.compute('BackendServicesClient').insert({
    project: PROJECT,
    backendServiceResource: {
      name: `${prefix}-bs`,
      loadBalancingScheme: 'EXTERNAL_MANAGED',
      backends: [{ group: `projects/${PROJECT}/regions/${REGION}/networkEndpointGroups/${prefix}-neg` }],
    },
  }));
  await done(clients, await clients.compute('UrlMapsClient').insert({
    project: PROJECT,
    urlMapResource: { name: `${prefix}-um`, defaultService: `global/backendServices/${prefix}-bs` },
  }));
  const base = `https://www.googleapis.com/compute/v1/projects/${PROJECT}`;
  return {
    neg: `${base}/regions/${REGION}/networkEndpointGroups/${prefix}-neg`,
    bs: `${base}/global/backendServices/${prefix}-bs`,
    um: `${base}/global/urlMaps/${prefix}-um`,
  };
}

/** Set a global address's labels the only way Google takes them: `setLabels` after insert. */
export async function labelAddress(clients: Clients, address: string, labels: Record<string, string>): Promise<void> {
  const addresses = clients.compute('GlobalAddressesClient');
  const [current] = await addresses.get({ project: PROJECT, address });
  await done(clients, await addresses.setLabels({ project: PROJECT, resource: address, globalSetLabelsRequestResource: { labels, labelFingerprint: current.labelFingerprint } }));
}
