// Loads every page of one cursor-paged list (getAll) in a dedicated worker and answers with
// the items, so that a page busy drawing (a map in software WebGL holds its main thread for
// hundreds of milliseconds a frame) does not hold each page back before the next is asked.
import { getAll } from './api.js';

self.onmessage = async ({ data: { path } }) => {
  try {
    self.postMessage({ items: await getAll(path) });
  } catch (e) {
    self.postMessage({ error: { status: e.status ?? 0, message: e.message, body: e.body ?? null } });
  }
};
