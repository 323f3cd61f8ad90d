import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { TokenTable } from '../../src/providers/token-table.js';
import { buildTokenTable, tokenTablePath } from '../../src/providers/tokenizer.js';
import { ensureBuilt } from '../support/cli.js';

const ranks = (createRequire(import.meta.url)('gpt-tokenizer/cjs/bpeRanks/o200k_base') as { default: (string | number[])[] }).default;
const encoder = new TextEncoder();
const bytesOf = (token: string | number[]): Uint8Array => (typeof token === 'string' ? encoder.encode(token) : Uint8Array.from(token));

let built: TokenTable;

beforeAll(() => {
  ensureBuilt();
  built = buildTokenTable();
});

describe('TokenTable', () => {
  it('finds every o200k token at its rank, read back from its bytes as well as built', () => {
    const read = TokenTable.fromBytes(built.toBytes(), built.source);
    expect(read).toBeDefined();
    expect(read?.size).toBe(ranks.length);
    for (const table of [built, read as TokenTable]) {
      const wrong = ranks.flatMap((token, rank) => {
        const bytes = bytesOf(token);
        return table.rankOf(bytes, 0, bytes.length) === rank ? [] : [rank];
      });
      expect(wrong).toEqual([]);
    }
  });

  it('answers -1 for bytes that are no token, looked up anywhere in a buffer', () => {
    const buffer = encoder.encode('xx Hello world, zqxjvkwpfh! xx');
    expect(built.rankOf(buffer, 2, 8)).toBe(ranks.indexOf(' Hello'));
    expect(built.rankOf(buffer, 15, 25)).toBe(-1);
    expect(built.rankOf(Uint8Array.from([0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa]), 0, 6)).toBe(-1);
  });

  it('reads no table built from other ranks, cut short, or not a table at all', () => {
    const data = built.toBytes();
    expect(TokenTable.fromBytes(data, 'gpt-tokenizer@0.0.0 o200k_base')).toBeUndefined();
    expect(TokenTable.fromBytes(data.subarray(0, data.length - 1), built.source)).toBeUndefined();
    expect(TokenTable.fromBytes(data.subarray(0, 12), built.source)).toBeUndefined();
    expect(TokenTable.fromBytes(encoder.encode('{"not": "a table"}'.repeat(10)), built.source)).toBeUndefined();
    const shifted = new Uint8Array(data.length + 1);
    shifted.set(data, 1);
    // Not 4-byte aligned in its buffer: read through a copy.
    expect(TokenTable.fromBytes(shifted.subarray(1), built.source)?.size).toBe(ranks.length);
  });

  it('is what the build wrote to dist/, byte for byte', async () => {
    const written = await readFile(tokenTablePath());
    expect(Buffer.compare(written, built.toBytes())).toBe(0);
  });
});
