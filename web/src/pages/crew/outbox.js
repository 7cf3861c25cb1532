// The crew app's outbox: actions taken (online or not) wait in IndexedDB, in the order they
// were taken, until the hub has them. Each carries the Idempotency-Key made when it was
// taken, so sending it again after a lost answer, a reload or a restart of the hub has one
// effect. Photos wait with their action as JPEG blobs.
//
// Not shared between tabs by design of the key: two tabs flushing at once send the same
// keys, and the hub answers the second with the stored result.

const DB = 'glassbrain-crew';
const STORE = 'outbox';

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'seq', autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function run(mode, fn) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result?.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

// item: {taskId, action, note, photos: [Blob], photoKeys: [string], key, client_at, user}
export const add = (item) => run('readwrite', (s) => s.add(item));
export const all = () => run('readonly', (s) => s.getAll());
export const remove = (seq) => run('readwrite', (s) => s.delete(seq));
export const update = (item) => run('readwrite', (s) => s.put(item));
export const clear = () => run('readwrite', (s) => s.clear());
