import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { bufferTerminal } from '../../src/cli/terminal.js';
import { checkExposure } from '../../src/server/index.js';
import { tempProject } from '../support/temp-project.js';
import { orchestrateBody, useServices, TEST_TOKEN } from './service-fixture.js';

const service = useServices();

describe('the bearer token', () => {
  it('is required on every route but /healthz and /readyz: 401 without it, with a wrong one, or with another scheme', async () => {
    const { call } = await service();
    for (const path of ['/agents', '/openapi.json', '/tasks/x', '/tasks/x/events', '/no-such-route']) {
      for (const authorization of ['', 'Bearer wrong-token-0123456789', `Basic ${TEST_TOKEN}`, 'Bearer ', `Bearer ${TEST_TOKEN}x`]) {
        const response = await call(path, { headers: { authorization } });
        expect(response.status, `${path} with "${authorization}"`).toBe(401);
        const body = (await response.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('unauthorized');
        expect(JSON.stringify(body)).not.toContain(TEST_TOKEN);
      }
    }
    const post = await call('/orchestrate', { method: 'POST', json: orchestrateBody('t-1'), headers: { authorization: 'Bearer nope' } });
    expect(post.status).toBe(401);
    expect((await call('/healthz', { headers: { authorization: '' } })).status).toBe(200);
    expect((await call('/readyz', { headers: { authorization: '' } })).status).toBe(200);
    expect((await call('/agents')).status).toBe(200);
  });

  it('sends no CORS headers: a browser page of another origin cannot read answers', async () => {
    const { call } = await service();
    const response = await call('/agents', { headers: { origin: 'https://evil.example' } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await call('/agents', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('exposure', () => {
  it('refuses a host beyond loopback without a token, and a short token anywhere', () => {
    expect(() => checkExposure({ host: '0.0.0.0', token: undefined })).toThrow(
      /Refusing to listen on 0\.0\.0\.0 without a token.*AGENT_TEAM_API_TOKEN/,
    );
    expect(() => checkExposure({ host: '::', token: undefined })).toThrow(/without a token/);
    expect(() => checkExposure({ host: '192.168.1.4', token: undefined })).toThrow(/without a token/);
    expect(() => checkExposure({ host: '127.0.0.1', token: 'short' })).toThrow(/too short/);
    expect(() => checkExposure({ host: '127.0.0.1', token: undefined })).not.toThrow();
    expect(() => checkExposure({ host: 'localhost', token: undefined })).not.toThrow();
    expect(() => checkExposure({ host: '::1', token: undefined })).not.toThrow();
    expect(() => checkExposure({ host: '0.0.0.0', token: TEST_TOKEN })).not.toThrow();
  });

  it('`agent-team serve --host 0.0.0.0` without AGENT_TEAM_API_TOKEN exits 2 with a clear message, listening nowhere', async () => {
    const project = await tempProject();
    const previous = process.env['AGENT_TEAM_API_TOKEN'];
    delete process.env['AGENT_TEAM_API_TOKEN'];
    try {
      const terminal = bufferTerminal();
      const code = await main(['node', 'agent-team', 'serve', '--host', '0.0.0.0', '--port', '0'], { terminal, cwd: project.dir });
      expect(code).toBe(2);
      expect(terminal.stderr()).toMatch(/Refusing to listen on 0\.0\.0\.0 without a token/);
      expect(terminal.stdout()).not.toMatch(/listening/);
    } finally {
      if (previous !== undefined) process.env['AGENT_TEAM_API_TOKEN'] = previous;
      await project.cleanup();
    }
  });

  it('`agent-team serve --help` shows examples, the token variable and exit codes', async () => {
    const terminal = bufferTerminal();
    const code = await main(['node', 'agent-team', 'serve', '--help'], { terminal, cwd: process.cwd() });
    expect(code).toBe(0);
    expect(terminal.stdout()).toMatch(/Examples:[\s\S]*agent-team serve --host 0\.0\.0\.0/);
    expect(terminal.stdout()).toMatch(/AGENT_TEAM_API_TOKEN/);
    expect(terminal.stdout()).toMatch(/Exit codes:[\s\S]*2 {4}bad usage/);
  });

  it('`agent-team serve` listens on loopback with the token from the environment until its signal stops it (exit 0)', async () => {
    const project = await tempProject();
    const previous = process.env['AGENT_TEAM_API_TOKEN'];
    process.env['AGENT_TEAM_API_TOKEN'] = TEST_TOKEN;
    const stop = new AbortController();
    try {
      const terminal = bufferTerminal();
      const done = main(['node', 'agent-team', 'serve', '--port', '0', '--json'], { terminal, cwd: project.dir, signal: stop.signal });
      let url: string | undefined;
      while (url === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const line = terminal
          .stdout()
          .split('\n')
          .find((text) => text.startsWith('{'));
        if (line !== undefined) url = (JSON.parse(line) as { url: string }).url;
      }
      expect((await fetch(`${url}/agents`)).status).toBe(401);
      expect((await fetch(`${url}/agents`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).status).toBe(200);
      stop.abort();
      expect(await done).toBe(0);
      expect(terminal.stdout() + terminal.stderr()).not.toContain(TEST_TOKEN);
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      if (previous === undefined) delete process.env['AGENT_TEAM_API_TOKEN'];
      else process.env['AGENT_TEAM_API_TOKEN'] = previous;
      await project.cleanup();
    }
  });
});

describe('request bodies', () => {
  it('over the cap are refused with 413 before they are read whole', async () => {
    const { call } = await service({ maxBodyBytes: 4096 });
    const response = await call('/orchestrate', { method: 'POST', json: orchestrateBody('big', { description: 'x'.repeat(10_000) }) });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    const fine = await call('/orchestrate', { method: 'POST', json: { task_id: 'small' } });
    expect(fine.status).toBe(400);
  });
});

describe('health', () => {
  it('/healthz says the process is up; /readyz that the store answers', async () => {
    const { call } = await service();
    expect(await (await call('/healthz')).json()).toEqual({ status: 'ok' });
    expect(await (await call('/readyz')).json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 503 when PostgreSQL cannot be reached, and names no password', async () => {
    const { call } = await service({ store: 'postgres://team:sekrit-pass@127.0.0.1:1/agents' });
    const response = await call('/readyz');
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(text).toMatch(/PostgreSQL/);
    expect(text).not.toContain('sekrit-pass');
    expect((await call('/healthz')).status).toBe(200);
  });
});

describe('without a token on loopback', () => {
  it('serves every route without authentication', async () => {
    const { call } = await service({ token: null });
    expect((await call('/agents')).status).toBe(200);
  });
});
