/**
 * One process of the migration race in postgres-store.test.ts: connects, says `ready`, waits for a
 * line on stdin so that every process starts migrating at the same moment, migrates, and prints the
 * versions it applied as one JSON line.
 */
import { writeSync } from 'node:fs';
import pg from 'pg';
import { migrate } from '../../src/state/postgres-migrations.js';

const client = new pg.Client({ connectionString: process.argv[2] });
await client.connect();
writeSync(1, 'ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
const applied = await migrate({ client, where: 'the migration race' });
writeSync(1, `${JSON.stringify({ applied })}\n`);
await client.end();
process.stdin.destroy();
