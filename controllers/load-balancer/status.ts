/**
 * A LoadBalancer's status from its live parts: the IP, the URLs it answers on, each
 * managed certificate's state, and `Ready` once a forwarding rule exists.
 */
import type { ResourceStatus } from '../../src/engine/controller';
import type { LiveModel, LiveSub } from './live';
import type { PartNames } from './names';

/** A part found live under its name (the load balancer's, or a foreign one squatting it). */
const findPart = (live: LiveModel, kind: LiveSub['kind'], name: string) => live.subs.find((s) => s.kind === kind && s.name === name)?.raw;

/** IP, URLs and certificate state. */
export function lbStatusOf(live: LiveModel, n: PartNames): ResourceStatus {
  const httpsRule = findPart(live, 'forwardingRule', n.httpsRule);
  const httpRule = findPart(live, 'forwardingRule', n.httpRule);
  const ip: string | undefined = findPart(live, 'address', n.ip)?.address || httpsRule?.IPAddress || httpRule?.IPAddress || undefined;
  const certificates: Record<string, string> = {};
  const proxy = findPart(live, 'targetHttpsProxy', n.httpsProxy);
  for (const link of (proxy?.sslCertificates ?? []) as string[]) {
    const managed = live.subs.find((s) => s.kind === 'sslCertificate' && s.name === link.split('/').pop())?.raw.managed;
    for (const d of managed?.domains ?? []) certificates[d] = managed?.domainStatus?.[d] ?? managed?.status ?? 'PROVISIONING';
  }
  const domains = Object.keys(certificates).sort();
  const urls = httpsRule && domains.length ? domains.map((d) => `https://${d}/`) : httpRule && ip ? [`http://${ip}/`] : [];
  let ready: ResourceStatus['ready'];
  if (!httpsRule && !httpRule) ready = { status: 'Unknown', reason: 'Creating', message: 'no forwarding rule yet' };
  else {
    const pending = domains.filter((d) => certificates[d] !== 'ACTIVE');
    ready = { status: 'True', reason: 'Available', message: pending.length ? `certificate provisioning for ${pending.join(', ')}: DNS must point at ${ip}` : undefined };
  }
  return { fields: { ip, url: urls[0], urls, certificates: domains.length ? certificates : undefined }, ready };
}

