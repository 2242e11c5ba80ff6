/** The part of hpack.js (no bundled types) that the :authority rewrite uses. */
declare module 'hpack.js' {
  export interface HpackHeader {
    readonly name: string;
    /** Bytes as a latin1 string: hpack.js maps each octet to one char code. */
    readonly value: string;
    readonly neverIndex: boolean;
  }
  interface TableOptions {
    readonly table: { readonly maxSize: number };
  }
  export interface Decompressor {
    write(chunk: Buffer): boolean;
    execute(): void;
    read(): HpackHeader | null;
    on(event: 'error', listener: (err: Error) => void): this;
  }
  export interface Compressor {
    write(headers: ReadonlyArray<{ name: string; value: string; neverIndex?: boolean; huffman?: boolean }>): boolean;
    read(): Buffer | null;
  }
  const hpack: {
    decompressor: { create(options: TableOptions): Decompressor };
    compressor: { create(options: TableOptions): Compressor };
  };
  export default hpack;
}
