/** The installed package's version, read from its package.json when `--version` asks for it. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Reads and validates the version in package.json. The config, files and zod modules it
 * needs are imported here, not at start-up: no other command pays for reading the version.
 */
export async function packageVersion(): Promise<string> {
  const [{ packageRoot }, { parseDataText }, { z }] = await Promise.all([
    import('../config/index.js'),
    import('../files/index.js'),
    import('zod'),
  ]);
  const file = join(packageRoot(), 'package.json');
  const schema = z.looseObject({ version: z.string() });
  return parseDataText({ text: await readFile(file, 'utf8'), where: file, format: 'json', schema }).version;
}

/** True when `argv` (as in `process.argv`) may ask for the version: commander decides, this only says whether to read it. */
export function mayAskVersion(argv: readonly string[]): boolean {
  return argv.slice(2).some((arg) => arg === '--version' || arg === '-V');
}
