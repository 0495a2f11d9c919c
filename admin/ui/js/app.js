// The console's shell: login, navigation, roles, and the page router.
import {currentSession, login, logout, onSessionEnded, whoami} from
  './api.js';
import {clear, el, failure} from './dom.js';

const PAGES = {
  overview: {title: 'Overview', load: () => import('./overview.js')},
  teams: {title: 'Teams', load: () => import('./teams.js')},
  keys: {title: 'Keys', load: () => import('./keys.js')},
  spend: {title: 'Spend', load: () => import('./spend.js')},
  requests: {title: 'Requests', load: () => import('./requests.js')},
  audit: {title: 'Audit', load: () => import('./audit.js')},
  reports: {title: 'Reports', load: () => import('./reports.js')},
};
const ALL = Object.keys(PAGES);

// What each role sees and may do. The admin API enforces it; the console
// only leaves out what would be refused.
const ROLES = {
  owner: {pages: ALL, teams: true, keys: true, verify: true},
  admin: {pages: ALL, teams: true, keys: true, verify: true},
  'team-admin': {pages: ['overview', 'teams', 'keys', 'spend', 'requests'],
                 teams: false, keys: true, verify: false},
  auditor: {pages: ALL, teams: false, keys: false, verify: true},
};

const state = {session: null, me: null, seq: 0, routed: false};
const $ = id => document.getElementById(id);

function role() {
  return ROLES[state.me?.role] || ROLES.auditor;
}

// What a page gets: where to draw, and who is looking.
function context(root) {
  const me = state.me;
  return {
    root,
    me,
    chart: !!state.session?.chart,
    // May change teams (create, limits) / keys (issue, rotate, revoke).
    canTeams: role().teams,
    canKeys: role().keys,
    canVerify: role().verify,
    // A team admin sees its teams only.
    sees: team => !Array.isArray(me.teams) || me.teams.includes(team),
  };
}

function showLogin(note, kind = 'info') {
  state.session = null;
  state.me = null;
  $('top').hidden = true;
  clear($('page')).hidden = true;
  document.body.dataset.ready = 'login';
  const err = $('login-error');
  err.hidden = !note;
  err.textContent = note || '';
  err.className = 'msg ' + kind;
  $('login').hidden = false;
  $('token').focus();
}

async function enter(session) {
  state.session = session;
  state.me = await whoami();
  $('login').hidden = true;
  $('top').hidden = false;
  $('who').textContent = state.me.name + ' \u00b7 ' + state.me.role;
  for (const a of $('nav').querySelectorAll('a')) {
    a.hidden = !role().pages.includes(a.dataset.page);
  }
  if (!state.routed) {
    window.addEventListener('hashchange', route);
    state.routed = true;
  }
  await route();
}

async function route() {
  if (!state.me) return;
  let name = location.hash.replace(/^#\/?/, '');
  if (!role().pages.includes(name)) name = 'overview';
  const seq = ++state.seq;
  for (const a of $('nav').querySelectorAll('a')) {
    if (a.dataset.page === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const root = clear($('page'));
  root.hidden = false;
  document.body.dataset.ready = '';
  document.title = PAGES[name].title + ' \u00b7 eugate console';
  root.append(el('h1', {}, PAGES[name].title));
  try {
    const mod = await PAGES[name].load();
    if (seq !== state.seq) return;
    await mod.render(context(root));
  } catch (e) {
    if (seq !== state.seq || e.status === 401) return;
    root.append(failure('This page could not be loaded', e));
  }
  if (seq === state.seq) document.body.dataset.ready = name;
}

async function submitLogin(ev) {
  ev.preventDefault();
  const input = $('token');
  const token = input.value;
  input.value = '';	// the page keeps no copy
  try {
    await enter(await login(token));
  } catch (e) {
    showLogin(e.status === 401 ? 'Wrong admin token.' :
              'Login failed: ' + e.message, 'error');
  }
}

async function start() {
  $('login').addEventListener('submit', submitLogin);
  $('logout').addEventListener('click', async () => {
    await logout();
    showLogin('Logged out.');
  });
  onSessionEnded(() => {
    if (state.session) showLogin('Your session ended; log in again.');
  });
  const s = await currentSession().catch(() => null);
  if (s?.active) {
    try {
      await enter(s);
      return;
    } catch (e) {
      // The session ended meanwhile: log in again.
    }
  }
  showLogin();
}

start();
