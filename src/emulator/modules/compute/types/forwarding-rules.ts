/**
 * Global forwarding rules. Read-back normalisation as the real API does it: `portRange`
 * "443" becomes "443-443"; `IPAddress` given as an address URL (or omitted: an ephemeral
 * IP) comes back as the literal IP; `target` as a self-link. Two rules may not share an
 * IP, protocol and overlapping port range. `patch` may change only `networkTier` (as the
 * API documents); the target changes through `setTarget`, labels through `setLabels`.
 */
import { isIP } from 'node:net';
import type { BuildContext, ResourceType, ResourceVerb } from '../resource-type';
import { invalid, required } from '../errors';
import { allocateEphemeral, selfLink } from '../state';
import { parseRef } from '../refs';
import { compact, oneOf, setLabelsVerb } from './common';

const TARGETS = ['targetHttpsProxies', 'targetHttpProxies', 'targetSslProxies', 'targetTcpProxies', 'targetGrpcProxies'];
const SCHEMES = ['EXTERNAL', 'EXTERNAL_MANAGED', 'INTERNAL_SELF_MANAGED'];
/** Fields a patch may change. */
const PATCHABLE = new Set(['networkTier']);

function portRange(value: unknown, target: string): string {
  const v = value === undefined || value === null || value === '' ? (target.includes('/targetHttpProxies/') ? '80' : '443') : String(value);
  const m = /^(\d+)(?:-(\d+))?$/.exec(v);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || lo < 1 || hi > 65535 || lo > hi) throw invalid('resource.portRange', v, 'Must be a port or a range of ports between 1 and 65535.');
  return `${lo}-${hi}`;
}

function targetRef(value: unknown, ctx: BuildContext, field = 'resource.target'): string {
  if (value === undefined || value === null || value === '') throw required(field);
  return ctx.ref(field, value, TARGETS);
}

/** Resolve `IPAddress` to a literal IP and the reserved address it belongs to (if any). */
function ipAddress(input: Record<string, any>, ctx: BuildContext): { ip: string; address?: string } {
  const v = input.IPAddress;
  const prev = ctx.previous;
  if (prev && (v === undefined || v === prev.IPAddress)) return { ip: prev.IPAddress, address: prev._address };
  if (v === undefined || v === null || v === '') return { ip: allocateEphemeral(ctx.st) };
  if (typeof v !== 'string') throw invalid('resource.IPAddress', v, 'Must be an IP address or an address URL.');
  if (isIP(v)) {
    const prefix = `projects/${ctx.project}/global/addresses/`;
    const found = Object.entries(ctx.st.resources).find(([p, r]) => p.startsWith(prefix) && r.address === v);
    if (!found) throw invalid('resource.IPAddress', v, 'The specified IP address is not reserved in this project.');
    return { ip: v, address: found[0] };
  }
  const link = ctx.ref('resource.IPAddress', v, ['addresses']);
  const rel = parseRef(link, ctx.project)!;
  return { ip: ctx.st.resources[rel].address, address: rel };
}

function overlaps(a: string, b: string): boolean {
  const [a1, a2] = a.split('-').map(Number);
  const [b1, b2] = b.split('-').map(Number);
  return a1 <= b2 && b1 <= a2;
}

const setTarget: ResourceVerb = {
  verb: 'setTarget',
  method: 'SetTarget',
  apply(current, body, ctx) {
    current.target = targetRef(body?.target, ctx, 'target');
    return current;
  },
};

function normalised(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v) && v.length === 0) return '';
  if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0) return '';
  return JSON.stringify(v);
}

export const globalForwardingRules: ResourceType = {
  service: 'GlobalForwardingRules',
  collection: 'forwardingRules',
  kind: 'compute#forwardingRule',
  typeName: 'forwarding_rule',
  param: 'forwardingRule',
  fingerprint: true,
  labels: true,
  patch: true,
  build(input, ctx) {
    const out: Record<string, any> = { ...input };
    out.target = targetRef(input.target, ctx);
    out.IPProtocol = oneOf('resource.IPProtocol', input.IPProtocol, ['TCP'], 'TCP');
    out.loadBalancingScheme = oneOf('resource.loadBalancingScheme', input.loadBalancingScheme, SCHEMES, 'EXTERNAL');
    out.networkTier = oneOf('resource.networkTier', input.networkTier, ['PREMIUM'], 'PREMIUM');
    out.portRange = portRange(input.portRange, out.target);
    const { ip, address } = ipAddress(input, ctx);
    out.IPAddress = ip;
    if (address) out._address = address;
    else delete out._address;
    const self = `projects/${ctx.project}/global/forwardingRules/${input.name}`;
    for (const [p, r] of Object.entries(ctx.st.resources)) {
      if (p === self || !p.startsWith(`projects/${ctx.project}/global/forwardingRules/`)) continue;
      if (r.IPAddress === ip && r.IPProtocol === out.IPProtocol && overlaps(r.portRange, out.portRange)) {
        throw invalid('resource.portRange', out.portRange, `Port range ${out.portRange} on IP address ${ip} conflicts with forwarding rule '${selfLink(p)}'.`);
      }
    }
    return compact(out);
  },
  checkChange(before, after) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const k of keys) {
      if (k.startsWith('_') || PATCHABLE.has(k) || ['kind', 'id', 'creationTimestamp', 'selfLink', 'fingerprint', 'labelFingerprint', 'name'].includes(k)) continue;
      if (normalised(before[k]) !== normalised(after[k])) {
        throw invalid(`resource.${k}`, after[k] ?? '', 'Only networkTier can be changed by patch; use setTarget or setLabels.');
      }
    }
  },
  refs(res) {
    return [res.target, res._address];
  },
  verbs: [setTarget, setLabelsVerb],
};
