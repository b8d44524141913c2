// The console's shell: sign-in (a bearer token kept in session storage, pasted or from OIDC sign-in), hash routing
// between the pages, and cleanup of a page's streams and timers when another is opened.

import { token, expiresAt, signIn, signOut, whenUnauthorized, get } from './api.js';
import { oidcConfig, startSignIn, finishSignIn } from './oidc.js';
import { fill, errorBox } from './dom.js';
import { jobsPage } from './jobs.js';
import { jobPage } from './job.js';
import { fleetsPage, fleetPage } from './fleets.js';
import { deliveriesPage } from './deliveries.js';

const routes = [
  [/^#\/jobs\/([A-Za-z0-9-]{1,64})$/, jobPage, 'jobs'],
  [/^#\/fleets\/([^/]{1,200})$/, fleetPage, 'fleets'],
  [/^#\/fleets$/, fleetsPage, 'fleets'],
  [/^#\/deliveries$/, deliveriesPage, 'deliveries'],
  [/^#\/jobs$/, jobsPage, 'jobs'],
];

const view = document.getElementById('view');
const signInCard = document.getElementById('sign-in');
const nav = document.getElementById('nav');
const signOutButton = document.getElementById('sign-out');
let current = null; // the open page's AbortController: aborting it stops its streams and timers
let expiryTimer = null; // signs out when a token with a known expiry runs out

function showSignIn(message) {
  current?.abort();
  current = null;
  fill(view);
  nav.hidden = true;
  signOutButton.hidden = true;
  signInCard.hidden = false;
  const error = document.getElementById('sign-in-error');
  error.hidden = !message;
  error.textContent = message || '';
  document.getElementById('token').focus();
}

function route() {
  clearTimeout(expiryTimer);
  const expired = expiresAt() !== null && expiresAt() <= Date.now();
  if (!token()) {
    showSignIn(expired ? 'Your sign-in expired: sign in again.' : undefined);
    return;
  }
  const expires = expiresAt();
  if (expires !== null) {
    // Timers run at most ~24.8 days ahead; a token outliving that is checked again on the next page.
    expiryTimer = setTimeout(() => {
      signOut();
      showSignIn('Your sign-in expired: sign in again.');
    }, Math.min(expires - Date.now(), 2 ** 31 - 1));
  }
  signInCard.hidden = true;
  nav.hidden = false;
  signOutButton.hidden = false;
  const hash = location.hash || '#/jobs';
  const found = routes.find(([pattern]) => pattern.test(hash));
  if (!found) {
    location.replace('#/jobs');
    return;
  }
  const [pattern, page, section] = found;
  const params = pattern.exec(hash).slice(1).map(decodeURIComponent);
  for (const a of nav.querySelectorAll('a')) {
    a.classList.toggle('active', a.dataset.section === section);
  }
  current?.abort();
  current = new AbortController();
  const signal = current.signal;
  fill(view);
  view.dataset.page = section;
  try {
    page(view, params, signal);
  } catch (error) {
    fill(view, errorBox(error));
  }
}

document.getElementById('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = document.getElementById('token');
  signIn(input.value);
  try {
    await get('/v1/jobs?limit=1'); // checks the token before any page is shown
    input.value = '';
    route();
  } catch (error) {
    signOut();
    showSignIn(error.status === 401 ? 'That token was not accepted.' : error.message);
  }
});

signOutButton.addEventListener('click', () => {
  signOut();
  showSignIn();
});

whenUnauthorized(() => {
  signOut();
  showSignIn('Your token was refused (expired or revoked): sign in again.');
});

window.addEventListener('hashchange', route);

/** Offers OIDC sign-in when the service has it, completes one the identity provider sent back, then routes. */
async function start() {
  const config = await oidcConfig();
  if (config) {
    const button = document.getElementById('oidc-sign-in');
    button.textContent = `Sign in with ${new URL(config.issuer).host}`;
    button.addEventListener('click', () => startSignIn(config).catch((error) => showSignIn(error.message)));
    document.getElementById('oidc').hidden = false;
  }
  try {
    await finishSignIn(config);
  } catch (error) {
    signOut();
    showSignIn(error.message);
    return;
  }
  route();
}

start();
