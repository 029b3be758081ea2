/**
 * Global target HTTPS and HTTP proxies. Both carry a `fingerprint` (required on patch)
 * and reference a URL map; the HTTPS proxy also 1–15 SSL certificates (or a certificate
 * map). `setUrlMap` and `setSslCertificates` live at paths without `/global/`, as in the
 * real API; they need no fingerprint but change it.
 */
import type { BuildContext, ResourceType, ResourceVerb } from '../resource-type';
import { invalid, required } from '../errors';
import { compact, nonEmptyArray, oneOf } from './common';

function urlMapRef(value: unknown, ctx: BuildContext, field = 'resource.urlMap'): string {
  if (value === undefined || value === null || value === '') throw required(field);
  return ctx.ref(field, value, ['urlMaps']);
}

function certRefs(value: unknown, ctx: BuildContext, field: string): string[] {
  const certs = nonEmptyArray(field, value);
  if (certs.length > 15) throw invalid(field, `${certs.length} certificates`, 'At most 15 SSL certificates are allowed.');
  const links = certs.map((c, i) => ctx.ref(`${field}[${i}]`, c, ['sslCertificates']));
  if (new Set(links).size !== links.length) throw invalid(field, '', 'Duplicate SSL certificate.');
  return links;
}

const setUrlMap: ResourceVerb = {
  verb: 'setUrlMap',
  method: 'SetUrlMap',
  noGlobal: true,
  apply(current, body, ctx) {
    current.urlMap = urlMapRef(body?.urlMap, ctx, 'urlMap');
    return current;
  },
};

const setSslCertificates: ResourceVerb = {
  verb: 'setSslCertificates',
  method: 'SetSslCertificates',
  noGlobal: true,
  apply(current, body, ctx) {
    current.sslCertificates = certRefs(body?.sslCertificates, ctx, 'sslCertificates');
    return current;
  },
};

const setQuicOverride: ResourceVerb = {
  verb: 'setQuicOverride',
  method: 'SetQuicOverride',
  apply(current, body) {
    current.quicOverride = oneOf('quicOverride', body?.quicOverride, ['NONE', 'ENABLE', 'DISABLE'], 'NONE');
    return current;
  },
};

export const targetHttpsProxies: ResourceType = {
  service: 'TargetHttpsProxies',
  collection: 'targetHttpsProxies',
  kind: 'compute#targetHttpsProxy',
  typeName: 'target_https_proxy',
  param: 'targetHttpsProxy',
  fingerprint: true,
  patch: true,
  build(input, ctx) {
    const out: Record<string, any> = { ...input };
    out.urlMap = urlMapRef(input.urlMap, ctx);
    if (input.certificateMap) {
      if (typeof input.certificateMap !== 'string') throw invalid('resource.certificateMap', input.certificateMap, 'Must be a string.');
      delete out.sslCertificates;
    } else {
      out.sslCertificates = certRefs(input.sslCertificates, ctx, 'resource.sslCertificates');
    }
    out.quicOverride = oneOf('resource.quicOverride', input.quicOverride, ['NONE', 'ENABLE', 'DISABLE'], 'NONE');
    if (input.sslPolicy) out.sslPolicy = ctx.ref('resource.sslPolicy', input.sslPolicy, ['sslPolicies']);
    return compact(out);
  },
  refs(res) {
    return [res.urlMap, ...(res.sslCertificates ?? []), res.sslPolicy];
  },
  verbs: [setUrlMap, setSslCertificates, setQuicOverride],
};

export const targetHttpProxies: ResourceType = {
  service: 'TargetHttpProxies',
  collection: 'targetHttpProxies',
  kind: 'compute#targetHttpProxy',
  typeName: 'target_http_proxy',
  param: 'targetHttpProxy',
  fingerprint: true,
  patch: true,
  build(input, ctx) {
    const out: Record<string, any> = { ...input };
    out.urlMap = urlMapRef(input.urlMap, ctx);
    return compact(out);
  },
  refs(res) {
    return [res.urlMap];
  },
  verbs: [setUrlMap],
};
