import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/errors/index.js';
import { startServer, webhookSettings } from '../../src/server/index.js';
import { loadTeamConfig } from '../../src/config/index.js';
import { runCommand } from '../support/cli-in-process.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

const SHORT = 'short-secret-15';
let project: TempProject | undefined;

afterEach(async () => {
  vi.unstubAllEnvs();
  await project?.cleanup();
  project = undefined;
});

describe('webhook settings', () => {
  it('takes receivers from --webhook and AGENT_TEAM_WEBHOOK_URLS, once each, and the secret from the environment', () => {
    const settings = webhookSettings({
      flags: ['http://127.0.0.1:9000/a'],
      env: {
        AGENT_TEAM_WEBHOOK_URLS: ' http://127.0.0.1:9000/a, https://hooks.example.com/b ,',
        AGENT_TEAM_WEBHOOK_SECRET: 'x'.repeat(16),
      },
    });
    expect(settings.urls).toEqual(['http://127.0.0.1:9000/a', 'https://hooks.example.com/b']);
    expect(settings.secret).toBe('x'.repeat(16));
    expect(webhookSettings({ flags: [], env: {} })).toEqual({ urls: [], secret: undefined, callbackHosts: { patterns: [] } });
  });

  it('refuses a receiver without a secret, a short secret and a URL that is not http(s), saying how to fix it and never echoing the secret', () => {
    const refusal = (input: Parameters<typeof webhookSettings>[0]): UsageError => {
      try {
        webhookSettings(input);
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return error as UsageError;
      }
      throw new Error('accepted');
    };
    expect(refusal({ flags: ['http://127.0.0.1:9000/a'], env: {} }).message).toMatch(
      /need a signing secret: set AGENT_TEAM_WEBHOOK_SECRET \(at least 16/,
    );
    const short = refusal({ flags: [], env: { AGENT_TEAM_WEBHOOK_URLS: 'http://127.0.0.1:9000/a', AGENT_TEAM_WEBHOOK_SECRET: SHORT } });
    expect(short.message).toMatch(/AGENT_TEAM_WEBHOOK_SECRET is too short \(15 characters\)/);
    expect(short.message).not.toContain(SHORT);
    // A secret alone (for callback_url) must be long enough too.
    expect(refusal({ flags: [], env: { AGENT_TEAM_WEBHOOK_SECRET: SHORT } }).message).toMatch(/too short/);
    const scheme = refusal({ flags: ['ftp://files.example.com/drop?token=abc123'], env: { AGENT_TEAM_WEBHOOK_SECRET: 'x'.repeat(16) } });
    expect(scheme.message).toMatch(/expected http:\/\/ or https:\/\//);
    expect(scheme.message).not.toContain('abc123');
    expect(refusal({ flags: ['https://user:pw@example.com/'], env: { AGENT_TEAM_WEBHOOK_SECRET: 'x'.repeat(16) } }).message).toMatch(
      /user or password/,
    );
  });

  it('startServer refuses the same settings before it listens', async () => {
    project = await tempProject();
    const config = loadTeamConfig({ cwd: project.dir });
    await expect(
      startServer({
        config,
        dataDir: project.path('data'),
        host: '127.0.0.1',
        port: 0,
        token: undefined,
        webhooks: { urls: ['http://127.0.0.1:9/hook'], secret: undefined },
      }),
    ).rejects.toThrow(/AGENT_TEAM_WEBHOOK_SECRET/);
  });

  it('agent-team serve exits 2 with the reason and prints no secret', async () => {
    project = await tempProject();
    vi.stubEnv('AGENT_TEAM_WEBHOOK_SECRET', SHORT);
    vi.stubEnv('AGENT_TEAM_WEBHOOK_URLS', '');
    const result = await runCommand(['serve', '--port', '0', '--webhook', 'http://127.0.0.1:9/hook'], { cwd: project.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/AGENT_TEAM_WEBHOOK_SECRET is too short/);
    expect(result.stdout + result.stderr).not.toContain(SHORT);
    vi.stubEnv('AGENT_TEAM_WEBHOOK_SECRET', '');
    const missing = await runCommand(['serve', '--port', '0', '--webhook', 'http://127.0.0.1:9/hook'], { cwd: project.dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Webhooks need a signing secret/);
  });
});
