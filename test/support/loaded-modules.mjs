/**
 * A preload (`node --import`) that writes every module the process loaded to the file named
 * by AGENT_TEAM_LOADED_MODULES when it exits: `esm` (URLs, from a load hook), `cjs` (paths in
 * the require cache), and `esmAtFirstRequest` / `cjsAtFirstRequest` (both lists once the first
 * HTTP request was on the wire, or null). Tests use it to check what start-up leaves unloaded.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const file = process.env['AGENT_TEAM_LOADED_MODULES'];
const esm = [];
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => esm.push(url));
port1.unref();
register('./loaded-modules-hooks.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });
const require = createRequire(import.meta.url);
let esmAtFirstRequest = null;
let cjsAtFirstRequest = null;
const onFirstRequest = () => {
  unsubscribe('undici:request:bodySent', onFirstRequest);
  esmAtFirstRequest = [...esm];
  cjsAtFirstRequest = Object.keys(require.cache);
};
subscribe('undici:request:bodySent', onFirstRequest);
process.on('exit', () => {
  if (file !== undefined)
    writeFileSync(file, JSON.stringify({ esm, cjs: Object.keys(require.cache), esmAtFirstRequest, cjsAtFirstRequest }));
});
