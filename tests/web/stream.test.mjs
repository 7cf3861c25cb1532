// The desk's live stream reader (web/src/lib/stream.js) against a real HTTP server that
// speaks Server-Sent Events the way the hub does: every message in order, any event type,
// and after the connection drops or the server restarts it resumes with Last-Event-ID, so
// nothing is missed and nothing is delivered twice.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { openStream } from '../../web/src/lib/stream.js';

// A server holding messages 1..n; a client resuming after id k gets k+1..n. `cut` ends each
// connection after that many messages.
function sseServer({ port = 0, cut = Infinity, log }) {
  const messages = [];
  const clients = new Set();
  const server = createServer((req, res) => {
    log.push(req.headers['last-event-id'] ?? '');
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.write('retry: 50\n\n');
    let sent = Number(req.headers['last-event-id'] ?? 0), count = 0;
    const pump = () => {
      while (sent < messages.length && count < cut) {
        const m = messages[sent++];
        count += 1;
        res.write(`id: ${m.id}\nevent: incident.${m.type}\ndata: ${JSON.stringify(m.data)}\n\n`);
      }
      if (count >= cut) res.end();
    };
    clients.add(pump);
    res.on('close', () => clients.delete(pump));
    pump();
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({
    port: server.address().port,
    add(type, data) { messages.push({ id: messages.length + 1, type, data }); for (const c of clients) c(); },
    messages,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  })));
}

const until = async (cond, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('messages arrive in order with their types, across dropped connections, once each', async () => {
  const log = [];
  const srv = await sseServer({ cut: 3, log });
  const got = [];
  const stop = openStream(`http://127.0.0.1:${srv.port}/`, { onEvent: (e) => got.push(e) });
  for (let i = 1; i <= 10; ++i) srv.add(i % 2 ? 'created' : 'transition', { id: i, note: `line one\nline two ${i}` });
  await until(() => got.length >= 10);
  await new Promise((r) => setTimeout(r, 200));  // nothing more arrives
  stop();
  await srv.close();
  assert.deepEqual(got.map((e) => e.data.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(got.slice(0, 2).map((e) => e.type), ['incident.created', 'incident.transition']);
  assert.equal(got[9].data.note, 'line one\nline two 10');
  assert.deepEqual(log.slice(0, 4), ['', '3', '6', '9'], 'each reconnect resumes after the last id seen');
});

test('after the server is gone and back on the same port, the stream resumes where it was', async () => {
  const log = [];
  let srv = await sseServer({ log });
  const port = srv.port;
  const got = [];
  const states = [];
  const stop = openStream(`http://127.0.0.1:${port}/`, { onEvent: (e) => got.push(e.data.id), onState: (s) => states.push(s) });
  srv.add('created', { id: 1 });
  srv.add('created', { id: 2 });
  await until(() => got.length === 2);
  const held = srv.messages;
  await srv.close();
  await until(() => states.at(-1) === 'reconnecting');
  srv = await sseServer({ port, log });
  for (const m of held) srv.messages.push(m);   // the store outlives the process
  srv.add('created', { id: 3 });
  await until(() => got.length === 3);
  stop();
  await srv.close();
  assert.deepEqual(got, [1, 2, 3]);
  assert.equal(log.at(-1), '2');
});
