/**
 * Global static addresses. The server allocates the literal IP (`address`) from a test
 * range (34.120.0.0/16, or 2600:1901:0::/48 for IPV6) unless one is requested; `status`
 * is IN_USE while a forwarding rule uses it (listed in `users`), RESERVED otherwise.
 * Labels sent at insert are ignored (as on Google): they change only through `setLabels`.
 */
import { isIP } from 'node:net';
import type { ResourceType } from '../resource-type';
import { invalid } from '../errors';
import { allocateAddress, relOf, selfLink } from '../state';
import { compact, oneOf, setLabelsVerb } from './common';

export const globalAddresses: ResourceType = {
  service: 'GlobalAddresses',
  collection: 'addresses',
  kind: 'compute#address',
  typeName: 'address',
  param: 'address',
  labels: true,
  // Google ignores `labels` at insert (recorded real-API exchanges, issue 13, difference 9).
  labelsBySetLabelsOnly: true,
  build(input, ctx) {
    const out: Record<string, any> = { ...input };
    delete out.labels;
    // `network` comes back as a full URL whichever form was sent (difference 9).
    if (typeof input.network === 'string' && input.network && !/^https?:\/\//.test(input.network)) {
      const rel = input.network.replace(/^\/+/, '');
      out.network = selfLink(rel.startsWith('projects/') ? rel : `projects/${ctx.project}/${rel}`);
    }
    out.addressType = oneOf('resource.addressType', input.addressType, ['EXTERNAL', 'INTERNAL'], 'EXTERNAL');
    const ipVersion = oneOf('resource.ipVersion', input.ipVersion, ['IPV4', 'IPV6']);
    out.networkTier = oneOf('resource.networkTier', input.networkTier, ['PREMIUM'], 'PREMIUM');
    if (input.address !== undefined && input.address !== '') {
      if (typeof input.address !== 'string' || !isIP(input.address)) throw invalid('resource.address', input.address, 'Must be an IP address.');
      const taken = Object.entries(ctx.st.resources).some(
        ([p, r]) => p.includes('/global/addresses/') && r.address === input.address && r.name !== input.name,
      );
      if (taken) throw invalid('resource.address', input.address, 'The IP address is already reserved.');
    } else {
      out.address = allocateAddress(ctx.st, ipVersion);
    }
    return compact(out);
  },
  decorate(res, ctx) {
    const users = ctx.usersOf(relOf(res.selfLink));
    res.status = users.length ? 'IN_USE' : 'RESERVED';
    if (users.length) res.users = users.map(selfLink);
    return res;
  },
  verbs: [setLabelsVerb],
};
