/**
 * Attested images: emulator state standing in for signed attestations in Container
 * Analysis. Seeded from `--attested` (`core.options.attested`) and managed at
 * `/__emulator/attestations` (GET lists, POST `{"images": [...]}` adds, DELETE with
 * `{"images": [...]}` removes those, without a body removes all).
 */
import type { EmulatorCore } from '../../core';
import { EmulatorError, Code } from '../../errors';
import type { Router } from '../../http';
import { matchesAttested } from './images';
import { binauthzState } from './state';

/** Add images to the attested set (duplicates ignored). */
export function addAttested(core: EmulatorCore, images: string[]): string[] {
  const st = binauthzState(core);
  for (const img of images) if (!st.attested.includes(img)) st.attested.push(img);
  return [...st.attested];
}

/** Does any attested entry cover this image (see `matchesAttested`)? */
export function isAttested(core: EmulatorCore, image: string): boolean {
  return binauthzState(core).attested.some((entry) => matchesAttested(entry, image));
}

function imagesOf(body: any): string[] {
  const images = body?.images;
  if (!Array.isArray(images) || images.some((i) => typeof i !== 'string' || !i.trim())) {
    throw new EmulatorError(Code.INVALID_ARGUMENT, 'expected {"images": ["registry/path/image[:tag|@digest]", ...]}');
  }
  return images.map((i: string) => i.trim());
}

/** Register the `/__emulator/attestations` admin routes. */
export function attestationRoutes(router: Router, core: EmulatorCore): void {
  router.add('GET', '/__emulator/attestations', () => ({ images: [...binauthzState(core).attested] }));
  router.add('POST', '/__emulator/attestations', (req) => {
    const images = addAttested(core, imagesOf(req.body));
    core.persist();
    return { images };
  });
  router.add('DELETE', '/__emulator/attestations', (req) => {
    const st = binauthzState(core);
    if (req.body === undefined) st.attested = [];
    else {
      const remove = new Set(imagesOf(req.body));
      st.attested = st.attested.filter((i) => !remove.has(i));
    }
    core.persist();
    return { images: [...st.attested] };
  });
}
