// Staff sign-in shared by the desk, the crew app and admin: the form ("Name", "Password",
// "Sign in"), restoring the session after a reload, and signing out.
import { ApiError, get, request, setCsrfToken } from './api.js';
import { field, h } from './dom.js';

// The signed-in caller {name, role, csrf_token}, or null when signed out.
export async function currentSession() {
  try {
    const s = await get('/api/v1/session');
    setCsrfToken(s.csrf_token);
    return s;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

// A sign-in form; calls onSignedIn({name, role, csrf_token}) after a successful sign-in.
export function signInForm(onSignedIn, title = 'Sign in') {
  const name = h('input', { name: 'name', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'error', role: 'alert' });
  const button = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form', { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h2', { id: 'sign-in-title' }, title),
    field('Name', name), field('Password', password), button, error);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    button.disabled = true;
    try {
      const s = await request('POST', '/api/v1/session', { body: { name: name.value, password: password.value } });
      setCsrfToken(s.csrf_token);
      onSignedIn(s);
    } catch (e) {
      error.textContent = e.message;
      password.value = '';
      password.focus();
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

export async function signOut() {
  try {
    await request('DELETE', '/api/v1/session');
  } finally {
    setCsrfToken('');
  }
}

// "name (role)" and a "Sign out" button for a page's header; onSignedOut runs afterwards.
export function sessionBar(session, onSignedOut, ...links) {
  return h('div', { class: 'session-bar' }, ...links,
    h('span', { class: 'who' }, `${session.name} (${session.role.replace('_', ' ')})`),
    h('button', { type: 'button', class: 'secondary', onclick: async () => { await signOut(); onSignedOut(); } }, 'Sign out'));
}
