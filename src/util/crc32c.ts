/**
 * CRC32C (Castagnoli), the checksum Secret Manager computes for payloads
 * (`data_crc32c`): the emulator checks and reports it, runctl sends it with every version
 * it adds. Table-driven; payloads are at most 64 KiB.
 */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The CRC32C of `data`, as an unsigned 32-bit integer. */
export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
