#!/usr/bin/env node
/** The `runctl` executable. */
// First, so every module loaded after it is compiled from the cache (Node >= 22.1).
import './compile-cache';
import { installProcessGuard } from './guard';
import { processIo } from './io';
import { reportError, run } from './program';

const controller = new AbortController();
const io = { ...processIo(), signal: controller.signal };
installProcessGuard(io);
let signals = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    signals++;
    controller.abort();
    // A second signal means "now".
    if (signals > 1) process.exit(130);
  });
}

run(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
    // gRPC channels and timers must not keep a finished command alive.
    setTimeout(() => process.exit(code), 50).unref();
  },
  (err) => {
    process.exit(reportError(err, io));
  },
);
