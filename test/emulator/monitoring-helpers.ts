/**
 * Shared setup for the Monitoring conformance tests: an emulator on ephemeral ports and
 * the official `@google-cloud/monitoring` clients pointed at it.
 */
import { Clients } from '../../src/gcp/clients';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';

type Mon = typeof import('@google-cloud/monitoring');

export const PROJECT = 'mon-proj';
export const PARENT = `projects/${PROJECT}`;
/** The emulator's project number: Monitoring names services and SLOs by it. */
export const PROJECT_NUMBER = '123456789012';
/** `PARENT` as services and SLOs come back: by project number. */
export const NUMBERED = `projects/${PROJECT_NUMBER}`;

export interface MonEnv {
  emu: RunningEmulator;
  clients: Clients;
  sm: InstanceType<Mon['ServiceMonitoringServiceClient']>;
  alerts: InstanceType<Mon['AlertPolicyServiceClient']>;
  channels: InstanceType<Mon['NotificationChannelServiceClient']>;
  metrics: InstanceType<Mon['MetricServiceClient']>;
  stats(): Promise<{ reads: number; writes: number; calls: Record<string, number> }>;
  close(): Promise<void>;
}

export async function monEnv(): Promise<MonEnv> {
  const emu = await startEmulator({ port: 0 });
  const clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http });
  return {
    emu,
    clients,
    sm: clients.monitoring('ServiceMonitoringServiceClient'),
    alerts: clients.monitoring('AlertPolicyServiceClient'),
    channels: clients.monitoring('NotificationChannelServiceClient'),
    metrics: clients.monitoring('MetricServiceClient'),
    async stats() {
      return (await fetch(`http://${emu.http}/__emulator/stats`)).json() as any;
    },
    async close() {
      await clients.close();
      await emu.stop();
    },
  };
}

/** The gRPC status code a call fails with (or 'resolved' when it does not fail). */
export async function codeOf(p: Promise<unknown>): Promise<number | 'resolved'> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return (err as { code: number }).code;
  }
}

/** A request-based availability SLI for a Cloud Run service, as runctl writes it. */
export function availabilitySli(service: string): any {
  const base = `metric.type="run.googleapis.com/request_count" resource.type="cloud_run_revision" resource.labels.service_name="${service}"`;
  return { requestBased: { goodTotalRatio: { goodServiceFilter: `${base} metric.labels.response_code_class="2xx"`, totalServiceFilter: base } } };
}

export const DAY = 86400;
