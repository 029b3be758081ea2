/**
 * What Cloud Run enforces with the IAM module (spec/iam.md, "Enforced elsewhere"): a
 * service naming a service account that does not exist is refused, on create and update.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import { Clients } from '../../src/gcp/clients';
import { apiFailure as failure } from '../helpers/api-failure';
import { GrpcCode } from '../../src/util/grpc-codes';

const PROJECT = 'iam-proj';
const EMAIL = (id: string) => `${id}@${PROJECT}.iam.gserviceaccount.com`;
const DEFAULT_SA = '123456789012-compute@developer.gserviceaccount.com';

let emu: RunningEmulator;
let clients: Clients;
const sa = () => clients.iamServiceAccounts();

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http });
  await sa().create({ name: `projects/${PROJECT}`, requestBody: { accountId: 'tortune' } });
});
afterAll(async () => {
  await clients.close();
  await emu.stop();
});

describe('Cloud Run refuses a service account that does not exist', () => {
  const parent = `projects/${PROJECT}/locations/europe-north1`;
  const service = (id: string, serviceAccount: string) => ({ parent, serviceId: id, service: { template: { serviceAccount, containers: [{ image: 'europe-north1-docker.pkg.dev/p/r/a:1' }] } } });

  it('answers PERMISSION_DENIED on create, as Google does for actAs on a missing account', async () => {
    const ghost = EMAIL('ghost-acct');
    const f = await failure(clients.runServices().createService(service('ghosted', ghost)));
    expect(f).toMatchObject({ code: GrpcCode.PERMISSION_DENIED, message: `Permission 'iam.serviceaccounts.actAs' denied on service account ${ghost} (or it may not exist).` });
  });

  it('accepts an existing account and the Google-managed default', async () => {
    const [op] = await clients.runServices().createService(service('with-sa', EMAIL('tortune')));
    await op.promise();
    const [op2] = await clients.runServices().createService(service('with-default', DEFAULT_SA));
    await op2.promise();
    const [svc] = await clients.runServices().getService({ name: `${parent}/services/with-sa` });
    expect(svc.template!.serviceAccount).toBe(EMAIL('tortune'));
  });

  it('refuses an update to an account deleted since', async () => {
    await sa().create({ name: `projects/${PROJECT}`, requestBody: { accountId: 'doomed-acct' } });
    const [op] = await clients.runServices().createService(service('doomed', EMAIL('doomed-acct')));
    await op.promise();
    await sa().delete({ name: `projects/-/serviceAccounts/${EMAIL('doomed-acct')}` });
    const [svc] = await clients.runServices().getService({ name: `${parent}/services/doomed` });
    const f = await failure(clients.runServices().updateService({ service: { ...svc, labels: { x: 'y' } } }));
    expect(f.code).toBe(GrpcCode.PERMISSION_DENIED);
  });
});
