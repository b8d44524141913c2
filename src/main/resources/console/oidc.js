// OIDC sign-in: the authorization-code flow with PKCE (S256) run by this page. The service says where to sign in
// (oidc.json, from the issuer's discovery document); the state and code verifier stay in this tab's session storage
// until the identity provider sends the browser back here, and the code is exchanged at its token endpoint for the
// access token the API accepts, kept like a pasted token (with its expiry).

import { signIn } from './api.js';

const FLOW_KEY = 'onboarder.console.oidc';

/** The service's OIDC settings for the console, or null when it has none (or cannot read its provider now). */
export async function oidcConfig() {
  try {
    const response = await fetch('oidc.json', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    const config = response.ok ? await response.json() : null;
    return config?.enabled ? config : null;
  } catch {
    return null; // the token form still works
  }
}

/** Where the identity provider sends the browser back: this page, without query or fragment. */
function redirectUri() {
  return new URL('./', location.href).href;
}

function base64url(bytes) {
  let text = '';
  for (const b of new Uint8Array(bytes)) {
    text += String.fromCharCode(b);
  }
  return btoa(text).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function randomText(bytes) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** Leaves for the identity provider's sign-in page; it comes back to this page with ?code and ?state. */
export async function startSignIn(config) {
  const state = randomText(24);
  const verifier = randomText(48);
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(FLOW_KEY, JSON.stringify({ state, verifier, hash: location.hash }));
  const url = new URL(config.authorizationEndpoint);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: config.clientId, redirect_uri: redirectUri(),
    scope: config.scopes, state, code_challenge: challenge, code_challenge_method: 'S256' })) {
    url.searchParams.set(k, v);
  }
  location.assign(url.href);
}

/** Seconds since the epoch of a JWT's exp claim, or null (not a JWT, or no such claim). */
function jwtExpiry(token) {
  try {
    const payload = token.split('.')[1].replaceAll('-', '+').replaceAll('_', '/');
    const exp = JSON.parse(atob(payload)).exp;
    return typeof exp === 'number' ? exp : null;
  } catch {
    return null;
  }
}

/**
 * Completes a sign-in the identity provider sent back here: false when this page load is not one; throws with a
 * message for the operator when the answer is an error, does not match the sign-in this tab started, or the code
 * is not exchanged. The code and state leave the address bar either way.
 */
export async function finishSignIn(config) {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) {
    return false;
  }
  const saved = JSON.parse(sessionStorage.getItem(FLOW_KEY) || 'null');
  sessionStorage.removeItem(FLOW_KEY);
  history.replaceState(null, '', redirectUri() + (saved?.hash || '#/jobs'));
  if (params.has('error')) {
    throw new Error(`The identity provider did not sign you in: ${params.get('error_description') || params.get('error')}`);
  }
  if (!saved || params.get('state') !== saved.state) {
    throw new Error('That sign-in answer does not match a sign-in started in this tab: sign in again.');
  }
  if (!config) {
    throw new Error('OIDC sign-in is not available now: sign in with a token.');
  }
  const body = new URLSearchParams({ grant_type: 'authorization_code', code: params.get('code'),
    redirect_uri: redirectUri(), client_id: config.clientId, code_verifier: saved.verifier });
  const response = await fetch(config.tokenEndpoint, { method: 'POST', body, headers: { Accept: 'application/json' },
    cache: 'no-store', credentials: 'omit' });
  const tokens = response.ok ? await response.json() : null;
  if (typeof tokens?.access_token !== 'string') {
    throw new Error(`The identity provider's token endpoint answered HTTP ${response.status} without an access token.`);
  }
  const exp = jwtExpiry(tokens.access_token);
  const expiresAt = exp !== null ? exp * 1000
    : typeof tokens.expires_in === 'number' ? Date.now() + tokens.expires_in * 1000 : null;
  signIn(tokens.access_token, expiresAt);
  return true;
}
