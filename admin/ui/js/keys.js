// Keys: list, issue (shown once), rotate, set expiry, revoke.
import {api} from './api.js';
import {confirmAction, dialog, el, failure, msg, query, showSecret, table,
        when} from './dom.js';

// Rotation and expiry exist where the key list shows expiry (roles and
// key lifecycle in the admin API); a 404 or 405 turns them off.
const lifecycle = {supported: null};

function stateOf(k) {
  if (k.state) return k.state;
  return k.revoked_at ? 'revoked' : 'active';
}

function unsupported(e) {
  return e.status === 404 || e.status === 405 ||
    (e.status === 400 && e.code === 'invalid_field');
}

async function issue(form, done) {
  const body = {team: form.elements.team.value};
  const name = form.elements.name.value.trim();
  if (name) body.name = name;
  let res;
  try {
    res = await api('POST', '/admin/v1/keys', body);
  } catch (e) {
    done(failure('Key not issued', e));
    return;
  }
  await showSecret('New key ' + res.id, 'This is the only time the key ' +
                   'is shown. Copy it now and keep it safe.', res.key);
  done(msg('ok', 'Key ' + res.id + ' issued for ' + res.team + '.'));
}

async function rotate(k, done) {
  const grace = el('select', {name: 'grace', id: 'grace'},
    [['1h', '1 hour'], ['24h', '24 hours'], ['7d', '7 days']].map(
      ([v, t]) => el('option', {value: v, selected: v === '24h'}, t)));
  const ok = await dialog('Rotate key ' + k.id, [
    el('p', {}, 'A new key replaces this one; the old key keeps working ' +
       'for the grace period, then stops.'),
    el('label', {}, 'Grace period ', grace)], [
    {label: 'Cancel', value: false, cls: 'secondary'},
    {label: 'Rotate', value: true}]);
  if (!ok) return;
  let res;
  try {
    res = await api('POST', '/admin/v1/keys/' + encodeURIComponent(k.id) +
                    '/rotate', {grace: grace.value});
  } catch (e) {
    if (unsupported(e)) {
      lifecycle.supported = false;
      done(msg('info', 'This gateway does not rotate keys yet.'));
    } else {
      done(failure('Key not rotated', e));
    }
    return;
  }
  await showSecret('New key ' + (res.id || ''), 'The replacement of ' +
                   k.id + ', shown this once. Copy it now.', res.key);
  done(msg('ok', 'Key ' + k.id + ' rotated; it stops after ' +
           grace.value + '.'));
}

async function expiry(k, done) {
  const input = el('input', {name: 'expires', id: 'expires', required:
                             true, placeholder: '30d or 2027-03-31'});
  const ok = await dialog('Expiry of key ' + k.id, [
    el('p', {}, 'A duration from now (30d, 12h) or a date (UTC).'),
    el('label', {}, 'Expires ', input)], [
    {label: 'Cancel', value: false, cls: 'secondary'},
    {label: 'Set expiry', value: true}]);
  if (!ok || !input.value.trim()) return;
  try {
    await api('PATCH', '/admin/v1/keys/' + encodeURIComponent(k.id),
              {expires: input.value.trim()});
    done(msg('ok', 'Expiry of ' + k.id + ' set.'));
  } catch (e) {
    if (unsupported(e)) {
      lifecycle.supported = false;
      done(msg('info', 'This gateway does not set key expiry yet.'));
    } else {
      done(failure('Expiry not set', e));
    }
  }
}

async function revoke(k, done) {
  if (!await confirmAction('Revoke key ' + k.id, 'Key ' + k.id +
      (k.name ? ' (' + k.name + ')' : '') + ' of team ' + k.team +
      ' stops working at once. This can not be undone.', 'Revoke')) return;
  try {
    await api('DELETE', '/admin/v1/keys/' + encodeURIComponent(k.id));
    done(msg('ok', 'Key ' + k.id + ' revoked.'));
  } catch (e) {
    done(failure('Key not revoked', e));
  }
}

function actions(ctx, k, refresh) {
  if (!ctx.canKeys || !ctx.sees(k.team) || stateOf(k) === 'revoked') {
    return '';
  }
  const b = (label, fn, cls = 'secondary') => el('button', {type: 'button',
    class: cls, 'data-action': label.toLowerCase().replace(/ /g, '-'),
    'data-key': k.id, onclick: () => fn(k, refresh)}, label);
  return [lifecycle.supported ? b('Rotate', rotate) : null,
          lifecycle.supported ? b('Expiry', expiry) : null,
          b('Revoke', revoke, 'danger')];
}

export async function render(ctx) {
  const {root} = ctx;
  const teams = ((await api('GET', '/admin/v1/teams')).data || [])
    .map(t => t.name).filter(ctx.sees);
  const note = el('div', {id: 'note'});
  const list = el('div');
  const filter = el('select', {name: 'team', id: 'key-team-filter'},
    el('option', {value: ''}, 'All teams'),
    teams.map(t => el('option', {value: t}, t)));
  const showRevoked = el('input', {type: 'checkbox', id: 'show-revoked'});
  const refresh = async message => {
    const res = await api('GET', '/admin/v1/keys' +
                          query({team: filter.value}));
    const rows = (res.data || []).filter(k => ctx.sees(k.team));
    if (rows.length && lifecycle.supported === null) {
      lifecycle.supported = 'expires_at' in rows[0];
    }
    const shown = showRevoked.checked ? rows :
      rows.filter(k => stateOf(k) !== 'revoked');
    const cols = [
      {label: 'ID', cls: 'id', value: k => k.id},
      {label: 'Name', value: k => k.name || ''},
      {label: 'Team', value: k => k.team},
      {label: 'Created', value: k => when(k.created_at)},
      {label: 'Expires', value: k => when(k.expires_at)},
      {label: 'Last used', value: k => when(k.last_used_at)},
      {label: 'State', value: k => el('span', {class: 'state-' + stateOf(k)},
        stateOf(k) + (k.rotating_until ? ' (rotating until ' +
                      when(k.rotating_until) + ')' : ''))},
    ];
    if (ctx.canKeys) {
      cols.push({label: '', cls: 'actions',
                 value: k => actions(ctx, k, refresh)});
    }
    // The message and the list it speaks of change together.
    note.replaceChildren(...(message ? [message] : []));
    list.replaceChildren(table(cols, shown, {empty: 'No keys.', cls:
                                             'keys'}));
  };
  filter.addEventListener('change', () => refresh());
  showRevoked.addEventListener('change', () => refresh());
  root.append(note);
  if (ctx.canKeys && teams.length) {
    const form = el('form', {class: 'inline', id: 'key-form'},
      el('label', {}, 'Team', el('select', {name: 'team'},
        teams.map(t => el('option', {value: t}, t)))),
      el('label', {}, 'Name (optional)', el('input', {name: 'name',
        pattern: '[A-Za-z0-9._\\-]{1,64}', placeholder: 'ci-bot'})),
      el('button', {type: 'submit'}, 'Issue key'));
    form.addEventListener('submit', ev => {
      ev.preventDefault();
      issue(form, refresh);
    });
    root.append(el('h2', {}, 'Issue a key'), form);
  }
  root.append(el('h2', {}, 'Keys'),
    el('div', {class: 'toolbar'}, el('label', {}, 'Team', filter),
       el('label', {}, el('span', {}, 'Revoked keys'), showRevoked)),
    list);
  await refresh();
}
