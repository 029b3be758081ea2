/**
 * What a domain mapping reports in `status`: the DNS records to create for the domain,
 * and the Ready, CertificateProvisioned and DomainRoutable conditions, computed on every
 * read from the state of the world (the route, the verified domains, the clock), as
 * Cloud Run's controller keeps reconciling them.
 */
import type { EmulatorCore } from '../../core';
import { runNs } from '../cloud-run/state';
import { dmState, type MappingRecord, type Obj } from './state';

/** Google's anycast addresses for custom domains (the records gcloud prints for an apex). */
const APEX_A = ['216.239.32.21', '216.239.34.21', '216.239.36.21', '216.239.38.21'];
const APEX_AAAA = ['2001:4860:4802:32::15', '2001:4860:4802:34::15', '2001:4860:4802:36::15', '2001:4860:4802:38::15'];
/** A subdomain is a CNAME to this host. */
const CNAME_TARGET = 'ghs.googlehosted.com.';

/** Second-level labels under which a registrable domain has three labels (co.uk, com.au, ...). */
const SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'gov', 'ac', 'edu', 'ne', 'or']);

/** The registrable ("apex") domain of a name: example.com for www.example.com, example.co.uk for a.example.co.uk. */
export function apexOf(domain: string): string {
  const labels = domain.split('.');
  const n = labels.length >= 3 && SECOND_LEVEL.has(labels[labels.length - 2]) && labels[labels.length - 1].length === 2 ? 3 : 2;
  return labels.slice(-n).join('.');
}

/** The DNS records a domain needs: A and AAAA at an apex, a CNAME for a subdomain (name relative to the apex). */
export function resourceRecords(domain: string): Obj[] {
  const apex = apexOf(domain);
  if (apex === domain) return [...APEX_A.map((rrdata) => ({ type: 'A', rrdata })), ...APEX_AAAA.map((rrdata) => ({ type: 'AAAA', rrdata }))];
  return [{ name: domain.slice(0, -apex.length - 1), type: 'CNAME', rrdata: CNAME_TARGET }];
}

/** Whether the domain (or a parent of it) is verified for the caller. */
export function isVerified(core: EmulatorCore, domain: string): boolean {
  const verified = dmState(core).verified;
  if (!verified) return true;
  return verified.some((v) => domain === v || domain.endsWith(`.${v}`));
}

function condition(type: string, status: string, lastTransitionTime: string, reason?: string, message?: string): Obj {
  return { type, status, lastTransitionTime, ...(reason ? { reason } : {}), ...(message ? { message } : {}), ...(type === 'Ready' ? {} : { severity: 'Error' }) };
}

/** The status of a stored mapping, as of now. */
export function statusOf(core: EmulatorCore, rec: MappingRecord): Obj {
  const m = rec.mapping;
  const domain: string = m.metadata.name;
  const route: string = m.spec.routeName;
  const created = new Date(rec.createMs).toISOString();
  const base = { observedGeneration: m.metadata.generation };
  if (!isVerified(core, domain)) {
    const msg =
      `Caller is not authorized to administer the domain '${domain}'. If you own '${domain}', you can obtain authorization by verifying ownership of the domain, ` +
      `or any of its parent domains, via the Webmaster Central portal: https://www.google.com/webmasters/verification/verification?domain=${domain}. ` +
      `We recommend verifying ownership of the largest scope you wish to use with subdomains (eg. verify 'example.com' if you wish to map 'subdomain.example.com').`;
    return { ...base, conditions: [condition('Ready', 'False', created, 'PermissionDenied', msg)] };
  }
  const project = rec.namespace === core.projectNumber ? undefined : rec.namespace;
  const services = runNs(core).services;
  const exists = Object.keys(services).some((n) => {
    const [, p, , region, , s] = n.split('/');
    return s === route && region === rec.region && (project === undefined || p === project);
  });
  if (!exists) {
    const msg = `Route '${route}' does not exist in region '${rec.region}'.`;
    return { ...base, conditions: [condition('Ready', 'False', created, 'RouteMissing', msg), condition('DomainRoutable', 'False', created, 'RouteMissing', msg)] };
  }
  const records = resourceRecords(domain);
  const provisioned = core.clock.now() >= rec.certificateAt;
  const certAt = new Date(rec.certificateAt).toISOString();
  const conditions = provisioned
    ? [condition('Ready', 'True', certAt), condition('CertificateProvisioned', 'True', certAt), condition('DomainRoutable', 'True', created)]
    : [
        condition('Ready', 'Unknown', created, 'CertificatePending', 'Waiting for certificate provisioning. You must configure your DNS records for certificate issuance to begin.'),
        condition('CertificateProvisioned', 'Unknown', created, 'CertificatePending', 'Waiting for certificate provisioning. You must configure your DNS records for certificate issuance to begin.'),
        condition('DomainRoutable', 'True', created),
      ];
  return { ...base, conditions, mappedRouteName: route, resourceRecords: records };
}
