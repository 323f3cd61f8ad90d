/** Load hook of loaded-modules.mjs: posts each module URL to the main thread. */
let port;

/** Receives the port to post to. */
export function initialize(data) {
  port = data.port;
}

/** Reports the URL, then loads as usual. */
export async function load(url, context, nextLoad) {
  port.postMessage(url);
  return nextLoad(url, context);
}
