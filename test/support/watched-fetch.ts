/** A `fetch` for an SDK client that tells the test when the client starts reading an answer. */
export interface WatchedFetch {
  /** Hand this to the SDK client's `fetch` option. */
  readonly fetch: typeof fetch;
  /** Resolves once the client has read the first piece of an answer's body; the SDK has handled the headers by then. */
  readonly bodyRead: Promise<void>;
}

/**
 * Wraps the global `fetch` so a test can wait, without a clock, until the client is past
 * the response headers (the SDK's own timeout cleared, the request id taken) and inside
 * the body: the moment to let a stream's silence deadline expire.
 */
export function watchFetch(): WatchedFetch {
  let markRead = (): void => undefined;
  const bodyRead = new Promise<void>((resolve) => {
    markRead = resolve;
  });
  const watched: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const reader = response.body?.getReader();
    if (reader === undefined) return response;
    // highWaterMark 0: pull runs only when the client reads, never ahead of it.
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          controller.enqueue(value);
          markRead();
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 0 },
    );
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return { fetch: watched, bodyRead };
}
