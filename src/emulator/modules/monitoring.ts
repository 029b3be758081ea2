/**
 * Cloud Monitoring v3 over gRPC: ServiceMonitoringService (services, SLOs),
 * AlertPolicyService, NotificationChannelService and MetricService (time series). The
 * four resource collections are descriptors served by one generic CRUD (`monitoring/crud.ts`).
 * Behaviour is written down in `src/emulator/spec/monitoring.md`.
 *
 * Other parts of the emulator add metric points with `recordTimeSeries(core, series)`.
 */
import { EmulatorError, Code } from '../errors';
import { loadProtos, unary } from '../grpc';
import type { EmulatorModule } from './module';
import { alertPolicyType } from './monitoring/alert-policies';
import { crudMethods, type HandlerTable } from './monitoring/crud';
import * as channels from './monitoring/notification-channels';
import { channelType } from './monitoring/notification-channels';
import * as metrics from './monitoring/metrics';
import { serviceType } from './monitoring/services';
import { sloType } from './monitoring/slos';
import { recordTimeSeries, clearTimeSeries, type TimeSeriesInput } from './monitoring/time-series';

export { recordTimeSeries, clearTimeSeries } from './monitoring/time-series';
export type { TimeSeriesInput, TimeSeriesPointInput, TimeLike } from './monitoring/time-series';
export { monitoringState } from './monitoring/state';
export { parseSloSelector } from './monitoring/alert-policies';

const PROTO_FILES = [
  'google/monitoring/v3/service_service.proto',
  'google/monitoring/v3/alert_service.proto',
  'google/monitoring/v3/notification_service.proto',
  'google/monitoring/v3/metric_service.proto',
];

/** Per gRPC service: method name → handler and whether it counts as a read or a write. */
const SERVICES: Record<string, HandlerTable> = {
  ServiceMonitoringService: { ...crudMethods(serviceType), ...crudMethods(sloType) },
  AlertPolicyService: crudMethods(alertPolicyType),
  NotificationChannelService: {
    ...crudMethods(channelType),
    ListNotificationChannelDescriptors: [channels.listDescriptors, 'read'],
    GetNotificationChannelDescriptor: [channels.getDescriptor, 'read'],
  },
  MetricService: {
    ListTimeSeries: [metrics.listTimeSeries, 'read'],
    CreateTimeSeries: [metrics.createTimeSeries, 'write'],
  },
};

let loaded: any;

/** Lowercase-first method name, as gRPC service implementations are keyed. */
function implName(method: string): string {
  return method[0].toLowerCase() + method.slice(1);
}

export const monitoringModule: EmulatorModule = {
  name: 'monitoring',
  grpc(server, core) {
    loaded ??= loadProtos(PROTO_FILES, Object.keys(SERVICES).map((svc) => `google.monitoring.v3.${svc}`));
    const pkg = loaded.google.monitoring.v3;
    for (const [svc, table] of Object.entries(SERVICES)) {
      const impl: Record<string, unknown> = {};
      for (const [method, [handler, kind]] of Object.entries(table)) {
        impl[implName(method)] = unary(core, `${svc}.${method}`, kind, (req) => handler(core, req));
      }
      server.addService(pkg[svc].service, impl as any);
    }
  },
  http(router, core) {
    // Seeding metrics by hand (`{"timeSeries": [TimeSeriesInput, ...]}`), for trying SLO gates offline.
    router.add('POST', '/__emulator/timeseries', (req) => {
      const list: TimeSeriesInput[] = req.body?.timeSeries ?? (req.body ? [req.body] : []);
      if (!Array.isArray(list) || list.length === 0) throw new EmulatorError(Code.INVALID_ARGUMENT, 'expected {"timeSeries": [...]}');
      recordTimeSeries(core, list);
      return { recorded: list.reduce((n, s) => n + (s.points?.length ?? 0), 0) };
    });
    router.add('DELETE', '/__emulator/timeseries', (req) => {
      clearTimeSeries(core, req.query.get('project') ?? undefined);
      return {};
    });
  },
};
