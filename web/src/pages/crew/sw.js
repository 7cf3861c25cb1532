// The crew app's service worker: the app itself from the cache (it opens without a
// network), the caller's session, tasks and the district map from the network when there is
// one and from the last answer when there is not. Writes are never cached: they wait in the
// page's outbox.
/* global SHELL_FILES, BUILD_ID */
const SHELL = `crew-shell-${BUILD_ID}`;
const DATA = 'crew-data';
const shell = new Set(SHELL_FILES);
const DATA_PATHS = ['/api/v1/session', '/api/v1/tasks', '/api/v1/public/map'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((c) => c.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith('crew-shell-') && name !== SHELL) await caches.delete(name);
    await self.clients.claim();
  })());
});

async function networkFirst(request) {
  const cache = await caches.open(DATA);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (e) {
    const cached = await cache.match(request);
    if (cached) return cached;
    throw e;
  }
}

async function shellFirst(request, path) {
  const cached = await caches.match(path, { cacheName: SHELL });
  return cached ?? fetch(request);
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && url.pathname.startsWith('/crew/')) {
    event.respondWith(networkFirstPage(request));
  } else if (shell.has(url.pathname)) {
    event.respondWith(shellFirst(request, url.pathname));
  } else if (DATA_PATHS.includes(url.pathname)) {
    event.respondWith(networkFirst(request));
  }
});

// The page from the network when it answers (a new build shows at once), else the cached one.
async function networkFirstPage(request) {
  try {
    return await fetch(request);
  } catch {
    return (await caches.match('/crew/', { cacheName: SHELL })) ?? Response.error();
  }
}
