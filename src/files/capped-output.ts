/** Keeps what a process prints within a byte cap: its start shows what ran, its end how it ended. */
export class CappedOutput {
  readonly #headCap: number;
  readonly #tailCap: number;
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  #tail: Buffer = Buffer.alloc(0);
  #totalBytes = 0;

  constructor(capBytes: number) {
    this.#headCap = Math.floor(capBytes / 2);
    this.#tailCap = capBytes - this.#headCap;
  }

  /** Bytes pushed in total, including any that were cut. */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** Adds a chunk, keeping the first and the last half of the cap. */
  push(chunk: Buffer): void {
    this.#totalBytes += chunk.length;
    let rest = chunk;
    if (this.#headBytes < this.#headCap) {
      const taken = rest.subarray(0, this.#headCap - this.#headBytes);
      this.#head.push(taken);
      this.#headBytes += taken.length;
      rest = rest.subarray(taken.length);
    }
    if (rest.length === 0 || this.#tailCap === 0) return;
    this.#tail = Buffer.concat([this.#tail, rest]);
    if (this.#tail.length > this.#tailCap) this.#tail = this.#tail.subarray(this.#tail.length - this.#tailCap);
  }

  /** The text kept, with a marker where its middle was cut out; empty when the cap is 0 (not captured). */
  text(): string {
    if (this.#headCap + this.#tailCap === 0) return '';
    const head = Buffer.concat(this.#head).toString('utf8');
    const omitted = this.#totalBytes - this.#headBytes - this.#tail.length;
    if (omitted === 0) return head + this.#tail.toString('utf8');
    return `${head}\n[… ${omitted} bytes of output omitted …]\n${this.#tail.toString('utf8')}`;
  }
}
