/** Reads a server-sent event stream from a fetch response, event by event, as a browser's EventSource parses it. */

/** One event as received. */
export interface ReceivedEvent {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

/** Yields each event of `response` until the stream ends (or the caller stops iterating, which cancels the body). */
export async function* readEvents(response: Response): AsyncGenerator<ReceivedEvent> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: ReceivedEvent = { id: undefined, event: undefined, data: '' };
        const data: string[] = [];
        for (const line of block.split('\n')) {
          const colon = line.indexOf(':');
          if (colon === 0) continue;
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') event.id = text;
          else if (field === 'event') event.event = text;
          else if (field === 'data') data.push(text);
        }
        event.data = data.join('\n');
        yield event;
        end = buffer.indexOf('\n\n');
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** The SSE ids of a ledger: `<seq>.<index among the entries of that seq>`, as the service numbers its events. */
export function eventIds(ledger: readonly { seq: number }[]): string[] {
  let seq = -1;
  let index = -1;
  return ledger.map((entry) => {
    index = entry.seq === seq ? index + 1 : 0;
    seq = entry.seq;
    return `${seq}.${index}`;
  });
}
