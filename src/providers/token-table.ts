/**
 * The o200k_base vocabulary as one flat binary table: every token's bytes, and an
 * open-addressing hash index from bytes to rank. Built once from gpt-tokenizer's ranks
 * (a 2.4 MB JavaScript array that takes ~0.2 s to compile and another ~0.1 s to turn
 * into maps) and written to dist/ by the build, it loads as one file read with no
 * parsing at all: a process that counts tokens (every agent process of a sim run)
 * starts counting in milliseconds instead of a third of a second of CPU.
 *
 * Layout (little-endian 32-bit words, then bytes):
 *   magic, format, token count N, slot count S (a power of two), length L of the
 *   source label, the label (UTF-8, padded to 4 bytes), N + 1 byte offsets,
 *   S slots (a rank, or -1 for an empty slot), then the tokens' bytes.
 * The label names the ranks the table was built from (gpt-tokenizer's version): a
 * table from other ranks is not used.
 */

const MAGIC = 0x6b74_3230; // "02tk"
const FORMAT = 1;
const HEADER_WORDS = 5;
const EMPTY = -1;

/** FNV-1a over `bytes[start, end)`: cheap, and spreads token bytes well over a power-of-two table. */
function hashOf(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let index = start; index < end; index += 1) {
    hash ^= bytes[index] as number;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A vocabulary's tokens by rank, and the rank of any byte sequence that is a token. */
export class TokenTable {
  readonly #offsets: Uint32Array;
  readonly #slots: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #mask: number;
  /** What the table was built from (see the layout above). */
  readonly source: string;

  private constructor(input: { offsets: Uint32Array; slots: Int32Array; bytes: Uint8Array; source: string }) {
    this.#offsets = input.offsets;
    this.#slots = input.slots;
    this.#bytes = input.bytes;
    this.#mask = input.slots.length - 1;
    this.source = input.source;
  }

  /** Builds the table from ranks as gpt-tokenizer lists them: index = rank, a string (its UTF-8 bytes) or the bytes. */
  static fromRanks(ranks: readonly (string | readonly number[] | undefined)[], source: string): TokenTable {
    const encoder = new TextEncoder();
    const encoded = ranks.map((token) =>
      token === undefined ? new Uint8Array(0) : typeof token === 'string' ? encoder.encode(token) : Uint8Array.from(token),
    );
    const offsets = new Uint32Array(encoded.length + 1);
    for (let rank = 0; rank < encoded.length; rank += 1)
      offsets[rank + 1] = (offsets[rank] as number) + (encoded[rank] as Uint8Array).length;
    const bytes = new Uint8Array(offsets[encoded.length] as number);
    encoded.forEach((token, rank) => {
      bytes.set(token, offsets[rank]);
    });
    // At most a load of one half: a lookup rarely probes a second slot.
    let size = 1;
    while (size < encoded.length * 2) size *= 2;
    const slots = new Int32Array(size).fill(EMPTY);
    const table = new TokenTable({ offsets, slots, bytes, source });
    encoded.forEach((token, rank) => {
      // An unused rank (a hole in the list) holds no bytes and is never looked up.
      if (token.length > 0 && table.rankOf(token, 0, token.length) === EMPTY) table.#insert(rank);
    });
    return table;
  }

  /** Reads a table written by `toBytes`, or undefined when `data` is not one, or was built from another `source`. */
  static fromBytes(data: Uint8Array, source: string): TokenTable | undefined {
    if (data.byteLength < HEADER_WORDS * 4) return undefined;
    // Typed views need 4-byte alignment: copy once if the buffer is not aligned.
    const aligned = data.byteOffset % 4 === 0 ? data : data.slice();
    const header = new Uint32Array(aligned.buffer, aligned.byteOffset, HEADER_WORDS);
    const [magic, format, count, size, labelLength] = header as unknown as [number, number, number, number, number];
    if (magic !== MAGIC || format !== FORMAT || size === 0 || (size & (size - 1)) !== 0) return undefined;
    const labelWords = Math.ceil(labelLength / 4);
    const offsetsAt = aligned.byteOffset + (HEADER_WORDS + labelWords) * 4;
    const slotsAt = offsetsAt + (count + 1) * 4;
    const bytesAt = slotsAt + size * 4;
    if (bytesAt > aligned.byteOffset + aligned.byteLength) return undefined;
    const label = new TextDecoder().decode(aligned.subarray(HEADER_WORDS * 4, HEADER_WORDS * 4 + labelLength));
    if (label !== source) return undefined;
    const offsets = new Uint32Array(aligned.buffer, offsetsAt, count + 1);
    const byteLength = offsets[count] as number;
    if (bytesAt + byteLength !== aligned.byteOffset + aligned.byteLength) return undefined;
    return new TokenTable({
      offsets,
      slots: new Int32Array(aligned.buffer, slotsAt, size),
      bytes: new Uint8Array(aligned.buffer, bytesAt, byteLength),
      source,
    });
  }

  /** The table as `fromBytes` reads it. */
  toBytes(): Uint8Array {
    const label = new TextEncoder().encode(this.source);
    const labelWords = Math.ceil(label.length / 4);
    const count = this.#offsets.length - 1;
    const words = HEADER_WORDS + labelWords + this.#offsets.length + this.#slots.length;
    const data = new Uint8Array(words * 4 + this.#bytes.length);
    new Uint32Array(data.buffer, 0, HEADER_WORDS).set([MAGIC, FORMAT, count, this.#slots.length, label.length]);
    data.set(label, HEADER_WORDS * 4);
    const offsetsAt = (HEADER_WORDS + labelWords) * 4;
    new Uint32Array(data.buffer, offsetsAt, this.#offsets.length).set(this.#offsets);
    new Int32Array(data.buffer, offsetsAt + this.#offsets.length * 4, this.#slots.length).set(this.#slots);
    data.set(this.#bytes, words * 4);
    return data;
  }

  /** How many ranks the table holds. */
  get size(): number {
    return this.#offsets.length - 1;
  }

  /** The rank of the token whose bytes are `bytes[start, end)`, or -1 when they are no token. */
  rankOf(bytes: Uint8Array, start: number, end: number): number {
    const length = end - start;
    let slot = hashOf(bytes, start, end) & this.#mask;
    for (;;) {
      const rank = this.#slots[slot] as number;
      if (rank === EMPTY) return EMPTY;
      const at = this.#offsets[rank] as number;
      if ((this.#offsets[rank + 1] as number) - at === length && this.#same(bytes, start, at, length)) return rank;
      slot = (slot + 1) & this.#mask;
    }
  }

  #same(bytes: Uint8Array, start: number, at: number, length: number): boolean {
    for (let index = 0; index < length; index += 1) {
      if (bytes[start + index] !== this.#bytes[at + index]) return false;
    }
    return true;
  }

  #insert(rank: number): void {
    const start = this.#offsets[rank] as number;
    let slot = hashOf(this.#bytes, start, this.#offsets[rank + 1] as number) & this.#mask;
    while (this.#slots[slot] !== EMPTY) slot = (slot + 1) & this.#mask;
    this.#slots[slot] = rank;
  }
}
