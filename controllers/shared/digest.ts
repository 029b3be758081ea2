/**
 * Short, stable names derived from text, shared by the kinds that must fit derived names
 * into API limits (LoadBalancer's sub-resource names, Slo's channel roles).
 */
import { createHash } from 'node:crypto';

/** A short, stable hex digest (for names and request IDs). */
export function digest(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}
