/**
 * The manifest, key, diagnostic and error vocabulary, as the engine's contract hands it
 * to controllers. Defined in `src/util/types.ts` (the bottom layer, so loading,
 * validation and the Google clients can use it without importing the engine).
 */
export * from '../util/types';
