/**
 * The traffic model's settings: requests per second per service and the 5xx ratio per
 * image. Kept in the persisted state (`core.state.traffic`) so a standalone emulator
 * restarted on the same `--state` keeps them. Behaviour: `spec/traffic.md`.
 */
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';

/** Requests per second for a service when neither `--traffic-rps` nor the config says. */
export const DEFAULT_RPS = 50;

/** The built-in error rule: an image whose name contains `failing` answers 10% with 5xx. */
export const DEFAULT_IMAGE_RULES: Readonly<Record<string, number>> = { failing: 0.1 };

/** Settings changed through `/__emulator/traffic`. */
export interface TrafficConfig {
  /** Requests per second for every public service (overrides `--traffic-rps`). */
  rps?: number;
  /** Per service (full name or service id): its own requests per second (also for private services). */
  services: Record<string, { rps: number }>;
  /** Per image substring: the ratio of requests answered with 5xx (0..1). */
  images: Record<string, { errorRatio: number }>;
}

/** The config namespace of an emulator. */
export function trafficConfig(core: EmulatorCore): TrafficConfig {
  const cfg = core.ns<TrafficConfig>('traffic', () => ({ services: {}, images: {} }));
  cfg.services ??= {};
  cfg.images ??= {};
  return cfg;
}

const bad = (message: string): never => {
  throw new EmulatorError(Code.INVALID_ARGUMENT, message);
};

function rate(v: unknown, what: string): number {
  const n = Number(v);
  if (typeof v === 'boolean' || !Number.isFinite(n) || n < 0) bad(`${what} must be a non-negative number`);
  return n;
}

function ratio(v: unknown, what: string): number {
  const n = rate(v, what);
  if (n > 1) bad(`${what} must be between 0 and 1`);
  return n;
}

/**
 * Merge a `POST /__emulator/traffic` body into the config: `rps` (null resets it),
 * `services: {NAME: {rps} | null}`, `images: {SUBSTRING: {errorRatio} | number | null}`.
 * Validates everything before changing anything.
 */
export function mergeTrafficConfig(core: EmulatorCore, body: any): TrafficConfig {
  if (!body || typeof body !== 'object' || Array.isArray(body)) bad('expected {"rps"?, "services"?, "images"?}');
  const unknown = Object.keys(body).filter((k) => !['rps', 'services', 'images'].includes(k));
  if (unknown.length) bad(`unknown field(s) ${unknown.join(', ')}: expected rps, services, images`);
  const services: Record<string, { rps: number } | null> = {};
  for (const [name, v] of Object.entries((body.services ?? {}) as Record<string, any>)) {
    services[name] = v === null ? null : { rps: rate(v?.rps, `services["${name}"].rps`) };
  }
  const images: Record<string, { errorRatio: number } | null> = {};
  for (const [match, v] of Object.entries((body.images ?? {}) as Record<string, any>)) {
    if (!match) bad('an image match must not be empty');
    images[match] = v === null ? null : { errorRatio: ratio(typeof v === 'number' ? v : v?.errorRatio, `images["${match}"].errorRatio`) };
  }
  const rps = body.rps === undefined || body.rps === null ? body.rps : rate(body.rps, 'rps');
  const cfg = trafficConfig(core);
  if (rps === null) delete cfg.rps;
  else if (rps !== undefined) cfg.rps = rps;
  for (const [k, v] of Object.entries(services)) {
    if (v) cfg.services[k] = v;
    else delete cfg.services[k];
  }
  for (const [k, v] of Object.entries(images)) {
    if (v) cfg.images[k] = v;
    else delete cfg.images[k];
  }
  core.persist();
  return cfg;
}

/** Forget every setting (`DELETE /__emulator/traffic`). */
export function resetTrafficConfig(core: EmulatorCore): TrafficConfig {
  const cfg = trafficConfig(core);
  delete cfg.rps;
  cfg.services = {};
  cfg.images = {};
  core.persist();
  return cfg;
}

/**
 * The 5xx ratio of a revision with these images: the longest configured substring
 * that matches any image wins (configured rules before the built-in `failing` rule);
 * no match: 0.
 */
export function errorRatioFor(cfg: TrafficConfig, images: string[]): number {
  const pick = (rules: Record<string, number>) => {
    let best: { len: number; ratio: number } | undefined;
    for (const [match, r] of Object.entries(rules)) {
      if (images.some((img) => img.includes(match)) && (!best || match.length > best.len)) best = { len: match.length, ratio: r };
    }
    return best?.ratio;
  };
  const configured = Object.fromEntries(Object.entries(cfg.images).map(([k, v]) => [k, v.errorRatio]));
  return pick(configured) ?? pick(DEFAULT_IMAGE_RULES) ?? 0;
}

/**
 * Requests per second a service receives: its own setting; else, when it is public
 * (allUsers may invoke it, or the invoker check is off), the emulator-wide rate.
 * Private services without their own setting receive no modelled traffic.
 */
export function rpsFor(core: EmulatorCore, cfg: TrafficConfig, svc: { name: string; serviceId: string; public: boolean }): number {
  const own = cfg.services[svc.name] ?? cfg.services[svc.serviceId];
  if (own) return own.rps;
  if (!svc.public) return 0;
  return cfg.rps ?? core.options.trafficRps ?? DEFAULT_RPS;
}
