// The admin API from the console. The session is an HttpOnly cookie that
// this code never sees; calls that change anything carry the session's
// CSRF token in X-CSRF-Token. The admin token is sent once, at login, in
// an Authorization header, and is not kept.

let csrf = null;
let onEnded = null;

export class ApiError extends Error {
  constructor(status, body, text) {
    super(body?.message || (text ? text.slice(0, 200) : 'HTTP ' + status));
    this.status = status;
    this.code = body?.code || null;
  }
}

// Called when a call finds the session gone (401).
export function onSessionEnded(fn) {
  onEnded = fn;
}

async function parse(r) {
  const text = await r.text();
  try {
    return [text ? JSON.parse(text) : null, text];
  } catch (e) {
    return [null, text];
  }
}

// A call of the admin API: JSON in, JSON out (or text with raw = true).
export async function api(method, path, body, raw = false) {
  const headers = {};
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (raw && r.ok) return r.text();
  const [data, text] = await parse(r);
  if (r.status === 401 && onEnded) onEnded();
  if (!r.ok) throw new ApiError(r.status, data, text);
  return data;
}

// The session, if this browser has one: {active, csrf, chart, ...}.
export async function currentSession() {
  const r = await fetch('/ui/session', {credentials: 'same-origin',
                                        cache: 'no-store'});
  const [data] = await parse(r);
  csrf = data?.active ? data.csrf : null;
  return data;
}

// Exchanges the admin token for a session.
export async function login(token) {
  const r = await fetch('/ui/session', {
    method: 'POST', credentials: 'same-origin', cache: 'no-store',
    headers: {'Authorization': 'Bearer ' + token},
  });
  const [data, text] = await parse(r);
  if (!r.ok) throw new ApiError(r.status, data, text);
  csrf = data.csrf;
  return data;
}

export async function logout() {
  try {
    await fetch('/ui/session', {method: 'DELETE', credentials: 'same-origin',
                                headers: {'X-CSRF-Token': csrf}});
  } finally {
    csrf = null;
  }
}

// Who is logged in: GET /admin/v1/me, or, where the gateway has no roles
// (404), the one admin token, which may do everything.
export async function whoami() {
  try {
    const me = await api('GET', '/admin/v1/me');
    // Only a team admin is bound to teams; the others see every team.
    const role = me.role || 'owner';
    return {name: me.name || 'admin', role,
            teams: role === 'team-admin' && Array.isArray(me.teams) ?
              me.teams : null};
  } catch (e) {
    if (e.status === 404) return {name: 'admin token', role: 'owner',
                                  teams: null};
    throw e;
  }
}

// A GET that answers null where the gateway lacks the route (404, 405).
export async function optional(path) {
  try {
    return await api('GET', path);
  } catch (e) {
    if (e.status === 404 || e.status === 405) return null;
    throw e;
  }
}
