/**
 * Conformance: the whole global external Application Load Balancer chain in front of a
 * Cloud Run service, built and read back through the official Compute clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeEnv, done, lbBase, PROJECT, REGION, type ComputeEnv } from './compute-helpers';

const BASE = `https://www.googleapis.com/compute/v1/projects/${PROJECT}`;

describe('compute: load balancer chain', () => {
  let env: ComputeEnv;
  beforeAll(async () => {
    env = await computeEnv();
  });
  afterAll(async () => env?.close());

  it('creates NEG → backend service → URL map → cert → HTTPS proxy → address → forwarding rule and reads them back', async () => {
    const c = env.clients;
    const links = await lbBase(c, 'jokes');

    const [neg] = await c.compute('RegionNetworkEndpointGroupsClient').get({ project: PROJECT, region: REGION, networkEndpointGroup: 'jokes-neg' });
    expect(neg).toMatchObject({
      kind: 'compute#networkEndpointGroup',
      name: 'jokes-neg',
      networkEndpointType: 'SERVERLESS',
      cloudRun: { service: 'jokes' },
      selfLink: links.neg,
      region: `${BASE}/regions/${REGION}`,
    });
    expect(neg.id).toMatch(/^\d+$/);
    expect(Number.isNaN(Date.parse(neg.creationTimestamp!))).toBe(false);

    const [bs] = await c.compute('BackendServicesClient').get({ project: PROJECT, backendService: 'jokes-bs' });
    expect(bs).toMatchObject({ kind: 'compute#backendService', loadBalancingScheme: 'EXTERNAL_MANAGED', protocol: 'HTTP', selfLink: links.bs });
    // Sent relative, returned as a full self-link.
    expect(bs.backends?.[0].group).toBe(links.neg);
    expect(bs.fingerprint).toBeTruthy();
    expect(bs.usedBy?.map((u) => u.reference)).toEqual([links.um]);

    const [um] = await c.compute('UrlMapsClient').get({ project: PROJECT, urlMap: 'jokes-um' });
    expect(um.defaultService).toBe(links.bs);

    await done(c, await c.compute('SslCertificatesClient').insert({
      project: PROJECT,
      sslCertificateResource: { name: 'jokes-cert', type: 'MANAGED', managed: { domains: ['jokes.example.com'] } },
    }));
    const [certBefore] = await c.compute('SslCertificatesClient').get({ project: PROJECT, sslCertificate: 'jokes-cert' });
    expect(certBefore.managed).toMatchObject({ domains: ['jokes.example.com'], status: 'PROVISIONING', domainStatus: { 'jokes.example.com': 'PROVISIONING' } });

    await done(c, await c.compute('TargetHttpsProxiesClient').insert({
      project: PROJECT,
      targetHttpsProxyResource: { name: 'jokes-https', urlMap: links.um, sslCertificates: [`projects/${PROJECT}/global/sslCertificates/jokes-cert`] },
    }));
    const [proxy] = await c.compute('TargetHttpsProxiesClient').get({ project: PROJECT, targetHttpsProxy: 'jokes-https' });
    expect(proxy).toMatchObject({ kind: 'compute#targetHttpsProxy', urlMap: links.um, sslCertificates: [`${BASE}/global/sslCertificates/jokes-cert`] });
    expect(proxy.fingerprint).toBeTruthy();

    await done(c, await c.compute('GlobalAddressesClient').insert({ project: PROJECT, addressResource: { name: 'jokes-ip', ipVersion: 'IPV4' } }));
    const [addrBefore] = await c.compute('GlobalAddressesClient').get({ project: PROJECT, address: 'jokes-ip' });
    expect(addrBefore.address).toMatch(/^34\.120\.\d+\.\d+$/);
    expect(addrBefore.status).toBe('RESERVED');

    await done(c, await c.compute('GlobalForwardingRulesClient').insert({
      project: PROJECT,
      forwardingRuleResource: {
        name: 'jokes-fr',
        loadBalancingScheme: 'EXTERNAL_MANAGED',
        IPAddress: `${BASE}/global/addresses/jokes-ip`,
        IPProtocol: 'TCP',
        portRange: '443',
        target: `global/targetHttpsProxies/jokes-https`,
        labels: { 'managed-by': 'runctl', 'runctl-set': 'demo' },
      },
    }));
    const [fr] = await c.compute('GlobalForwardingRulesClient').get({ project: PROJECT, forwardingRule: 'jokes-fr' });
    expect(fr).toMatchObject({
      kind: 'compute#forwardingRule',
      portRange: '443-443',
      IPAddress: addrBefore.address,
      IPProtocol: 'TCP',
      target: `${BASE}/global/targetHttpsProxies/jokes-https`,
      labels: { 'managed-by': 'runctl', 'runctl-set': 'demo' },
      networkTier: 'PREMIUM',
    });
    expect(fr.labelFingerprint).toBeTruthy();

    const [addr] = await c.compute('GlobalAddressesClient').get({ project: PROJECT, address: 'jokes-ip' });
    expect(addr.status).toBe('IN_USE');
    expect(addr.users).toEqual([`${BASE}/global/forwardingRules/jokes-fr`]);

    // Served through a forwarding rule, the managed certificate provisions (operation latency 0).
    const [cert] = await c.compute('SslCertificatesClient').get({ project: PROJECT, sslCertificate: 'jokes-cert' });
    expect(cert.managed?.status).toBe('ACTIVE');
    expect(cert.subjectAlternativeNames).toEqual(['jokes.example.com']);
  });

  it('builds an HTTP→HTTPS redirect with a redirect URL map and an HTTP proxy on the same IP', async () => {
    const c = env.clients;
    await lbBase(c, 'redir');
    await done(c, await c.compute('UrlMapsClient').insert({
      project: PROJECT,
      urlMapResource: { name: 'redir-redirect', defaultUrlRedirect: { httpsRedirect: true, redirectResponseCode: 'MOVED_PERMANENTLY_DEFAULT', stripQuery: false } },
    }));
    await done(c, await c.compute('TargetHttpProxiesClient').insert({
      project: PROJECT,
      targetHttpProxyResource: { name: 'redir-http', urlMap: 'global/urlMaps/redir-redirect' },
    }));
    await done(c, await c.compute('GlobalAddressesClient').insert({ project: PROJECT, addressResource: { name: 'redir-ip' } }));
    const [ip] = await c.compute('GlobalAddressesClient').get({ project: PROJECT, address: 'redir-ip' });
    // A literal reserved IP is accepted too.
    await done(c, await c.compute('GlobalForwardingRulesClient').insert({
      project: PROJECT,
      forwardingRuleResource: { name: 'redir-fr-http', loadBalancingScheme: 'EXTERNAL_MANAGED', IPAddress: ip.address, portRange: '80', target: 'global/targetHttpProxies/redir-http' },
    }));
    const [fr] = await c.compute('GlobalForwardingRulesClient').get({ project: PROJECT, forwardingRule: 'redir-fr-http' });
    expect(fr.portRange).toBe('80-80');
    expect(fr.IPAddress).toBe(ip.address);
    const [um] = await c.compute('UrlMapsClient').get({ project: PROJECT, urlMap: 'redir-redirect' });
    expect(um.defaultUrlRedirect).toMatchObject({ httpsRedirect: true, redirectResponseCode: 'MOVED_PERMANENTLY_DEFAULT' });
    expect(um.defaultService ?? '').toBe('');

    // setUrlMap (path without /global/) repoints the HTTP proxy and changes its fingerprint.
    const [before] = await c.compute('TargetHttpProxiesClient').get({ project: PROJECT, targetHttpProxy: 'redir-http' });
    await done(c, await c.compute('TargetHttpProxiesClient').setUrlMap({
      project: PROJECT,
      targetHttpProxy: 'redir-http',
      urlMapReferenceResource: { urlMap: `${BASE}/global/urlMaps/redir-um` },
    }));
    const [after] = await c.compute('TargetHttpProxiesClient').get({ project: PROJECT, targetHttpProxy: 'redir-http' });
    expect(after.urlMap).toBe(`${BASE}/global/urlMaps/redir-um`);
    expect(after.fingerprint).not.toBe(before.fingerprint);
  });

  it('updates proxies and rules with setSslCertificates, setTarget and setLabels', async () => {
    const c = env.clients;
    const links = await lbBase(c, 'upd');
    const certs = c.compute('SslCertificatesClient');
    for (const name of ['upd-cert-a', 'upd-cert-b']) {
      await done(c, await certs.insert({ project: PROJECT, sslCertificateResource: { name, type: 'MANAGED', managed: { domains: [`${name}.example.com`] } } }));
    }
    const proxies = c.compute('TargetHttpsProxiesClient');
    await done(c, await proxies.insert({ project: PROJECT, targetHttpsProxyResource: { name: 'upd-https', urlMap: links.um, sslCertificates: ['global/sslCertificates/upd-cert-a'] } }));
    await done(c, await proxies.setSslCertificates({
      project: PROJECT,
      targetHttpsProxy: 'upd-https',
      targetHttpsProxiesSetSslCertificatesRequestResource: { sslCertificates: ['global/sslCertificates/upd-cert-b'] },
    }));
    const [p] = await proxies.get({ project: PROJECT, targetHttpsProxy: 'upd-https' });
    expect(p.sslCertificates).toEqual([`${BASE}/global/sslCertificates/upd-cert-b`]);

    await done(c, await proxies.insert({ project: PROJECT, targetHttpsProxyResource: { name: 'upd-https-2', urlMap: links.um, sslCertificates: ['global/sslCertificates/upd-cert-a'] } }));
    const rules = c.compute('GlobalForwardingRulesClient');
    await done(c, await rules.insert({ project: PROJECT, forwardingRuleResource: { name: 'upd-fr', loadBalancingScheme: 'EXTERNAL_MANAGED', target: 'global/targetHttpsProxies/upd-https' } }));
    const [ephemeral] = await rules.get({ project: PROJECT, forwardingRule: 'upd-fr' });
    expect(ephemeral.IPAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(ephemeral.portRange).toBe('443-443');

    await done(c, await rules.setTarget({ project: PROJECT, forwardingRule: 'upd-fr', targetReferenceResource: { target: 'global/targetHttpsProxies/upd-https-2' } }));
    await done(c, await rules.setLabels({
      project: PROJECT,
      resource: 'upd-fr',
      globalSetLabelsRequestResource: { labels: { 'runctl-set': 'x' }, labelFingerprint: ephemeral.labelFingerprint },
    }));
    const [fr] = await rules.get({ project: PROJECT, forwardingRule: 'upd-fr' });
    expect(fr.target).toBe(`${BASE}/global/targetHttpsProxies/upd-https-2`);
    expect(fr.labels).toEqual({ 'runctl-set': 'x' });
    expect(fr.labelFingerprint).not.toBe(ephemeral.labelFingerprint);
    expect(fr.IPAddress).toBe(ephemeral.IPAddress);

    // Label filter (what --prune uses) finds it.
    const [found] = await rules.list({ project: PROJECT, filter: 'labels.runctl-set eq x' });
    expect(found.map((r) => r.name)).toEqual(['upd-fr']);
  });

  it("keeps a served managed certificate's expireTime when only labels or descriptions change (adopting the chain)", async () => {
    const c = env.clients;
    const cert = async () => (await c.compute('SslCertificatesClient').get({ project: PROJECT, sslCertificate: 'jokes-cert' }))[0];
    const before = await cert();
    expect(before.managed?.status).toBe('ACTIVE');
    await fetch(`http://${env.emu.http}/__emulator/clock/advance`, { method: 'POST', body: JSON.stringify({ seconds: 3600 }) });
    const rules = c.compute('GlobalForwardingRulesClient');
    const [fr] = await rules.get({ project: PROJECT, forwardingRule: 'jokes-fr' });
    await done(c, await rules.setLabels({ project: PROJECT, resource: 'jokes-fr', globalSetLabelsRequestResource: { labels: { team: 'web' }, labelFingerprint: fr.labelFingerprint } }));
    const proxies = c.compute('TargetHttpsProxiesClient');
    const [p] = await proxies.get({ project: PROJECT, targetHttpsProxy: 'jokes-https' });
    await done(c, await proxies.patch({ project: PROJECT, targetHttpsProxy: 'jokes-https', targetHttpsProxyResource: { description: 'adopted', fingerprint: p.fingerprint } }));
    expect((await cert()).expireTime).toBe(before.expireTime);
  });

  it('deletes the chain in reverse order', async () => {
    const c = env.clients;
    await lbBase(c, 'del');
    await done(c, await c.compute('TargetHttpProxiesClient').insert({ project: PROJECT, targetHttpProxyResource: { name: 'del-http', urlMap: 'global/urlMaps/del-um' } }));
    await done(c, await c.compute('GlobalForwardingRulesClient').insert({ project: PROJECT, forwardingRuleResource: { name: 'del-fr', target: 'global/targetHttpProxies/del-http' } }));
    await done(c, await c.compute('GlobalForwardingRulesClient').delete({ project: PROJECT, forwardingRule: 'del-fr' }));
    await done(c, await c.compute('TargetHttpProxiesClient').delete({ project: PROJECT, targetHttpProxy: 'del-http' }));
    await done(c, await c.compute('UrlMapsClient').delete({ project: PROJECT, urlMap: 'del-um' }));
    await done(c, await c.compute('BackendServicesClient').delete({ project: PROJECT, backendService: 'del-bs' }));
    await done(c, await c.compute('RegionNetworkEndpointGroupsClient').delete({ project: PROJECT, region: REGION, networkEndpointGroup: 'del-neg' }), REGION);
    const [negs] = await c.compute('RegionNetworkEndpointGroupsClient').list({ project: PROJECT, region: REGION, filter: 'name eq del-.*' });
    expect(negs).toEqual([]);
  });
});
