/**
 * Compute Engine v1: the emulator answers like Google where recorded real-API exchanges
 * showed it did not (issue 13, differences 8-10). One table; every case runs through the
 * real `@google-cloud/compute` REST clients at the emulator's default (zero) latency.
 * Facts and sources: src/emulator/spec/compute.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeEnv, done, labelAddress, opOf, PROJECT, REGION, type ComputeEnv } from './compute-helpers';

/** A self-signed certificate for fid.example.com (openssl req -x509 -days 3650), and its notAfter. */
const PEM = `-----BEGIN CERTIFICATE-----
MIIDFTCCAf2gAwIBAgIUQyZsyvbSjx+P6vUKw4TIeJeWvTkwDQYJKoZIhvcNAQEL
BQAwGjEYMBYGA1UEAwwPZmlkLmV4YW1wbGUuY29tMB4XDTI2MTEzMDA2MTM0M1oX
DTM2MTEyNzA2MTM0M1owGjEYMBYGA1UEAwwPZmlkLmV4YW1wbGUuY29tMIIBIjAN
BgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwsSpHNbUerthriK1Gk0ydmQhoRSS
6ChNDW+ySX5/pTCowUnVizENtxbiCfnoU/l7hJIhgcuuctIkzW4yMyJAXeBMB6d8
Z3xToFmtwJ7He3C2vYX79cb8OkjabSyXtykIN4iwbpTZ8tqhEI7ga4xxakqt+sxl
1aIlcHsOOSdV9IXNFcFgObvRkZtzGEOv8gMP25pTWA600i7cb6epwHa2f/QkWPXZ
6ckvSTVcD2fdqmqSoHp5l6tCWXkjY7DmNfFkTRFTDBCRv9HE9EwFgK1yhkHWUieQ
QqUEEl8mmvx+U2BeKTk6UA+deLW7houPYzM9+OuP5SiCObOQg1tT33jcvwIDAQAB
o1MwUTAdBgNVHQ4EFgQU6QJKQ03FA3lF8YCtWtdT2tXJUGAwHwYDVR0jBBgwFoAU
6QJKQ03FA3lF8YCtWtdT2tXJUGAwDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0B
AQsFAAOCAQEAfrfBjVzBPdBQA2dyS8I3Q6QmQDj+v2eOWJFrIy6JoL40ggbxy4ea
vLYHtJYS0z8wMENmnTvrIOEfwJBgCOM0enczVIm2L+th6ALycez0pRpOYR5eJwAl
2maLy7jJeIpaVX5HTX4pOmctKV/cHUUbzrN0yAj83XHtTb7w5ByVmrAEofR9pONF
brJ2o4pWo3cU36vinHH2iIKsp4XLsHCogkxrjOCQBiy8H4V9d2ULMuTWLfUTJ7oB
9EkNSRpYjjCQZIUYuAtBAOoMK6v9rcDnpzh4/Nc9pS44tDIiCJheN2GPhKXldrLv
eINqVgAHUjARtEQmfZyOH81GSybgr2WL/Q==
-----END CERTIFICATE-----`;
const PEM_NOT_AFTER = '2036-11-27T06:13:43.000Z';
/** The emulator never parses the key (and never returns it): a placeholder, not a secret. */
const KEY = '-----BEGIN PRIVATE KEY-----\nplaceholder\n-----END PRIVATE KEY-----';

interface Case {
  difference: number;
  name: string;
  run(env: ComputeEnv, id: string): Promise<void>;
}

/** What a first answer must look like: RUNNING, progress 0, no endTime. */
function expectRunning(op: any, operationType: string): void {
  expect({ status: op.status, progress: op.progress ?? 0, operationType: op.operationType }).toEqual({ status: 'RUNNING', progress: 0, operationType });
  expect(op.endTime ?? undefined).toBeUndefined();
}

const CASES: Case[] = [
  {
    difference: 8,
    name: 'global insert and delete answer RUNNING (progress 0, no endTime) with operationType insert/delete',
    async run(env, id) {
      const addresses = env.clients.compute('GlobalAddressesClient');
      const inserted = await addresses.insert({ project: PROJECT, addressResource: { name: id } });
      expectRunning(opOf(inserted), 'insert');
      const final = await done(env.clients, inserted);
      expect({ status: final.status, progress: final.progress }).toEqual({ status: 'DONE', progress: 100 });
      expect(final.endTime).toBeTruthy();
      const deleted = await addresses.delete({ project: PROJECT, address: id });
      expectRunning(opOf(deleted), 'delete');
      await done(env.clients, deleted);
    },
  },
  {
    difference: 8,
    name: 'regional NEG insert and delete answer RUNNING with operationType compute.regionNetworkEndpointGroups.insert/.delete',
    async run(env, id) {
      const negs = env.clients.compute('RegionNetworkEndpointGroupsClient');
      const inserted = await negs.insert({
        project: PROJECT,
        region: REGION,
        networkEndpointGroupResource: { name: id, networkEndpointType: 'SERVERLESS', cloudRun: { service: id } },
      });
      expectRunning(opOf(inserted), 'compute.regionNetworkEndpointGroups.insert');
      await done(env.clients, inserted, REGION);
      const deleted = await negs.delete({ project: PROJECT, region: REGION, networkEndpointGroup: id });
      expectRunning(opOf(deleted), 'compute.regionNetworkEndpointGroups.delete');
      await done(env.clients, deleted, REGION);
    },
  },
  {
    difference: 9,
    name: 'global addresses ignore labels sent at insert (setLabels sets them) and answer network as a full URL',
    async run(env, id) {
      const addresses = env.clients.compute('GlobalAddressesClient');
      await done(env.clients, await addresses.insert({ project: PROJECT, addressResource: { name: id, labels: { team: 'a' }, network: 'global/networks/default' } }));
      const [made] = await addresses.get({ project: PROJECT, address: id });
      expect(made.labels ?? {}).toEqual({});
      expect(made.network).toBe(`https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/default`);
      await labelAddress(env.clients, id, { team: 'a' });
      const [labelled] = await addresses.get({ project: PROJECT, address: id });
      expect(labelled.labels).toEqual({ team: 'a' });
    },
  },
  {
    difference: 10,
    name: 'managed certificates lose a trailing dot in managed.domains, and domainStatus is keyed by the stripped name',
    async run(env, id) {
      const certs = env.clients.compute('SslCertificatesClient');
      await done(env.clients, await certs.insert({ project: PROJECT, sslCertificateResource: { name: id, type: 'MANAGED', managed: { domains: [`${id}.example.com.`] } } }));
      const [cert] = await certs.get({ project: PROJECT, sslCertificate: id });
      expect(cert.managed?.domains).toEqual([`${id}.example.com`]);
      expect(Object.keys(cert.managed?.domainStatus ?? {})).toEqual([`${id}.example.com`]);
    },
  },
  {
    difference: 10,
    name: 'self-managed certificates return selfManaged.certificate and an expireTime parsed from the certificate',
    async run(env, id) {
      const certs = env.clients.compute('SslCertificatesClient');
      await done(env.clients, await certs.insert({ project: PROJECT, sslCertificateResource: { name: id, certificate: PEM, privateKey: KEY } }));
      const [cert] = await certs.get({ project: PROJECT, sslCertificate: id });
      expect(cert.selfManaged?.certificate).toBe(PEM);
      expect(cert.expireTime).toBe(PEM_NOT_AFTER);
      expect(cert.privateKey ?? undefined).toBeUndefined();
    },
  },
];

describe('Compute answers like Google (one table, real clients, zero latency)', () => {
  let env: ComputeEnv;
  let n = 0;
  beforeAll(async () => {
    env = await computeEnv();
  });
  afterAll(async () => env?.close());

  it.each(CASES.map((c) => [`difference ${c.difference}: ${c.name}`, c] as const))('%s', async (_label, c) => {
    await c.run(env, `fid-${++n}`);
  });
});
