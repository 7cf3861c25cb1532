// The tokens of the requests this browser filed: only the filing browser may answer
// "Was it fixed?" (the hub checks the token). Kept in localStorage, nothing else about
// the visitor is.
const KEY = 'glassbrain.requests';

function all() {
  try { return JSON.parse(localStorage.getItem(KEY) ?? '{}') ?? {}; } catch { return {}; }
}

export function rememberToken(serviceRequestId, token) {
  if (!token) return;
  localStorage.setItem(KEY, JSON.stringify({ ...all(), [serviceRequestId]: token }));
}

export function tokenFor(serviceRequestId) {
  return all()[serviceRequestId] ?? null;
}
