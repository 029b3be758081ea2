/**
 * The emulator reads its gRPC services from the client packages' JSON descriptors
 * instead of parsing .proto text (start-up cost): the definitions must be the ones
 * proto-loader makes from the text - same methods, same bytes, same decoded objects.
 */
import { describe, expect, it } from 'vitest';
import { loadProtos, loadProtoText } from '../../src/emulator/grpc';

const CASES = [
  {
    files: ['google/cloud/run/v2/service.proto'],
    service: ['google', 'cloud', 'run', 'v2', 'Services'],
    method: 'CreateService',
    request: {
      parent: 'projects/p/locations/europe-north1',
      serviceId: 'jokes',
      service: {
        labels: { app: 'jokes' },
        ingress: 'INGRESS_TRAFFIC_ALL',
        template: {
          timeout: { seconds: '300' },
          scaling: { maxInstanceCount: 5 },
          containers: [{ image: 'europe-north1-docker.pkg.dev/p/r/jokes:1', env: [{ name: 'K', valueSource: { secretKeyRef: { secret: 's', version: 'latest' } } }], resources: { limits: { cpu: '1' } } }],
        },
        traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
      },
    },
  },
  {
    files: ['google/monitoring/v3/alert_service.proto'],
    service: ['google', 'monitoring', 'v3', 'AlertPolicyService'],
    method: 'CreateAlertPolicy',
    request: {
      name: 'projects/p',
      alertPolicy: { displayName: 'burn', combiner: 'OR', userLabels: { a: 'b' }, conditions: [{ displayName: 'c', conditionThreshold: { filter: 'select_slo_burn_rate("x", "300s")', comparison: 'COMPARISON_GT', thresholdValue: 10, duration: { seconds: '0' } } }] },
    },
  },
  {
    files: ['google/longrunning/operations.proto'],
    service: ['google', 'longrunning', 'Operations'],
    method: 'WaitOperation',
    request: { name: 'projects/p/locations/l/operations/o', timeout: { seconds: '5', nanos: 0 } },
  },
];

const at = (pkg: any, path: string[]) => path.reduce((o, k) => o[k], pkg).service;

describe('emulator protos from JSON descriptors', () => {
  it.each(CASES)('$method: same methods, bytes and decoded objects as the .proto text', ({ files, service, method, request }) => {
    const json = at(loadProtos(files), service);
    const text = at(loadProtoText(files), service);
    expect(Object.keys(json).sort()).toEqual(Object.keys(text).sort());
    for (const name of Object.keys(text)) {
      expect(json[name].path).toBe(text[name].path);
      expect(json[name].originalName).toBe(text[name].originalName);
      expect([json[name].requestStream, json[name].responseStream]).toEqual([text[name].requestStream, text[name].responseStream]);
    }
    const bytes = Buffer.from(text[method].requestSerialize(request));
    expect(Buffer.from(json[method].requestSerialize(request)).equals(bytes)).toBe(true);
    expect(json[method].requestDeserialize(bytes)).toEqual(text[method].requestDeserialize(bytes));
  });
});

describe('proto subsets in the emulator', () => {
  const file = 'google/cloud/scheduler/v1/cloudscheduler.proto';
  const pb = require('protobufjs') as typeof import('protobufjs');
  const version = (require('@google-cloud/scheduler/package.json') as { version: string }).version;

  it('serves a package from the build\'s subset when it holds the services, sharing the clients\' Root', async () => {
    const { subsetFor } = await import('../../src/util/proto-subsets');
    const { lazyRoot } = await import('../../src/util/grpc-defs');
    const { protoRootOf } = await import('../../src/emulator/grpc');
    const subset = subsetFor('@google-cloud/scheduler', version);
    expect(subset, 'the build writes dist/generated/protos/').toBeTruthy();
    const pkg = loadProtos([file], ['google.cloud.scheduler.v1.CloudScheduler']);
    expect(Object.keys(pkg.google.cloud.scheduler.v1.CloudScheduler.service)).toContain('CreateJob');
    // The very Root a client of the package builds from the subset.
    expect(protoRootOf(file)).toBe(lazyRoot(pb, subset!.protos as never));
  });

  it('reads the whole protos.json for a service the subset does not hold', () => {
    const pkg = loadProtos(['google/cloud/run/v2/job.proto'], ['google.cloud.run.v2.Jobs']);
    expect(Object.keys(pkg.google.cloud.run.v2.Jobs.service)).toContain('RunJob');
  });
});
