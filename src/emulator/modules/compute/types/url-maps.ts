/**
 * Global URL maps: a default service (or a default redirect, as in an HTTP→HTTPS
 * redirect map), host rules and path matchers. Every service reference is resolved to a
 * self-link and must exist; host rules must name a defined path matcher.
 */
import type { BuildContext, ResourceType } from '../resource-type';
import { checkName, invalid } from '../errors';
import { compact, oneOf } from './common';

const SERVICES = ['backendServices', 'backendBuckets'];
const REDIRECT_CODES = ['MOVED_PERMANENTLY_DEFAULT', 'FOUND', 'SEE_OTHER', 'TEMPORARY_REDIRECT', 'PERMANENT_REDIRECT'];

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

function redirect(field: string, r: any): Record<string, any> {
  if (!r || typeof r !== 'object') throw invalid(field, r, 'Must be an object.');
  const out = { ...r };
  oneOf(`${field}.redirectResponseCode`, r.redirectResponseCode, REDIRECT_CODES);
  if (r.httpsRedirect !== undefined && typeof r.httpsRedirect !== 'boolean') throw invalid(`${field}.httpsRedirect`, r.httpsRedirect, 'Must be a boolean.');
  if (present(r.pathRedirect) && present(r.prefixRedirect)) {
    throw invalid(`${field}.prefixRedirect`, r.prefixRedirect, 'pathRedirect and prefixRedirect cannot both be set.');
  }
  return out;
}

/** Resolve `defaultService` / `defaultUrlRedirect` / `defaultRouteAction` of a map or matcher. */
function defaults(field: string, src: any, out: Record<string, any>, ctx: BuildContext, needOne: boolean): void {
  const given = ['defaultService', 'defaultUrlRedirect', 'defaultRouteAction'].filter((k) => present(src[k]));
  if (needOne && given.length === 0) {
    throw invalid(`${field}.defaultService`, '', 'Exactly one of defaultService, defaultUrlRedirect or defaultRouteAction must be set.');
  }
  if (present(src.defaultService) && present(src.defaultUrlRedirect)) {
    throw invalid(`${field}.defaultUrlRedirect`, src.defaultUrlRedirect, 'defaultService and defaultUrlRedirect cannot both be set.');
  }
  if (present(src.defaultService)) out.defaultService = ctx.ref(`${field}.defaultService`, src.defaultService, SERVICES);
  if (present(src.defaultUrlRedirect)) out.defaultUrlRedirect = redirect(`${field}.defaultUrlRedirect`, src.defaultUrlRedirect);
  if (present(src.defaultRouteAction)) out.defaultRouteAction = routeAction(`${field}.defaultRouteAction`, src.defaultRouteAction, ctx);
}

function routeAction(field: string, ra: any, ctx: BuildContext): Record<string, any> {
  const out = { ...ra };
  if (Array.isArray(ra.weightedBackendServices)) {
    out.weightedBackendServices = ra.weightedBackendServices.map((w: any, i: number) => ({
      ...w,
      backendService: ctx.ref(`${field}.weightedBackendServices[${i}].backendService`, w?.backendService, SERVICES),
    }));
  }
  return out;
}

function pathMatcher(pm: any, i: number, ctx: BuildContext): Record<string, any> {
  const field = `resource.pathMatchers[${i}]`;
  checkName(`${field}.name`, pm?.name);
  const out: Record<string, any> = { ...pm };
  delete out.defaultService;
  delete out.defaultUrlRedirect;
  delete out.defaultRouteAction;
  defaults(field, pm, out, ctx, false);
  out.pathRules = (Array.isArray(pm.pathRules) ? pm.pathRules : []).map((r: any, j: number) => {
    const rf = `${field}.pathRules[${j}]`;
    const paths: unknown[] = Array.isArray(r?.paths) ? r.paths : [];
    if (!paths.length) throw invalid(`${rf}.paths`, '', 'At least one path is required.');
    for (const p of paths) if (typeof p !== 'string' || !p.startsWith('/')) throw invalid(`${rf}.paths`, p, "Paths must start with '/'.");
    const rule: Record<string, any> = { ...r };
    if (present(r.service)) rule.service = ctx.ref(`${rf}.service`, r.service, SERVICES);
    if (present(r.urlRedirect)) rule.urlRedirect = redirect(`${rf}.urlRedirect`, r.urlRedirect);
    if (present(r.routeAction)) rule.routeAction = routeAction(`${rf}.routeAction`, r.routeAction, ctx);
    if (!present(r.service) && !present(r.urlRedirect) && !present(r.routeAction)) {
      throw invalid(`${rf}.service`, '', 'A path rule needs a service, a urlRedirect or a routeAction.');
    }
    return rule;
  });
  out.routeRules = (Array.isArray(pm.routeRules) ? pm.routeRules : []).map((r: any, j: number) => {
    const rule: Record<string, any> = { ...r };
    if (present(r.service)) rule.service = ctx.ref(`${field}.routeRules[${j}].service`, r.service, SERVICES);
    if (present(r.routeAction)) rule.routeAction = routeAction(`${field}.routeRules[${j}].routeAction`, r.routeAction, ctx);
    return rule;
  });
  return compact(out);
}

export const urlMaps: ResourceType = {
  service: 'UrlMaps',
  collection: 'urlMaps',
  kind: 'compute#urlMap',
  typeName: 'url_map',
  param: 'urlMap',
  fingerprint: true,
  patch: true,
  update: true,
  build(input, ctx) {
    const out: Record<string, any> = { ...input };
    delete out.defaultService;
    delete out.defaultUrlRedirect;
    delete out.defaultRouteAction;
    defaults('resource', input, out, ctx, true);
    const matchers: any[] = Array.isArray(input.pathMatchers) ? input.pathMatchers : [];
    out.pathMatchers = matchers.map((pm, i) => pathMatcher(pm, i, ctx));
    const names = new Set<string>();
    for (const pm of out.pathMatchers) {
      if (names.has(pm.name)) throw invalid('resource.pathMatchers', pm.name, 'Duplicate path matcher name.');
      names.add(pm.name);
    }
    out.hostRules = (Array.isArray(input.hostRules) ? input.hostRules : []).map((h: any, i: number) => {
      const hosts: unknown[] = Array.isArray(h?.hosts) ? h.hosts : [];
      if (!hosts.length) throw invalid(`resource.hostRules[${i}].hosts`, '', 'At least one host is required.');
      if (!names.has(h.pathMatcher)) {
        throw invalid(`resource.hostRules[${i}].pathMatcher`, h.pathMatcher ?? '', 'The path matcher is not defined in this URL map.');
      }
      return { ...h };
    });
    return compact(out);
  },
  refs(res) {
    const out: Array<string | undefined> = [res.defaultService];
    const ra = (a: any) => (a?.weightedBackendServices ?? []).map((w: any) => w.backendService);
    out.push(...ra(res.defaultRouteAction));
    for (const pm of res.pathMatchers ?? []) {
      out.push(pm.defaultService, ...ra(pm.defaultRouteAction));
      for (const r of pm.pathRules ?? []) out.push(r.service, ...ra(r.routeAction));
      for (const r of pm.routeRules ?? []) out.push(r.service, ...ra(r.routeAction));
    }
    return out;
  },
};
