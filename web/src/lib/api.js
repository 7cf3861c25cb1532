// The hub's API from the browser: JSON in and out, the session's CSRF token on every write,
// an Idempotency-Key on writes that must not happen twice, and the hub's error message.
//
// The CSRF token lives in memory only; GET /api/v1/session gives it back after a reload.

let csrfToken = '';
export function setCsrfToken(token) { csrfToken = token || ''; }

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

// A fresh key for one intended effect; make it when the user acts, not when it is sent, so
// a retry after a lost answer replays instead of repeating.
export function newIdempotencyKey() { return crypto.randomUUID(); }

// The hub's message in any of its error shapes: {"error": {"message"}} (REST) or
// [{"code", "description"}] (Open311).
function messageOf(status, body) {
  if (body && typeof body === 'object') {
    if (body.error?.message) return body.error.message;
    if (Array.isArray(body) && body[0]?.description) return body[0].description;
  }
  if (status === 429) return 'Too many requests; try again in a minute.';
  return `The hub answered ${status}.`;
}

// fetch with the session cookie; `body` is JSON unless it is FormData or a Blob.
// Resolves with the parsed JSON (or null for an empty answer); rejects with ApiError.
export async function request(method, path, { body, idempotencyKey, headers = {} } = {}) {
  const h = { Accept: 'application/json', ...headers };
  let payload = body;
  if (body !== undefined && !(body instanceof FormData) && !(body instanceof Blob)) {
    h['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (method !== 'GET' && csrfToken) h['X-CSRF-Token'] = csrfToken;
  if (idempotencyKey) h['Idempotency-Key'] = idempotencyKey;
  const res = await fetch(path, { method, headers: h, body: payload, credentials: 'same-origin' });
  const text = await res.text();
  let parsed = null;
  if (text) {
    try { parsed = JSON.parse(text); } catch { parsed = text; }
  }
  if (!res.ok) throw new ApiError(res.status, messageOf(res.status, parsed), parsed);
  return parsed;
}

export const get = (path) => request('GET', path);

// Every item of a cursor-paged collection ({items, next_cursor}), page after page.
export async function getAll(path, limit = 1000) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

// getAll in a worker of its own (lib/list-worker.js): the same items, or the same ApiError,
// with the pages fetched and parsed off the page's main thread. The worker starts at once
// and asks for the first page when `when` resolves, so that its start-up overlaps the wait.
export function getAllInWorker(path, when = Promise.resolve()) {
  const worker = new Worker('/assets/list-worker.js');
  return new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => {
      if (data.error) reject(new ApiError(data.error.status, data.error.message, data.error.body));
      else resolve(data.items);
    };
    worker.onerror = (e) => reject(new Error(`${path} could not be loaded: ${e.message || 'its worker did not start'}`));
    when.then(() => worker.postMessage({ path }), reject);
  }).finally(() => worker.terminate());
}

// A query string from an object, leaving out empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v != null) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
