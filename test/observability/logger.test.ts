import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { bufferTerminal } from '../../src/cli/terminal.js';
import { getLogger, logToStream } from '../../src/observability/index.js';

describe('the logger', () => {
  it('writes JSON lines to the stream it is given, with the namespace, and secrets redacted', () => {
    const terminal = bufferTerminal();
    logToStream(terminal.err);
    getLogger('providers.test').warn('call failed with Bearer abcdefgh12345678', { apiKey: 'plain-secret', model: 'claude-sonnet-5' });
    const lines = terminal.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'warn', namespace: 'providers.test', apiKey: '[redacted]', model: 'claude-sonnet-5' });
    expect(entry['message']).toBe('call failed with [redacted]');
    expect(terminal.stderr()).not.toContain('plain-secret');
  });

  it('writes lines at the level and above only (default warn), each with its fields, secrets redacted however deep', () => {
    const terminal = bufferTerminal();
    logToStream(terminal.err);
    const logger = getLogger('team.test');
    logger.debug('a debug line');
    logger.info('an info line');
    logger.error('the call failed', { request: { headers: { authorization: 'Bearer abcdefgh12345678' } }, attempt: 2 });
    const lines = terminal.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 'error',
      namespace: 'team.test',
      message: 'the call failed',
      request: { headers: { authorization: '[redacted]' } },
      attempt: 2,
    });
  });

  it("goes to the stderr of the command that runs, not the process's, so stdout stays for results", async () => {
    const first = bufferTerminal();
    await main(['node', 'agent-team', '--version'], { terminal: first, cwd: process.cwd() });
    const second = bufferTerminal();
    await main(['node', 'agent-team', '--version'], { terminal: second, cwd: process.cwd() });
    getLogger('cli.test').warn('a warning during the second command');
    expect(first.stderr()).toBe('');
    expect(second.stdout()).not.toContain('a warning');
    expect(second.stderr()).toContain('"message":"a warning during the second command"');
  });
});
