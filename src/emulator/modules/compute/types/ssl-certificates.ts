/**
 * Global SSL certificates, Google-managed (`type: MANAGED`, `managed.domains`) or
 * self-managed (`certificate` + `privateKey`; the key is never returned). Immutable.
 *
 * A managed certificate reports `managed.status` / `managed.domainStatus` PROVISIONING
 * until a global forwarding rule serves it through an HTTPS proxy; the emulator assumes the
 * domains' DNS points at the load balancer, so one operation latency after that (at once
 * with the default latency 0) it turns ACTIVE and gains `subjectAlternativeNames` and
 * `expireTime`.
 */
import { X509Certificate } from 'node:crypto';
import type { ReadContext, ResourceType } from '../resource-type';
import { invalid } from '../errors';
import { computeTime, relOf } from '../state';
import { compact, nonEmptyArray, oneOf } from './common';

const DOMAIN = /^(?=.{1,253}\.?$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$/i;
const CERT_LIFETIME_MS = 90 * 24 * 3600_000;

/** The `notAfter` of a PEM certificate as an RFC 3339 time, or undefined when it does not parse. */
function certificateExpiry(pem: string): string | undefined {
  try {
    return new Date(new X509Certificate(pem).validTo).toISOString();
  } catch {
    return undefined;
  }
}

/** Simulated time since which the certificate is served by a forwarding rule, if it is. */
function servingSince(certRel: string, ctx: ReadContext): number | undefined {
  let since: number | undefined;
  // Since each was last configured: labels or a description added later change nothing here.
  const at = (rel: string) => Number(ctx.st.resources[rel]?._linkedAt ?? ctx.st.resources[rel]?._updatedAt ?? 0);
  for (const proxy of ctx.usersOf(certRel)) {
    for (const rule of ctx.usersOf(proxy)) {
      const t = Math.max(at(certRel), at(proxy), at(rule));
      since = since === undefined ? t : Math.min(since, t);
    }
  }
  return since;
}

export const sslCertificates: ResourceType = {
  service: 'SslCertificates',
  collection: 'sslCertificates',
  kind: 'compute#sslCertificate',
  typeName: 'ssl_certificate',
  param: 'sslCertificate',
  build(input) {
    const type = oneOf('resource.type', input.type, ['MANAGED', 'SELF_MANAGED'], input.managed ? 'MANAGED' : 'SELF_MANAGED');
    const out: Record<string, any> = { description: input.description, type };
    if (type === 'MANAGED') {
      const domains = nonEmptyArray('resource.managed.domains', input.managed?.domains);
      if (domains.length > 100) throw invalid('resource.managed.domains', `${domains.length} domains`, 'At most 100 domains are allowed.');
      for (const d of domains) {
        if (typeof d !== 'string' || !DOMAIN.test(d)) throw invalid('resource.managed.domains', d, 'Must be a fully qualified domain name without wildcards.');
      }
      // Google strips a trailing dot and keys domainStatus by the stripped name (recorded
      // real-API exchanges, issue 13, difference 10).
      const stripped = domains.map((d) => String(d).replace(/\.$/, ''));
      if (new Set(stripped).size !== stripped.length) throw invalid('resource.managed.domains', '', 'Domains must be unique.');
      if (input.certificate || input.privateKey) {
        throw invalid('resource.certificate', '', 'certificate and privateKey must not be set for MANAGED certificates.');
      }
      out.managed = { domains: stripped };
    } else {
      if (typeof input.certificate !== 'string' || !input.certificate.includes('BEGIN CERTIFICATE')) {
        throw invalid('resource.certificate', input.certificate ?? '', 'Must be a PEM-encoded certificate.');
      }
      if (typeof input.privateKey !== 'string' || !input.privateKey.includes('PRIVATE KEY')) {
        throw invalid('resource.privateKey', '', 'Must be a PEM-encoded private key.');
      }
      out.certificate = input.certificate;
      // Self-managed certificates come back under `selfManaged` too, with the expiry read
      // from the certificate (difference 10). A PEM the emulator cannot parse keeps none.
      out.selfManaged = { certificate: input.certificate };
      const expires = certificateExpiry(input.certificate);
      if (expires) out.expireTime = expires;
    }
    return compact(out);
  },
  decorate(res, ctx) {
    if (res.type !== 'MANAGED' || !res.managed) return res;
    const since = servingSince(relOf(res.selfLink), ctx);
    const activeAt = since === undefined ? undefined : since + (ctx.core.options.operationLatencyMs ?? 0);
    const active = activeAt !== undefined && ctx.core.clock.now() >= activeAt;
    const status = active ? 'ACTIVE' : 'PROVISIONING';
    const domains: string[] = res.managed.domains ?? [];
    res.managed = { ...res.managed, status, domainStatus: Object.fromEntries(domains.map((d) => [d, status])) };
    if (active) {
      res.subjectAlternativeNames = [...domains];
      res.expireTime = computeTime(activeAt! + CERT_LIFETIME_MS);
    }
    return res;
  },
};
