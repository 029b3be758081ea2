/**
 * Cloud Run v1 domain mappings: state (namespace `domainMappings`), the regions that offer
 * them, and how a request finds its region. Sources: `src/emulator/spec/domain-mappings.md`.
 */
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import type { HttpRequest } from '../../http';

/** A DomainMapping object in its JSON form (the v1 Kubernetes-style resource). */
export type Obj = Record<string, any>;

/** One stored mapping: the object as created, and when (simulated ms). */
export interface MappingRecord {
  /** apiVersion, kind, metadata, spec as stored (status is computed on read). */
  mapping: Obj;
  region: string;
  /** The namespace as the caller named it (project ID or number). */
  namespace: string;
  createMs: number;
  /** When the certificate counts as provisioned (create + operation latency). */
  certificateAt: number;
  seq: number;
}

interface DomainMappingState {
  /** By `REGION/NAMESPACE/DOMAIN`. */
  mappings: Record<string, MappingRecord>;
  /** Domains verified for the caller; undefined = every domain counts as verified. */
  verified?: string[];
  seq: number;
}

/** The module's state namespace. */
export function dmState(core: EmulatorCore): DomainMappingState {
  const st = core.ns<DomainMappingState>('domainMappings', () => ({
    mappings: {},
    verified: core.options.verifiedDomains?.length ? [...core.options.verifiedDomains] : undefined,
    seq: 0,
  }));
  st.mappings ??= {};
  return st;
}

export const key = (region: string, namespace: string, name: string) => `${region}/${namespace}/${name}`;

/**
 * The regions where Cloud Run offers domain mappings (cloud.google.com/run/docs/mapping-custom-domains,
 * "Limitations"); elsewhere creating one is UNIMPLEMENTED.
 */
export const MAPPING_REGIONS: readonly string[] = [
  'asia-east1', 'asia-northeast1', 'asia-southeast1', 'europe-north1', 'europe-west1',
  'europe-west4', 'us-central1', 'us-east1', 'us-east4', 'us-west1',
];

/** `REGION-run.googleapis.com`, the v1 regional endpoint's host (a port may follow). */
const REGIONAL_HOST = /^([a-z]+-[a-z]+\d+)-run\.googleapis\.com(:\d+)?$/;

/**
 * The region of a namespaced v1 call: the regional endpoint it was sent to, read from the
 * Host header, as Google's front end routes it. The global endpoint does not serve the
 * namespaced methods.
 */
export function regionOfHost(req: HttpRequest): string {
  const host = String(req.headers.host ?? '');
  const m = REGIONAL_HOST.exec(host);
  if (!m) {
    throw new EmulatorError(
      Code.INVALID_ARGUMENT,
      `Cloud Run v1 namespaced methods are served by the regional endpoints https://REGION-run.googleapis.com/ (this request was sent to '${host}'); on the emulator, send the header Host: REGION-run.googleapis.com, or use projects.locations.domainmappings.`,
    );
  }
  return m[1];
}

/** The namespace segment of `namespaces/{ns}`: the project ID or number. */
export function namespaceOf(value: string | undefined): string {
  if (!value || value.includes('/')) throw new EmulatorError(Code.INVALID_ARGUMENT, `Invalid namespace '${value ?? ''}'.`);
  return value;
}

/** The v1 API's NOT_FOUND wording (the same template as the v2 API's). */
export function notFound(name: string, region: string, namespace: string): EmulatorError {
  return new EmulatorError(Code.NOT_FOUND, `Resource '${name}' of kind 'DOMAIN_MAPPING' in region '${region}' in project '${namespace}' does not exist.`);
}
