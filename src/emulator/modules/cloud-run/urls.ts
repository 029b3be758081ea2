/**
 * Service URLs as Cloud Run assigns them: the hash form
 * `https://{service}-{hash}-{regioncode}.a.run.app` (the `uri`), the deterministic form
 * `https://{service}-{projectNumber}.{region}.run.app`, and tag URLs
 * `https://{tag}---{service}-{hash}-{regioncode}.a.run.app`.
 */
import { createHash } from 'node:crypto';
import type { ServiceName } from './state';

/** Region codes of the hash URLs for common regions; others get a stable made-up code. */
const REGION_CODES: Record<string, string> = {
  'us-central1': 'uc', 'us-east1': 'ue', 'us-east4': 'uk', 'us-west1': 'uw', 'us-west2': 'wl',
  'us-west3': 'wm', 'us-west4': 'wn', 'northamerica-northeast1': 'nn', 'southamerica-east1': 'rj',
  'europe-west1': 'ew', 'europe-west2': 'nw', 'europe-west3': 'ey', 'europe-west4': 'ez',
  'europe-west6': 'oa', 'europe-north1': 'lz', 'europe-central2': 'lm', 'asia-east1': 'de',
  'asia-east2': 'df', 'asia-northeast1': 'an', 'asia-northeast2': 'dt', 'asia-northeast3': 'du',
  'asia-south1': 'el', 'asia-southeast1': 'as', 'asia-southeast2': 'et', 'australia-southeast1': 'ts',
};

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function encode(bytes: Buffer, n: number, alphabet = ALPHABET): string {
  return Array.from(bytes.subarray(0, n), (b) => alphabet[b % alphabet.length]).join('');
}

/** The two-letter region code of hash URLs. */
export function regionCode(region: string): string {
  return REGION_CODES[region] ?? encode(digest(`region:${region}`), 2, 'abcdefghijklmnopqrstuvwxyz');
}

/** The 10-character hash of hash URLs: stable for a project (so for each of its services). */
export function urlHash(project: string): string {
  return encode(digest(`project:${project}`), 10);
}

/** Host of the hash URL, e.g. `jokes-abcdefghij-lz.a.run.app`. */
export function hashHost(sn: ServiceName): string {
  return `${sn.service}-${urlHash(sn.project)}-${regionCode(sn.location)}.a.run.app`;
}

/** `uri` and `urls` of a service (empty when the default URL is disabled). */
export function serviceUrls(sn: ServiceName, projectNumber: string, defaultUriDisabled: boolean): { uri: string; urls: string[] } {
  if (defaultUriDisabled) return { uri: '', urls: [] };
  const uri = `https://${hashHost(sn)}`;
  const deterministic = `${sn.service}-${projectNumber}`;
  // The deterministic URL exists only while its DNS label fits in 63 characters.
  const urls = deterministic.length <= 63 ? [`https://${deterministic}.${sn.location}.run.app`, uri] : [uri];
  return { uri, urls };
}

/**
 * The URLs a service reports before its first rollout finishes: only the deterministic
 * form (recorded from the real API's first CreateService answer).
 */
export function pendingUrls(sn: ServiceName, projectNumber: string, defaultUriDisabled: boolean): string[] {
  return serviceUrls(sn, projectNumber, defaultUriDisabled).urls.filter((u) => u.endsWith('.run.app') && !u.endsWith('.a.run.app'));
}

/** URL of a traffic tag. */
export function tagUri(sn: ServiceName, tag: string): string {
  return `https://${tag}---${hashHost(sn)}`;
}
