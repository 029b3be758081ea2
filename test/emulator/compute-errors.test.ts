/**
 * Conformance: Compute's error model through the official clients — 404 / 409 / 412,
 * in-use deletes, invalid serverless backends, requestId replay, list paging and filters.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeEnv, done, labelAddress, lbBase, opOf, PROJECT, REGION, statusOf, type ComputeEnv } from './compute-helpers';

const BASE = `https://www.googleapis.com/compute/v1/projects/${PROJECT}`;

describe('compute: errors, idempotency and listing', () => {
  let env: ComputeEnv;
  beforeAll(async () => {
    env = await computeEnv();
  });
  afterAll(async () => env?.close());

  it('answers 404 notFound for a missing resource and a missing reference', async () => {
    const c = env.clients;
    const missing = await statusOf(c.compute('BackendServicesClient').get({ project: PROJECT, backendService: 'nope' }));
    expect(missing.code).toBe(404);
    expect(missing.body.error.errors[0].reason).toBe('notFound');
    expect(missing.body.error.message).toBe(`The resource 'projects/${PROJECT}/global/backendServices/nope' was not found`);
    expect(missing.body.error.status).toBeUndefined();

    const dangling = await statusOf(c.compute('UrlMapsClient').insert({
      project: PROJECT,
      urlMapResource: { name: 'dangling', defaultService: 'global/backendServices/nope' },
    }));
    expect(dangling.code).toBe(404);
    const malformed = await statusOf(c.compute('UrlMapsClient').insert({ project: PROJECT, urlMapResource: { name: 'bad', defaultService: 'nope' } }));
    expect(malformed.code).toBe(400);
    expect(malformed.body.error.errors[0].reason).toBe('invalid');
  });

  it('answers 409 alreadyExists for a duplicate name and 400 for an invalid one', async () => {
    const c = env.clients;
    const addresses = c.compute('GlobalAddressesClient');
    await done(c, await addresses.insert({ project: PROJECT, addressResource: { name: 'dup-ip' } }));
    const dup = await statusOf(addresses.insert({ project: PROJECT, addressResource: { name: 'dup-ip' } }));
    expect(dup.code).toBe(409);
    expect(dup.body.error.errors[0].reason).toBe('alreadyExists');
    const bad = await statusOf(addresses.insert({ project: PROJECT, addressResource: { name: 'Bad_Name' } }));
    expect(bad.code).toBe(400);
  });

  it('rejects health checks on a backend service with serverless NEG backends', async () => {
    const c = env.clients;
    await done(c, await c.compute('RegionNetworkEndpointGroupsClient').insert({
      project: PROJECT,
      region: REGION,
      networkEndpointGroupResource: { name: 'hc-neg', networkEndpointType: 'SERVERLESS', cloudRun: { service: 'hc' } },
    }), REGION);
    const res = await statusOf(c.compute('BackendServicesClient').insert({
      project: PROJECT,
      backendServiceResource: {
        name: 'hc-bs',
        loadBalancingScheme: 'EXTERNAL_MANAGED',
        backends: [{ group: `regions/${REGION}/networkEndpointGroups/hc-neg` }],
        healthChecks: ['global/healthChecks/hc'],
      },
    }));
    expect(res.code).toBe(400);
    expect(res.body.error.message).toContain('A backend service cannot have a healthcheck with Serverless network endpoint group backends.');
  });

  it('requires the current fingerprint on patch and update (412 conditionNotMet)', async () => {
    const c = env.clients;
    await lbBase(c, 'fp');
    const bss = c.compute('BackendServicesClient');
    const [bs] = await bss.get({ project: PROJECT, backendService: 'fp-bs' });
    await done(c, await bss.patch({ project: PROJECT, backendService: 'fp-bs', backendServiceResource: { fingerprint: bs.fingerprint, timeoutSec: 60 } }));
    const [patched] = await bss.get({ project: PROJECT, backendService: 'fp-bs' });
    expect(patched.timeoutSec).toBe(60);
    expect(patched.fingerprint).not.toBe(bs.fingerprint);
    expect(patched.backends?.[0].group).toBe(bs.backends?.[0].group);

    const stale = await statusOf(bss.patch({ project: PROJECT, backendService: 'fp-bs', backendServiceResource: { fingerprint: bs.fingerprint, timeoutSec: 90 } }));
    expect(stale.code).toBe(412);
    expect(stale.body.error.errors[0].reason).toBe('conditionNotMet');
    const missing = await statusOf(bss.patch({ project: PROJECT, backendService: 'fp-bs', backendServiceResource: { timeoutSec: 90 } }));
    expect(missing.code).toBe(412);

    const urlMaps = c.compute('UrlMapsClient');
    const [um] = await urlMaps.get({ project: PROJECT, urlMap: 'fp-um' });
    await done(c, await urlMaps.update({
      project: PROJECT,
      urlMap: 'fp-um',
      urlMapResource: {
        name: 'fp-um',
        fingerprint: um.fingerprint,
        defaultService: um.defaultService,
        hostRules: [{ hosts: ['api.example.com'], pathMatcher: 'api' }],
        pathMatchers: [{ name: 'api', defaultService: um.defaultService, pathRules: [{ paths: ['/api/*'], service: 'global/backendServices/fp-bs' }] }],
      },
    }));
    const [updated] = await urlMaps.get({ project: PROJECT, urlMap: 'fp-um' });
    expect(updated.pathMatchers?.[0].pathRules?.[0].service).toBe(`${BASE}/global/backendServices/fp-bs`);
    const staleUpdate = await statusOf(urlMaps.update({ project: PROJECT, urlMap: 'fp-um', urlMapResource: { name: 'fp-um', fingerprint: um.fingerprint, defaultService: um.defaultService } }));
    expect(staleUpdate.code).toBe(412);
  });

  it('patches proxies with their fingerprint and limits forwarding-rule patches to networkTier', async () => {
    const c = env.clients;
    await lbBase(c, 'pt');
    const proxies = c.compute('TargetHttpProxiesClient');
    await done(c, await proxies.insert({ project: PROJECT, targetHttpProxyResource: { name: 'pt-http', urlMap: 'global/urlMaps/pt-um' } }));
    const [proxy] = await proxies.get({ project: PROJECT, targetHttpProxy: 'pt-http' });
    await done(c, await proxies.patch({ project: PROJECT, targetHttpProxy: 'pt-http', targetHttpProxyResource: { fingerprint: proxy.fingerprint, description: 'edge' } }));
    const [patched] = await proxies.get({ project: PROJECT, targetHttpProxy: 'pt-http' });
    expect(patched.description).toBe('edge');
    expect((await statusOf(proxies.patch({ project: PROJECT, targetHttpProxy: 'pt-http', targetHttpProxyResource: { fingerprint: proxy.fingerprint, description: 'x' } }))).code).toBe(412);

    const rules = c.compute('GlobalForwardingRulesClient');
    await done(c, await rules.insert({ project: PROJECT, forwardingRuleResource: { name: 'pt-fr', target: 'global/targetHttpProxies/pt-http' } }));
    const [fr] = await rules.get({ project: PROJECT, forwardingRule: 'pt-fr' });
    await done(c, await rules.patch({ project: PROJECT, forwardingRule: 'pt-fr', forwardingRuleResource: { fingerprint: fr.fingerprint, networkTier: 'PREMIUM' } }));
    const [fr2] = await rules.get({ project: PROJECT, forwardingRule: 'pt-fr' });
    expect(fr2.fingerprint).not.toBe(fr.fingerprint);
    const portChange = await statusOf(rules.patch({ project: PROJECT, forwardingRule: 'pt-fr', forwardingRuleResource: { fingerprint: fr2.fingerprint, portRange: '8080' } }));
    expect(portChange.code).toBe(400);
    const staleLabels = await statusOf(rules.setLabels({
      project: PROJECT,
      resource: 'pt-fr',
      globalSetLabelsRequestResource: { labels: { a: 'b' }, labelFingerprint: 'stale' },
    }));
    expect(staleLabels.code).toBe(412);

    // An ephemeral IP cannot be named as a literal by another rule; a reserved one can, but
    // two rules on the same IP with overlapping port ranges conflict.
    const ephemeral = await statusOf(rules.insert({ project: PROJECT, forwardingRuleResource: { name: 'pt-fr-2', target: 'global/targetHttpProxies/pt-http', IPAddress: fr.IPAddress } }));
    expect(ephemeral.code).toBe(400);
    await done(c, await c.compute('GlobalAddressesClient').insert({ project: PROJECT, addressResource: { name: 'pt-ip' } }));
    await done(c, await rules.insert({ project: PROJECT, forwardingRuleResource: { name: 'pt-fr-3', target: 'global/targetHttpProxies/pt-http', IPAddress: 'global/addresses/pt-ip', portRange: '80-8080' } }));
    const clash = await statusOf(rules.insert({ project: PROJECT, forwardingRuleResource: { name: 'pt-fr-4', target: 'global/targetHttpProxies/pt-http', IPAddress: 'global/addresses/pt-ip', portRange: '443' } }));
    expect(clash.code).toBe(400);
    expect(clash.body.error.message).toContain('conflicts with forwarding rule');
  });

  it('refuses to delete a resource still referenced (400 resourceInUseByAnotherResource)', async () => {
    const c = env.clients;
    await lbBase(c, 'use');
    const res = await statusOf(c.compute('BackendServicesClient').delete({ project: PROJECT, backendService: 'use-bs' }));
    expect(res.code).toBe(400);
    expect(res.body.error.errors[0].reason).toBe('resourceInUseByAnotherResource');
    expect(res.body.error.message).toBe(
      `The backend_service resource 'projects/${PROJECT}/global/backendServices/use-bs' is already being used by 'projects/${PROJECT}/global/urlMaps/use-um'`,
    );
    const neg = await statusOf(c.compute('RegionNetworkEndpointGroupsClient').delete({ project: PROJECT, region: REGION, networkEndpointGroup: 'use-neg' }));
    expect(neg.code).toBe(400);
    const [still] = await c.compute('BackendServicesClient').get({ project: PROJECT, backendService: 'use-bs' });
    expect(still.name).toBe('use-bs');
  });

  it('replays a repeated requestId instead of applying it twice', async () => {
    const c = env.clients;
    const addresses = c.compute('GlobalAddressesClient');
    const requestId = randomUUID();
    const [first] = await addresses.insert({ project: PROJECT, requestId, addressResource: { name: 'rid-ip' } });
    const [second] = await addresses.insert({ project: PROJECT, requestId, addressResource: { name: 'rid-ip' } });
    expect(second.latestResponse.name).toBe(first.latestResponse.name);
    await done(c, [second]);
    const [ip] = await addresses.get({ project: PROJECT, address: 'rid-ip' });

    // Delete it, then retry the original insert: the old operation comes back, nothing is re-created.
    await done(c, await addresses.delete({ project: PROJECT, address: 'rid-ip' }));
    const [third] = await addresses.insert({ project: PROJECT, requestId, addressResource: { name: 'rid-ip' } });
    expect(third.latestResponse.name).toBe(first.latestResponse.name);
    expect(opOf([third]).targetId).toBe(ip.id);
    const gone = await statusOf(addresses.get({ project: PROJECT, address: 'rid-ip' }));
    expect(gone.code).toBe(404);
  });

  it('pages lists with maxResults/pageToken and filters by name and labels', async () => {
    const c = env.clients;
    const negs = c.compute('RegionNetworkEndpointGroupsClient');
    for (let i = 0; i < 12; i++) {
      await done(c, await negs.insert({
        project: PROJECT,
        region: 'us-central1',
        networkEndpointGroupResource: { name: `page-${String(i).padStart(2, '0')}`, networkEndpointType: 'SERVERLESS', cloudRun: { service: `svc-${i}` } },
      }), 'us-central1');
    }
    const [firstPage, nextRequest, raw] = await negs.list({ project: PROJECT, region: 'us-central1', maxResults: 5 }, { autoPaginate: false });
    expect(firstPage.map((n) => n.name)).toEqual(['page-00', 'page-01', 'page-02', 'page-03', 'page-04']);
    expect(raw?.nextPageToken).toBeTruthy();
    expect(nextRequest?.pageToken).toBe(raw?.nextPageToken);

    const all: string[] = [];
    for await (const n of negs.listAsync({ project: PROJECT, region: 'us-central1' })) all.push(n.name!);
    expect(all).toHaveLength(12);

    const [byName] = await negs.list({ project: PROJECT, region: 'us-central1', filter: 'name eq page-1.*' });
    expect(byName.map((n) => n.name)).toEqual(['page-10', 'page-11']);
    const [byService] = await negs.list({ project: PROJECT, region: 'us-central1', filter: 'cloudRun.service = "svc-3"' });
    expect(byService.map((n) => n.name)).toEqual(['page-03']);

    const addresses = c.compute('GlobalAddressesClient');
    await done(c, await addresses.insert({ project: PROJECT, addressResource: { name: 'lab-a' } }));
    await labelAddress(c, 'lab-a', { 'runctl-set': 'blue' });
    await done(c, await addresses.insert({ project: PROJECT, addressResource: { name: 'lab-b' } }));
    await labelAddress(c, 'lab-b', { 'runctl-set': 'green' });
    const [blue] = await addresses.list({ project: PROJECT, filter: 'labels.runctl-set eq blue' });
    expect(blue.map((a) => a.name)).toEqual(['lab-a']);
    const [notBlue] = await addresses.list({ project: PROJECT, filter: '(labels.runctl-set = green) OR (name = "dup-ip")' });
    expect(notBlue.map((a) => a.name).sort()).toEqual(['dup-ip', 'lab-b']);

    const bad = await statusOf(addresses.list({ project: PROJECT, filter: 'name eq' }));
    expect(bad.code).toBe(400);
  });

  it('keeps NEGs immutable: there is no update', async () => {
    const res = await fetch(`http://${env.emu.http}/compute/v1/projects/${PROJECT}/regions/${REGION}/networkEndpointGroups/hc-neg`, {
      method: 'PATCH',
      body: JSON.stringify({ cloudRun: { service: 'other' } }),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    const [neg] = await env.clients.compute('RegionNetworkEndpointGroupsClient').get({ project: PROJECT, region: REGION, networkEndpointGroup: 'hc-neg' });
    expect(neg.cloudRun?.service).toBe('hc');
  });
});
