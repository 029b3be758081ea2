/**
 * `google.cloud.location.Locations` on the Cloud Run endpoint (the mixin the v2 clients
 * carry as `listLocations`/`getLocation`): Cloud Run's regions, each labelled
 * `initialized: 'true'` where the project has (or had) Cloud Run resources. This is how
 * a client finds every region to list, since ListServices refuses the `-` wildcard
 * (spec/cloud-run.md, "Locations").
 */
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import { unary } from '../../grpc';
import { paginate, runNs, type Obj } from './state';

/** Cloud Run regions and the display names Google gives them (the city or area). */
export const RUN_REGIONS: Readonly<Record<string, string>> = {
  'africa-south1': 'Johannesburg', 'asia-east1': 'Taiwan', 'asia-east2': 'Hong Kong',
  'asia-northeast1': 'Tokyo', 'asia-northeast2': 'Osaka', 'asia-northeast3': 'Seoul',
  'asia-south1': 'Mumbai', 'asia-south2': 'Delhi', 'asia-southeast1': 'Singapore',
  'asia-southeast2': 'Jakarta', 'australia-southeast1': 'Sydney', 'australia-southeast2': 'Melbourne',
  'europe-central2': 'Warsaw', 'europe-north1': 'Finland', 'europe-southwest1': 'Madrid',
  'europe-west1': 'Belgium', 'europe-west2': 'London', 'europe-west3': 'Frankfurt',
  'europe-west4': 'Netherlands', 'europe-west6': 'Zurich', 'europe-west8': 'Milan',
  'europe-west9': 'Paris', 'europe-west10': 'Berlin', 'europe-west12': 'Turin',
  'me-central1': 'Doha', 'me-central2': 'Dammam', 'me-west1': 'Tel Aviv',
  'northamerica-northeast1': 'Montréal', 'northamerica-northeast2': 'Toronto',
  'southamerica-east1': 'São Paulo', 'southamerica-west1': 'Santiago',
  'us-central1': 'Iowa', 'us-east1': 'South Carolina', 'us-east4': 'Northern Virginia',
  'us-east5': 'Columbus', 'us-south1': 'Dallas', 'us-west1': 'Oregon', 'us-west2': 'Los Angeles',
  'us-west3': 'Salt Lake City', 'us-west4': 'Las Vegas',
};

/** Remember that a project used Cloud Run in a region (the `initialized` label stays). */
export function markInitialized(core: EmulatorCore, project: string, region: string): void {
  const used = (runNs(core).initialized[project] ??= []);
  if (!used.includes(region)) used.push(region);
}

/** Regions where the project has or had Cloud Run resources. */
function initializedRegions(core: EmulatorCore, project: string): Set<string> {
  const st = runNs(core);
  const out = new Set(st.initialized[project] ?? []);
  // Services stored before the module kept `initialized` (older state files).
  for (const name of Object.keys(st.services)) {
    const [, p, , region] = name.split('/');
    if (p === project) out.add(region);
  }
  return out;
}

function location(project: string, region: string, initialized: boolean): Obj {
  const out: Obj = { name: `projects/${project}/locations/${region}`, locationId: region, displayName: RUN_REGIONS[region] ?? region, labels: {} };
  if (initialized) out.labels.initialized = 'true';
  return out;
}

/** The project of `projects/{p}` (ListLocations) or `projects/{p}/locations/{r}` (GetLocation). */
function parseName(name: unknown, parts: number, field: string): string[] {
  const segs = typeof name === 'string' ? name.split('/') : [];
  if (segs.length !== parts || segs[0] !== 'projects' || !segs[1] || (parts === 4 && (segs[2] !== 'locations' || !segs[3]))) {
    const form = parts === 2 ? 'projects/{project}' : 'projects/{project}/locations/{location}';
    throw new EmulatorError(Code.INVALID_ARGUMENT, `Invalid ${field} '${String(name ?? '')}': expected ${form}.`);
  }
  return segs;
}

function list(core: EmulatorCore, req: any): unknown {
  const [, project] = parseName(req.name, 2, 'ListLocationsRequest.name');
  if (req.filter) throw new EmulatorError(Code.INVALID_ARGUMENT, 'ListLocationsRequest.filter is not supported by the emulator.');
  const used = initializedRegions(core, project);
  const regions = [...new Set([...Object.keys(RUN_REGIONS), ...used])].sort();
  const { page, nextPageToken } = paginate(regions, req.pageSize, req.pageToken, 'ListLocationsRequest');
  return { locations: page.map((r) => location(project, r, used.has(r))), nextPageToken };
}

function get(core: EmulatorCore, req: any): unknown {
  const [, project, , region] = parseName(req.name, 4, 'GetLocationRequest.name');
  const used = initializedRegions(core, project);
  if (!RUN_REGIONS[region] && !used.has(region)) throw new EmulatorError(Code.NOT_FOUND, `Location '${region}' not found.`);
  return location(project, region, used.has(region));
}

/** Handlers of `google.cloud.location.Locations`. */
export function locationsHandlers(core: EmulatorCore): Record<string, unknown> {
  return {
    ListLocations: unary(core, 'Locations.ListLocations', 'read', (req) => list(core, req)),
    GetLocation: unary(core, 'Locations.GetLocation', 'read', (req) => get(core, req)),
  };
}
