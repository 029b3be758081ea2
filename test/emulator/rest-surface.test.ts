/**
 * Every gRPC method the emulator implements is reachable over REST: the HTTP rules read
 * from the client protos (src/emulator/rest/rules.ts) bind each one. A gRPC API added
 * later without its package in API_PACKAGES fails here instead of silently having no
 * REST surface.
 */
import { describe, expect, it } from 'vitest';
import { EmulatorCore } from '../../src/emulator/core';
import { grpc } from '../../src/emulator/grpc';
import { MODULES } from '../../src/emulator/modules/index';
import { GrpcRegistry } from '../../src/emulator/rest/registry';
import { restMethods } from '../../src/emulator/rest/rules';

/**
 * Implemented over gRPC, with no REST mapping at Google either: Cloud Run's clients bind
 * no HTTP path for CancelOperation (services_client.js lroOptions.httpRules).
 */
const GRPC_ONLY = ['/google.longrunning.Operations/CancelOperation'];

describe('the REST surface covers the gRPC surface', () => {
  it('binds every implemented gRPC method to an HTTP rule', async () => {
    const core = new EmulatorCore({});
    const server = new grpc.Server();
    const registry = new GrpcRegistry();
    registry.record(server);
    for (const m of MODULES) m.grpc?.(server, core);
    const bound = new Set(restMethods().map((m) => m.grpcPath));
    expect(registry.paths().length).toBeGreaterThan(30);
    expect(registry.paths().filter((p) => !bound.has(p) && !GRPC_ONLY.includes(p))).toEqual([]);
    server.forceShutdown();
    await core.close();
  });

  it('reads the rules from both API packages, with their verbs and bodies', () => {
    const byName = new Map(restMethods().map((m) => [m.fullName, m]));
    const update = byName.get('google.cloud.run.v2.Services.UpdateService')!;
    expect(update.bindings.map((b) => [b.httpMethod, b.template.source, b.body])).toEqual([['PATCH', '/v2/{service.name=projects/*/locations/*/services/*}', 'service']]);
    const iam = byName.get('google.cloud.run.v2.Services.SetIamPolicy')!;
    expect(iam.bindings[0]).toMatchObject({ httpMethod: 'POST', body: '*' });
    expect(iam.bindings[0].template.verb).toBe('setIamPolicy');
    const slo = byName.get('google.monitoring.v3.ServiceMonitoringService.CreateServiceLevelObjective')!;
    expect(slo.bindings[0].template.source).toBe('/v3/{parent=*/*/services/*}/serviceLevelObjectives');
  });
});
