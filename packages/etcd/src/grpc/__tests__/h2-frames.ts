/** Test helper: raw HTTP/2 client frames and a client-side HPACK encoder, for the :authority tests. */
import hpack from 'hpack.js';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export function h2frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

export type Header = { name: string; value: string };

/** A client-side HPACK encoder, as etcdctl's would be (indexing into the dynamic table). */
export function clientEncoder(): (headers: Header[]) => Buffer {
  const enc = hpack.compressor.create({ table: { maxSize: 4096 } });
  return (headers) => {
    enc.write(headers);
    const out: Buffer[] = [];
    for (let c = enc.read(); c; c = enc.read()) out.push(c);
    return Buffer.concat(out);
  };
}
