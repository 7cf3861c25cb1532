// The hub's live stream (GET /api/v1/stream, Server-Sent Events) read with fetch, so that
// every event type arrives through one callback and a reconnect, also after a hub restart
// or a page that was asleep, resumes from the last event seen (Last-Event-ID): nothing is
// missed, and nothing is delivered twice.

// Calls onEvent({id, type, data}) for each message, in order; onState('live' | 'reconnecting')
// when the connection changes. Returns a function that stops the stream.
export function openStream(path, { onEvent, onState = () => {}, lastEventId = '' }) {
  let last = lastEventId;
  let stopped = false;
  let retryMs = 3000;
  let controller = null;

  async function connectOnce() {
    controller = new AbortController();
    const headers = { Accept: 'text/event-stream' };
    if (last) headers['Last-Event-ID'] = last;
    const res = await fetch(path, { headers, credentials: 'same-origin', signal: controller.signal, cache: 'no-store' });
    if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
    onState('live');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + (buffer[end] === '\r' ? 4 : 2));
        dispatch(block);
      }
    }
  }

  function dispatch(block) {
    let id = null, type = 'message';
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (!line || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const key = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (key === 'id') id = value;
      else if (key === 'event') type = value;
      else if (key === 'data') data.push(value);
      else if (key === 'retry' && /^\d+$/.test(value)) retryMs = Number(value);
    }
    if (id !== null) last = id;
    if (!data.length) return;
    let parsed;
    try { parsed = JSON.parse(data.join('\n')); } catch { return; }
    onEvent({ id, type, data: parsed });
  }

  (async () => {
    while (!stopped) {
      try {
        await connectOnce();
      } catch {
        // the hub is away or restarting: wait and resume from `last`
      }
      if (stopped) break;
      onState('reconnecting');
      await new Promise((r) => setTimeout(r, retryMs));
    }
  })();

  return () => {
    stopped = true;
    controller?.abort();
  };
}
