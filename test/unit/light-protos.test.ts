/**
 * runctl's `loadProtoJSON` for google-gax (src/gcp/light-protos.ts) must give the
 * clients exactly what gax's own gives them: the same services and methods, the same
 * request bytes and the same decoded responses (with gax's `defaults: true`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { installLightProtos } from '../../src/gcp/light-protos';

const gax = require('google-gax') as typeof import('google-gax');
const protoLoader = require('@grpc/proto-loader') as typeof import('@grpc/proto-loader');

function protosJson(pkg: string): object {
  return JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'build', 'protos', 'protos.json'), 'utf8'));
}

const CASES = [
  {
    pkg: '@google-cloud/run',
    service: 'google.cloud.run.v2.Services',
    method: 'UpdateService',
    request: { service: { name: 'projects/p/locations/l/services/s', template: { containers: [{ image: 'i', ports: [{ containerPort: 8080 }] }], scaling: { maxInstanceCount: 3 } } }, allowMissing: true },
    response: { name: 'projects/p/locations/l/operations/o', done: false },
  },
  {
    pkg: '@google-cloud/monitoring',
    service: 'google.monitoring.v3.ServiceMonitoringService',
    method: 'GetServiceLevelObjective',
    request: { name: 'projects/p/services/s/serviceLevelObjectives/o', view: 'FULL' },
    response: { name: 'projects/p/services/s/serviceLevelObjectives/o', goal: 0.99, rollingPeriod: { seconds: '86400' }, userLabels: { a: 'b' } },
  },
  {
    pkg: '@google-cloud/secret-manager',
    service: 'google.cloud.secretmanager.v1.SecretManagerService',
    method: 'AccessSecretVersion',
    request: { name: 'projects/p/secrets/s/versions/latest' },
    response: { name: 'projects/p/secrets/s/versions/1', payload: { data: Buffer.from('x'), dataCrc32c: '2363233923' } },
  },
];

const at = (pkg: any, name: string) => name.split('.').reduce((o, k) => o[k], pkg).service;

describe('light loadProtoJSON for google-gax', () => {
  installLightProtos();
  it.each(CASES)('$method: same methods, bytes and decoded objects as gax with proto-loader', ({ pkg, service, method, request, response }) => {
    const json = protosJson(pkg);
    const light = at(new gax.GrpcClient().loadProtoJSON(json as any), service);
    const own = at(gax.grpc.loadPackageDefinition(protoLoader.fromJSON(json, (gax.GrpcClient as unknown as { defaultOptions(): object }).defaultOptions())), service);
    expect(Object.keys(light).sort()).toEqual(Object.keys(own).sort());
    for (const m of Object.keys(own)) expect([light[m].path, light[m].originalName, light[m].requestStream, light[m].responseStream]).toEqual([own[m].path, own[m].originalName, own[m].requestStream, own[m].responseStream]);
    expect(Buffer.from(light[method].requestSerialize(request)).equals(Buffer.from(own[method].requestSerialize(request)))).toBe(true);
    const bytes = Buffer.from(own[method].responseSerialize(response));
    expect(light[method].responseDeserialize(bytes)).toEqual(own[method].responseDeserialize(bytes));
  });

  it('the same JSON object loads once', () => {
    const json = protosJson('@google-cloud/run');
    const client = new gax.GrpcClient();
    expect(client.loadProtoJSON(json as any)).toBe(client.loadProtoJSON(json as any));
  });
});
