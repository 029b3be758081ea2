/**
 * What CreateConnector checks before it answers, and the server defaults it fills.
 * Sources and the wording's provenance: `src/emulator/spec/vpc-access.md`.
 */
import { Code, EmulatorError } from '../../errors';
import type { Obj } from './state';

/** Connector IDs, as the API words its refusal (verbatim from the 400 it answers). */
export const CONNECTOR_ID = /^[a-z][-a-z0-9]{0,23}[a-z0-9]$/;

/** Machine types a connector may run on (cloud.google.com/vpc/docs/serverless-vpc-access, "Throughput and scaling"). */
export const MACHINE_TYPES = ['f1-micro', 'e2-micro', 'e2-standard-4'];

/** Throughput the API reports per instance: the fields count e2-micro units of 100 Mbps. */
export const MBPS_PER_INSTANCE = 100;

function invalid(message: string): EmulatorError {
  return new EmulatorError(Code.INVALID_ARGUMENT, message);
}

/** `projects/{p}/locations/{l}` → its parts, or INVALID_ARGUMENT. */
export function parseParent(parent: unknown): { project: string; location: string } {
  const m = typeof parent === 'string' ? /^projects\/([^/]+)\/locations\/([^/]+)$/.exec(parent) : null;
  if (!m || m[2] === '-') throw invalid(`Invalid parent '${String(parent ?? '')}': expected projects/{project}/locations/{location}.`);
  return { project: m[1], location: m[2] };
}

/** `projects/{p}/locations/{l}/connectors/{c}`, or INVALID_ARGUMENT. */
export function checkName(name: unknown): string {
  if (typeof name !== 'string' || !/^projects\/[^/]+\/locations\/[^/]+\/connectors\/[^/]+$/.test(name)) {
    throw invalid(`Invalid connector name '${String(name ?? '')}': expected projects/{project}/locations/{location}/connectors/{connector}.`);
  }
  return name;
}

/** An IPv4 CIDR as [first address as a number, prefix length], or undefined when not one. */
export function parseCidr(text: string): [number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  return [octets.reduce((a, o) => a * 256 + o, 0), prefix];
}

/** Whether two CIDR ranges share an address. */
export function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) return false;
  const size = (p: number) => 2 ** (32 - p);
  return x[0] < y[0] + size(y[1]) && y[0] < x[0] + size(x[1]);
}

function checkRange(range: string): void {
  const cidr = parseCidr(range);
  if (!cidr) throw invalid(`Invalid IP CIDR range '${range}': expected an IPv4 range in RFC 4632 notation, e.g. 10.8.0.0/28.`);
  if (cidr[1] !== 28) throw invalid(`Invalid IP CIDR range '${range}': a connector's range must be a /28 (16 addresses).`);
  if (cidr[0] % 16 !== 0) throw invalid(`Invalid IP CIDR range '${range}': the address is not the start of a /28 (host bits are set).`);
}

function int(v: unknown): number {
  return Number(v ?? 0) || 0;
}

/**
 * Scaling as Google settles it: instances take precedence over throughput; each field
 * left out is computed from its counterpart (throughput = instances × 100 Mbps, the
 * e2-micro unit the API counts in); an unset minimum is 2 instances (200 Mbps). A
 * missing maximum is no call error: the operation fails (see `missingMaximum`).
 */
function scaling(c: Obj): void {
  const minI = int(c.minInstances);
  const maxI = int(c.maxInstances);
  const minT = int(c.minThroughput);
  const maxT = int(c.maxThroughput);
  if (minT && (minT % 100 !== 0 || minT < 200 || minT > 1000)) throw invalid('Connector minimum throughput must be a multiple of 100 between 200 and 1000 in Mbps.');
  if (maxT && (maxT % 100 !== 0 || maxT < 200 || maxT > 1000)) throw invalid('Connector maximum throughput must be a multiple of 100 between 200 and 1000 in Mbps.');
  const min = minI || (minT ? minT / MBPS_PER_INSTANCE : 2);
  const max = maxI || (maxT ? maxT / MBPS_PER_INSTANCE : 0);
  if (minI && (minI < 2 || minI > 9)) throw invalid(`Connector minimum instances must be between 2 and 9, got ${minI}.`);
  if (maxI && (maxI < 3 || maxI > 10)) throw invalid(`Connector maximum instances must be between 3 and 10, got ${maxI}.`);
  if (max && max <= min) {
    throw invalid(maxI || minI
      ? `Connector maximum instances (${max}) must be greater than minimum instances (${min}).`
      : `Connector maximum throughput (${maxT}) must be greater than minimum throughput (${min * MBPS_PER_INSTANCE}).`);
  }
  c.minInstances = min;
  c.minThroughput = min * MBPS_PER_INSTANCE;
  if (max) {
    c.maxInstances = max;
    c.maxThroughput = max * MBPS_PER_INSTANCE;
  } else {
    delete c.maxInstances;
    delete c.maxThroughput;
  }
}

/** Whether the connector names neither maximum: Google fails the create operation then. */
export function missingMaximum(c: Obj): boolean {
  return !int(c.maxInstances) && !int(c.maxThroughput);
}

/**
 * Check a connector of a CreateConnector request and return it with the server
 * defaults filled and output-only fields dropped (name and state are the caller's).
 */
export function normaliseConnector(input: Obj | undefined, project: string): Obj {
  if (!input) throw invalid('Field connector is required.');
  const c: Obj = {};
  for (const k of ['network', 'ipCidrRange', 'machineType', 'minThroughput', 'maxThroughput', 'minInstances', 'maxInstances']) {
    if (input[k] !== undefined && input[k] !== '' && input[k] !== 0) c[k] = input[k];
  }
  const subnet = input.subnet?.name ? { name: String(input.subnet.name), projectId: String(input.subnet.projectId || project) } : undefined;
  if (subnet) {
    if (c.network || c.ipCidrRange) throw invalid('A connector takes either a subnet or a network with an IP CIDR range, not both.');
    if (subnet.name.includes('/')) throw invalid(`Invalid subnet name '${subnet.name}': give the subnetwork's name, not its URL.`);
    c.subnet = subnet;
  } else {
    if (!c.ipCidrRange) throw invalid('A connector needs either ip_cidr_range (with network) or subnet.');
    if (!c.network) throw invalid('Field network is required when ip_cidr_range is set.');
    checkRange(String(c.ipCidrRange));
  }
  c.machineType ||= 'e2-micro';
  if (!MACHINE_TYPES.includes(c.machineType)) {
    throw invalid(`Invalid machine type '${c.machineType}': a connector runs on ${MACHINE_TYPES.join(', ')}.`);
  }
  scaling(c);
  return c;
}
