/**
 * Cloud Scheduler v1 over gRPC (and REST through the transcoder): jobs with HTTP,
 * Pub/Sub and App Engine targets, OIDC/OAuth tokens whose service account must exist
 * (`core.directory`), unix-cron schedules in tz database time zones, pause/resume and
 * forced runs. Behaviour is written down in `src/emulator/spec/scheduler.md`.
 */
import { loadProtos, unary } from '../grpc';
import type { EmulatorCore } from '../core';
import type { EmulatorModule } from './module';
import { createJob, deleteJob, getJob, listJobs, pauseJob, resumeJob, runDueJobs, runJob, updateJob } from './scheduler/jobs';

export { schedulerState } from './scheduler/jobs';

const PROTO_FILES = ['google/cloud/scheduler/v1/cloudscheduler.proto'];

type Handler = (core: EmulatorCore, req: any) => unknown;

/** Method name → handler and whether it counts as a read or a write. */
const METHODS: Record<string, [Handler, 'read' | 'write']> = {
  ListJobs: [listJobs, 'read'],
  GetJob: [getJob, 'read'],
  CreateJob: [createJob, 'write'],
  UpdateJob: [updateJob, 'write'],
  DeleteJob: [deleteJob, 'write'],
  PauseJob: [pauseJob, 'write'],
  ResumeJob: [resumeJob, 'write'],
  RunJob: [runJob, 'write'],
};

let loaded: any;

export const schedulerModule: EmulatorModule = {
  name: 'scheduler',
  grpc(server, core) {
    loaded ??= loadProtos(PROTO_FILES, ['google.cloud.scheduler.v1.CloudScheduler']);
    const impl: Record<string, unknown> = {};
    for (const [method, [handler, kind]] of Object.entries(METHODS)) {
      impl[method[0].toLowerCase() + method.slice(1)] = unary(core, `CloudScheduler.${method}`, kind, (req) => handler(core, req));
    }
    server.addService(loaded.google.cloud.scheduler.v1.CloudScheduler.service, impl as any);
  },
  start(core) {
    // Jobs run on the simulated clock: due runs are attempted before every API call.
    core.beforeChange.push(() => runDueJobs(core));
  },
};
