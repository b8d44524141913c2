// The service's HTTP API as the console uses it: the bearer token (session storage), JSON calls, problem+json errors,
// and report downloads. Every call is same-origin and carries the token; nothing else is ever stored.

const TOKEN_KEY = 'onboarder.console.token';
const EXPIRES_KEY = 'onboarder.console.expires';

/** The token signed in with, or null (none, or past its expiry). */
export function token() {
  const expires = expiresAt();
  if (expires !== null && expires <= Date.now()) {
    signOut();
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/** When the token expires (milliseconds since the epoch), or null when not known (a pasted token). */
export function expiresAt() {
  const value = sessionStorage.getItem(EXPIRES_KEY);
  return value === null ? null : Number(value);
}

export function signIn(value, expires = null) {
  sessionStorage.setItem(TOKEN_KEY, value.trim());
  if (expires === null) {
    sessionStorage.removeItem(EXPIRES_KEY);
  } else {
    sessionStorage.setItem(EXPIRES_KEY, String(expires));
  }
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(EXPIRES_KEY);
}

/** An answer that was not 2xx: the problem's title and detail when the service sent one. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** Called with the error of every 401, so the page can ask for a token again. */
let onUnauthorized = () => {};
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

export function headers(extra = {}) {
  const h = { ...extra };
  const t = token();
  if (t) {
    h.Authorization = `Bearer ${t}`;
  }
  return h;
}

async function failure(response) {
  let problem = null;
  try {
    problem = await response.json();
  } catch {
    // not JSON: the status says enough
  }
  const error = new ApiError(response.status, problem);
  if (response.status === 401) {
    onUnauthorized(error);
  }
  return error;
}

/** A JSON answer of GET (or of the method given); throws ApiError otherwise. */
export async function api(path, { method = 'GET', body, signal } = {}) {
  const init = { method, signal, headers: headers({ Accept: 'application/json' }), cache: 'no-store' };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(path, init);
  if (!response.ok) {
    throw await failure(response);
  }
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

/** GET path as JSON, the body only. */
export async function get(path, signal) {
  return (await api(path, { signal })).body;
}

/** A query string of the values that are set. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') {
      q.set(k, String(v));
    }
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * Downloads path (sent with the token and the Accept given) as a file: the service streams the report, the browser
 * keeps it as a Blob and saves it under the name of Content-Disposition.
 */
export async function download(path, accept, fallbackName) {
  const response = await fetch(path, { headers: headers({ Accept: accept }), cache: 'no-store' });
  if (!response.ok) {
    throw await failure(response);
  }
  const blob = await response.blob();
  const disposition = response.headers.get('Content-Disposition') || '';
  const named = /filename="([^"]+)"/.exec(disposition);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = named ? named[1] : fallbackName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return blob.size;
}
