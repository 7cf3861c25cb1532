// How times, ages and states read on the pages.

export const stateLabel = (s) => String(s ?? '').replace(/_/g, ' ');

// "5 min", "3 h 20 min", "2 d 4 h" since an RFC 3339 time.
export function age(since, now = Date.now()) {
  const s = Math.max(0, Math.round((now - Date.parse(since)) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${m % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function duration(seconds) {
  if (seconds == null) return '–';
  return age(new Date(0).toISOString(), seconds * 1000);
}

// A local date and time, e.g. "2026-11-24 18:15".
export function when(rfc3339) {
  if (!rfc3339) return '';
  const d = new Date(rfc3339);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// The value of an <input type="datetime-local"> as RFC 3339 UTC, or '' when empty.
export function fromLocalInput(value) {
  return value ? new Date(value).toISOString() : '';
}
