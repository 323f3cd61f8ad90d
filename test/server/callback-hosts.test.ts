/**
 * A task's callback_url names only a host the server may call: without a list, none that is local
 * (loopback, private, link-local, reserved, localhost); with one, only a host of the list. Checked
 * over real HTTP when a task is taken, and again when a task taken under another setting is delivered;
 * without a list, a name is resolved when its callback is delivered and not called when an address is
 * local (names resolved by a resolver of the test's, the connections real).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LookupFunction } from 'node:net';
import { callbackHostProblem, callbackHosts, callbackLookup, type HostResolver, isLocalHost } from '../../src/server/callback-hosts.js';
import { webhookSettings } from '../../src/server/webhook-settings.js';
import { manualTimers } from './manual-timers.js';
import { orchestrateBody, useServices, waitForStatus } from './service-fixture.js';
import { startReceiver, type WebhookReceiver } from './webhook-receiver.js';

const service = useServices();
const SECRET = 'webhook-secret-0123456789abcdef';
const SCAN_MS = 3_600_000;

const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

describe('which hosts a callback may name', () => {
  it('counts loopback, private, link-local, reserved addresses and localhost as local, and public ones not', () => {
    const local = [
      '127.0.0.1',
      '127.8.9.10',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '[::1]',
      '[::]',
      '[fd00::1]',
      '[fe80::1]',
      '[::ffff:10.0.0.1]',
      'localhost',
      'LOCALHOST',
      'api.localhost',
    ];
    const public_ = [
      '8.8.8.8',
      '172.32.0.1',
      '192.169.0.1',
      '[2001:db8::1]',
      '[::ffff:8.8.8.8]',
      'hooks.example.com',
      'localhost.example.com',
    ];
    expect(local.filter((host) => !isLocalHost(host))).toEqual([]);
    expect(public_.filter((host) => isLocalHost(host))).toEqual([]);
  });

  it('matches a list by name, by *.domain and by port, and names the list when it refuses', () => {
    const rule = callbackHosts(['hooks.example.com', '*.ci.example.com', '10.0.0.5:8443', ' hooks.example.com ']);
    expect(rule.patterns).toEqual(['hooks.example.com', '*.ci.example.com', '10.0.0.5:8443']);
    const allowed = (url: string): boolean => callbackHostProblem(url, rule) === null;
    expect(allowed('https://hooks.example.com/a?token=x')).toBe(true);
    expect(allowed('https://HOOKS.example.com:9000/a')).toBe(true);
    expect(allowed('https://build.ci.example.com/a')).toBe(true);
    expect(allowed('https://ci.example.com/a')).toBe(false);
    expect(allowed('https://evil-ci.example.com/a')).toBe(false);
    expect(allowed('https://10.0.0.5:8443/a')).toBe(true);
    expect(allowed('https://10.0.0.5/a')).toBe(false);
    expect(allowed('http://127.0.0.1/a')).toBe(false);
    const problem = callbackHostProblem('https://other.example.com/hook?token=receiver-secret', rule);
    expect(problem).toContain('host other.example.com is not among the hosts this server calls back');
    expect(problem).toContain('hooks.example.com, *.ci.example.com, 10.0.0.5:8443');
    // The URL's own query (a receiver's token) is never quoted back.
    expect(problem).not.toContain('receiver-secret');
    // Without a list: any host but a local one.
    expect(callbackHostProblem('https://hooks.example.com/a', { patterns: [] })).toBeNull();
    expect(callbackHostProblem('http://169.254.169.254/latest/meta-data', { patterns: [] })).toMatch(
      /host 169\.254\.169\.254 is a local address/,
    );
  });

  it('refuses a list entry that is not a host, naming the entry, the form and the variable', () => {
    for (const entry of ['https://hooks.example.com', 'hooks.example.com/path', 'user@hooks.example.com', 'ho st']) {
      expect(() =>
        webhookSettings({ flags: [], env: { AGENT_TEAM_WEBHOOK_SECRET: SECRET, AGENT_TEAM_WEBHOOK_CALLBACK_HOSTS: entry } }),
      ).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringContaining(`A callback host is invalid: "${entry}"`) }));
    }
    const settings = webhookSettings({
      flags: [],
      callbackHostFlags: ['hooks.example.com'],
      env: { AGENT_TEAM_WEBHOOK_SECRET: SECRET, AGENT_TEAM_WEBHOOK_CALLBACK_HOSTS: '*.ci.example.com, 10.0.0.5:8443' },
    });
    expect(settings.callbackHosts?.patterns).toEqual(['hooks.example.com', '*.ci.example.com', '10.0.0.5:8443']);
  });

  it('answers 400 to a callback to a local address without a list, and to a host outside the list with one', async () => {
    const open = await service({
      webhooks: { urls: [], secret: SECRET, scanIntervalMs: SCAN_MS },
      webhookSeams: { timers: manualTimers() },
    });
    for (const url of ['http://127.0.0.1:9/hook', 'http://169.254.169.254/latest/meta-data', 'http://[::1]:8080/x', 'http://localhost/x']) {
      const response = await open.call('/orchestrate', {
        method: 'POST',
        json: orchestrateBody(`local-${receivers.length}-${url.length}`, { metadata: { callback_url: url } }),
      });
      expect(response.status, url).toBe(400);
      const body = (await response.json()) as { error: { fields: { field: string; issue: string }[] } };
      expect(body.error.fields).toEqual([
        { field: 'metadata.callback_url', issue: expect.stringMatching(/is a local address.*--callback-host/) },
      ]);
    }
    const listed = await service({
      webhooks: { urls: [], secret: SECRET, scanIntervalMs: SCAN_MS, callbackHosts: callbackHosts(['127.0.0.1']) },
      webhookSeams: { timers: manualTimers() },
    });
    const outside = await listed.call('/orchestrate', {
      method: 'POST',
      json: orchestrateBody('outside', { metadata: { callback_url: 'https://hooks.example.com/x' } }),
    });
    expect(outside.status).toBe(400);
    expect(JSON.stringify(await outside.json())).toContain('not among the hosts this server calls back');
    // The task was not taken.
    expect((await listed.call('/tasks/outside')).status).toBe(404);
  });

  it('calls back a host of the list, and not once a restart without the list refuses it', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const first = await service({
      webhooks: { urls: [], secret: SECRET, scanIntervalMs: SCAN_MS, callbackHosts: callbackHosts(['127.0.0.1']) },
      webhookSeams: { timers: manualTimers() },
    });
    const taken = await first.call('/orchestrate', {
      method: 'POST',
      json: orchestrateBody('listed', { metadata: { callback_url: receiver.url } }),
    });
    expect(taken.status).toBe(200);
    const hooks = first.server.webhooks;
    if (hooks === null) throw new Error('webhooks are off');
    await hooks.watcher.scan();
    await hooks.dispatcher.idle();
    const delivered = receiver.deliveries.length;
    expect(delivered).toBeGreaterThan(0);
    await first.server.close();

    // The same data directory served without the list: the stored callback names a local address, so it is not called.
    // A receiver of every task (the operator's own, not a client's) shows there were changes to send.
    const everyTask = await startReceiver();
    receivers.push(everyTask);
    const second = await service({
      project: first.project,
      webhooks: { urls: [everyTask.url], secret: SECRET, scanIntervalMs: SCAN_MS },
      webhookSeams: { timers: manualTimers() },
    });
    const executed = await second.call('/execute/listed', { method: 'POST' });
    // The run ends (the watcher then has its changes to send) before the servers close.
    await waitForStatus(second.call, 'listed', ['completed', 'failed']);
    const again = second.server.webhooks;
    if (again === null) throw new Error('webhooks are off');
    await again.watcher.scan();
    await again.dispatcher.idle();
    expect(executed.status).toBe(202);
    expect(everyTask.deliveries.length).toBeGreaterThan(0);
    expect(receiver.deliveries.length).toBe(delivered);
  });

  it('resolves a name when it delivers: one address local refuses the host, with a list the name is called', async () => {
    const resolve: HostResolver = async (hostname) => {
      if (hostname === 'mixed.example.com')
        return [
          { address: '8.8.8.8', family: 4 },
          { address: '10.0.0.7', family: 4 },
        ];
      if (hostname === 'public.example.com')
        return [
          { address: '8.8.8.8', family: 4 },
          { address: '2001:db8::1', family: 6 },
        ];
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    };
    const look = (lookup: LookupFunction, hostname: string, options: Parameters<LookupFunction>[1]) =>
      new Promise<{ error: NodeJS.ErrnoException | null; found: unknown }>((done) =>
        lookup(hostname, options, (error, found) => done({ error, found })),
      );
    const refusing = callbackLookup({ resolve, refuseLocal: true });
    const mixed = await look(refusing, 'mixed.example.com', { all: true });
    expect(mixed.error?.message).toMatch(/host mixed\.example\.com resolves to 10\.0\.0\.7, a local address.*--callback-host/);
    expect(await look(refusing, 'public.example.com', { family: 4 })).toEqual({ error: null, found: '8.8.8.8' });
    expect((await look(refusing, 'public.example.com', { all: true })).found).toEqual([
      { address: '8.8.8.8', family: 4 },
      { address: '2001:db8::1', family: 6 },
    ]);
    expect((await look(refusing, 'missing.example.com', { all: true })).error?.code).toBe('ENOTFOUND');
    // With a list the operator vouches for the names in it: not checked.
    expect((await look(callbackLookup({ resolve, refuseLocal: false }), 'mixed.example.com', { family: 4 })).found).toBe('8.8.8.8');
  });

  it('does not call back a name that resolves to a local address, and calls it when the list names it', async () => {
    const receiver = await startReceiver();
    const everyTask = await startReceiver();
    receivers.push(receiver, everyTask);
    // hooks.test is the receiver's own address under a name: the server's resolver says 127.0.0.1.
    const resolve: HostResolver = async (hostname) => (hostname === 'hooks.test' ? [{ address: '127.0.0.1', family: 4 }] : []);
    const named = receiver.url.replace('127.0.0.1', 'hooks.test');
    const open = await service({
      webhooks: { urls: [everyTask.url], secret: SECRET, scanIntervalMs: SCAN_MS },
      webhookSeams: { timers: manualTimers(), resolve },
    });
    // Taken (a name is not resolved when the task is taken), then refused at delivery.
    const taken = await open.call('/orchestrate', {
      method: 'POST',
      json: orchestrateBody('named', { metadata: { callback_url: named } }),
    });
    expect(taken.status).toBe(200);
    const hooks = open.server.webhooks;
    if (hooks === null) throw new Error('webhooks are off');
    await hooks.watcher.scan();
    await hooks.dispatcher.idle();
    // The operator's receiver (an address of the same kind) is called; the client's name is not.
    expect(everyTask.deliveries.length).toBeGreaterThan(0);
    expect(receiver.deliveries).toEqual([]);
    const waiting = await Promise.all((await hooks.outbox.names()).map((name) => hooks.outbox.read(name)));
    const failed = waiting.filter((entry) => entry?.url === named);
    expect(failed.length).toBeGreaterThan(0);
    for (const entry of failed) expect(entry?.lastError).toMatch(/host hooks\.test resolves to 127\.0\.0\.1, a local address/);
    // The receiver's own query (its token) is not in what the server kept of the failure.
    expect(JSON.stringify(failed.map((entry) => entry?.lastError))).not.toContain('source=test');
    await open.server.close();

    // The operator lists the name: the same entries are delivered, through the name's address.
    const listed = await service({
      project: open.project,
      webhooks: { urls: [everyTask.url], secret: SECRET, scanIntervalMs: SCAN_MS, callbackHosts: callbackHosts(['hooks.test']) },
      webhookSeams: { timers: manualTimers(), resolve },
    });
    const again = listed.server.webhooks;
    if (again === null) throw new Error('webhooks are off');
    await again.dispatcher.idle();
    expect(receiver.deliveries.length).toBe(failed.length);
    expect(new Set(receiver.deliveries.map((delivery) => delivery.headers.host))).toEqual(new Set([new URL(named).host]));
  });
});
