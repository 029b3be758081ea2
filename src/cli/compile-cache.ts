/**
 * V8's compile cache for runctl's own and its dependencies' modules, where the Node
 * version has it (`module.enableCompileCache`, Node >= 22.1): a start then skips most
 * of the JavaScript parsing and compiling that loading ~700 modules costs. Imported
 * first by `main.ts`, so the modules after it are cached. The cache lives in Node's
 * default place (the OS temp directory, or NODE_COMPILE_CACHE); NODE_DISABLE_COMPILE_CACHE=1
 * turns it off. On older Node this does nothing.
 */
import * as nodeModule from 'node:module';

const enable = (nodeModule as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache;
if (typeof enable === 'function') {
  try {
    enable();
  } catch {
    /* an unwritable cache directory only costs speed */
  }
}
