/**
 * Which hosts a task's `metadata.callback_url` may name. A callback is a request the server makes on
 * a client's word, so it must not become a way to reach what only the server can reach (a cloud's
 * metadata address, an admin port on loopback, the office network). Without a list of allowed hosts
 * a callback may name any host but loopback, private, link-local and other local addresses written
 * as such (and `localhost`); with one (`--callback-host`, AGENT_TEAM_WEBHOOK_CALLBACK_HOSTS) it must
 * name a host of the list. Without a list, a name is resolved when its callback is delivered and
 * refused when one of its addresses is local; the connection goes to the address checked, so a name
 * that resolves elsewhere the next time (DNS rebinding) cannot slip past. With a list the operator
 * vouches for its hosts, and they are not checked.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { UsageError } from '../errors/index.js';

/** The hosts a task's callback may name, comma separated (added to the `--callback-host` flags). */
export const CALLBACK_HOSTS_ENV = 'AGENT_TEAM_WEBHOOK_CALLBACK_HOSTS';

/** One entry of the list: a host name, `*.domain` (any name under it), or an IP address; with `:port`, that port only. */
interface HostPattern {
  readonly host: string;
  readonly wildcard: boolean;
  readonly port: string | undefined;
}

// Addresses a client must not make the server call unless the operator allows them by name.
const LOCAL = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  LOCAL.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  LOCAL.addSubnet(network, prefix, 'ipv6');
}

/** The host of a URL without the brackets of an IPv6 address, lower case. */
function bareHost(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

/** True for `localhost` and its subdomains, and for an IP address in a loopback, private, link-local or reserved range. */
export function isLocalHost(hostname: string): boolean {
  const host = bareHost(hostname);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const family = isIP(host);
  if (family === 4) return LOCAL.check(host, 'ipv4');
  if (family === 6) {
    // An IPv4 address written as IPv6 (::ffff:10.0.0.1) is that IPv4 address.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host)?.[1];
    return mapped !== undefined ? LOCAL.check(mapped, 'ipv4') : LOCAL.check(host, 'ipv6');
  }
  return false;
}

function parsePattern(entry: string): HostPattern | undefined {
  const text = entry.trim().toLowerCase();
  if (text === '') return undefined;
  const wildcard = text.startsWith('*.');
  let url: URL;
  try {
    url = new URL(`http://${wildcard ? text.slice(2) : text}`);
  } catch {
    return undefined;
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') return undefined;
  const port = /:(\d+)$/.exec(text)?.[1];
  return { host: bareHost(url.hostname), wildcard, port };
}

/** The callback rule of a server: its list of allowed hosts (empty: any host that is not local). */
export interface CallbackHosts {
  readonly patterns: readonly string[];
}

/** The list from `entries`; a UsageError naming the entry and the form when one is not a host pattern. */
export function callbackHosts(entries: readonly string[]): CallbackHosts {
  const patterns = [...new Set(entries.map((entry) => entry.trim()).filter((entry) => entry !== ''))];
  for (const pattern of patterns) {
    if (parsePattern(pattern) === undefined) {
      throw new UsageError(
        `A callback host is invalid: "${pattern}". Expected a host name, *.domain or an IP address, with an optional :port ` +
          `(e.g. hooks.example.com, *.example.com, 10.0.0.5:8443). Fix --callback-host or ${CALLBACK_HOSTS_ENV}.`,
      );
    }
  }
  return { patterns };
}

/** True when `pattern` covers the URL's host and port. */
function covers(pattern: HostPattern, url: URL): boolean {
  const host = bareHost(url.hostname);
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  if (pattern.port !== undefined && pattern.port !== port) return false;
  return pattern.wildcard ? host.endsWith(`.${pattern.host}`) : host === pattern.host;
}

/**
 * Why a callback to `url` is refused on this server, or null when it may be called. The URL itself
 * is not quoted back: it may hold the receiver's own token in its query.
 */
export function callbackHostProblem(url: string, rule: CallbackHosts): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'expected an absolute http:// or https:// URL';
  }
  const host = bareHost(parsed.hostname);
  if (rule.patterns.length > 0) {
    const allowed = rule.patterns.some((entry) => {
      const pattern = parsePattern(entry);
      return pattern !== undefined && covers(pattern, parsed);
    });
    return allowed
      ? null
      : `host ${host} is not among the hosts this server calls back (--callback-host, ${CALLBACK_HOSTS_ENV}: ${rule.patterns.join(', ')})`;
  }
  if (isLocalHost(host)) {
    return `host ${host} is a local address, which this server does not call on a client's word; its operator can allow it with --callback-host or ${CALLBACK_HOSTS_ENV}`;
  }
  return null;
}

/** Resolves a host name to its addresses (the system's resolver; tests give their own). */
export type HostResolver = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

/** The system's resolver, as connections use it. */
export const systemResolver: HostResolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * A connection's lookup for a task's callback: the host's addresses from `resolve`; with `refuseLocal`
 * (a server without a list) the connection fails, saying why, when one of them is local.
 */
export function callbackLookup(input: { resolve?: HostResolver | undefined; refuseLocal: boolean }): LookupFunction {
  const resolve = input.resolve ?? systemResolver;
  return (hostname, options, callback) => {
    // Called for names only: a connection to an address written as such does not look it up.
    resolve(hostname).then(
      (addresses) => {
        const usable = addresses.filter((entry) => options.family === undefined || options.family === 0 || entry.family === options.family);
        const local = input.refuseLocal ? usable.find((entry) => isLocalHost(entry.address)) : undefined;
        if (local !== undefined || usable.length === 0) {
          const reason =
            local === undefined
              ? `host ${hostname} has no address`
              : `host ${hostname} resolves to ${local.address}, a local address, which this server does not call on a client's word; its operator can allow it with --callback-host or ${CALLBACK_HOSTS_ENV}`;
          callback(Object.assign(new Error(reason), { code: local === undefined ? 'ENOTFOUND' : 'ECALLBACKLOCAL' }), '', 0);
          return;
        }
        if (options.all === true)
          callback(
            null,
            usable.map((entry) => ({ address: entry.address, family: entry.family })),
          );
        else callback(null, (usable[0] as { address: string }).address, (usable[0] as { family: number }).family);
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}
