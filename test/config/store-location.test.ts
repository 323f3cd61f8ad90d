import { describe, expect, it } from 'vitest';
import { parseStoreLocation, storeValue } from '../../src/config/index.js';

const projectDir = '/home/dev/shop';

describe('the --store value', () => {
  it('is the file store when absent, empty or "file"', () => {
    for (const value of [undefined, '', '  ', 'file']) {
      expect(parseStoreLocation({ value, from: '--store', projectDir })).toEqual({ kind: 'file' });
    }
  });

  it('names a run in PostgreSQL: the team parameter, else the project folder, and the URL the driver gets has no team', () => {
    expect(
      parseStoreLocation({ value: 'postgres://team:s3cret@db.internal:5432/agents?team=web&sslmode=require', from: '--store', projectDir }),
    ).toEqual({
      kind: 'postgres',
      url: 'postgres://team:s3cret@db.internal:5432/agents?sslmode=require',
      key: 'web',
    });
    expect(
      parseStoreLocation({ value: 'postgresql://team@localhost/agents?host=%2Fvar%2Frun%2Fpostgresql', from: '--store', projectDir }),
    ).toEqual({
      kind: 'postgres',
      url: 'postgresql://team@localhost/agents?host=%2Fvar%2Frun%2Fpostgresql',
      key: 'shop',
    });
  });

  it('round-trips through storeValue, so agent processes open the same run', () => {
    const location = parseStoreLocation({ value: 'postgres://team@db/agents?sslmode=require', from: '--store', projectDir });
    expect(parseStoreLocation({ value: storeValue(location), from: 'AGENT_TEAM_STORE', projectDir: '/elsewhere/other' })).toEqual(location);
    expect(storeValue({ kind: 'file' })).toBe('file');
  });

  it('refuses anything else, naming where the value came from and the expected form, never echoing a password', () => {
    const bad = [
      ['mysql://root:hunter2@db/agents', /AGENT_TEAM_STORE is "mysql:\/\/": expected "file" \(the default\) or a PostgreSQL URL/],
      ['./state.json', /AGENT_TEAM_STORE is "\.\/state\.json": expected "file"/],
      ['postgres://user:hunter2@[bad/agents', /AGENT_TEAM_STORE is not a valid URL \(postgres:\/\/…\)/],
      ['postgres://user:hunter2@db/agents?team=', /the team parameter is empty/],
    ] as const;
    for (const [value, message] of bad) {
      const attempt = (): unknown => parseStoreLocation({ value, from: 'AGENT_TEAM_STORE', projectDir });
      expect(attempt).toThrow(message);
      expect(() => attempt()).not.toThrow(/hunter2/);
    }
  });
});
