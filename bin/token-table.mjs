/**
 * Writes the o200k token table (see src/providers/token-table.ts) to dist/o200k_base.tokens,
 * built from the installed gpt-tokenizer's ranks: a process that counts tokens then loads it
 * with one file read instead of compiling the ranks and building maps from them.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { buildTokenTable, tokenTablePath } from '../dist/providers/tokenizer.js';

const file = tokenTablePath();
// Another process may be reading the table: it sees the old file or the new one, never half of one.
const temp = `${file}.${process.pid}.tmp`;
writeFileSync(temp, buildTokenTable().toBytes());
renameSync(temp, file);
