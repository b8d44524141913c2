// The console's shell: sign-in (a bearer token kept in session storage), hash routing between the pages, and
// cleanup of a page's streams and timers when another is opened.

import { token, signIn, signOut, whenUnauthorized, get } from './api.js';
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
  if (!token()) {
    showSignIn();
    return;
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
route();
