// Requests: the newest requests (metadata only, never content), filtered.
import {api} from './api.js';
import {el, money, num, piiText, query, table, when} from './dom.js';

function statusClass(s) {
  return s >= 500 ? '5xx' : s >= 400 ? '4xx' : s >= 200 ? '2xx' : 'other';
}

export async function render(ctx) {
  const {root} = ctx;
  const teams = ((await api('GET', '/admin/v1/teams')).data || [])
    .map(t => t.name).filter(ctx.sees);
  const form = el('form', {class: 'toolbar', id: 'requests-form'},
    el('label', {}, 'Team', el('select', {name: 'team'},
      el('option', {value: ''}, 'All teams'),
      teams.map(t => el('option', {value: t}, t)))),
    el('label', {}, 'Model contains', el('input', {name: 'model',
                                                   size: 16})),
    el('label', {}, 'Status', el('select', {name: 'status'},
      ['', '2xx', '4xx', '5xx'].map(s => el('option', {value: s},
                                            s || 'any')))),
    el('label', {}, 'Last', el('select', {name: 'limit'},
      ['100', '500', '2000'].map(n => el('option', {value: n}, n)))),
    el('button', {type: 'submit'}, 'Show'));
  const list = el('div');
  const count = el('p', {class: 'muted', id: 'requests-count'});
  root.append(form, count, list);
  const show = async () => {
    const f = form.elements;
    const res = await api('GET', '/admin/v1/requests' +
                          query({limit: f.limit.value, team: f.team.value}));
    const model = f.model.value.trim().toLowerCase();
    const rows = (res.data || []).filter(r => ctx.sees(r.team) &&
      (!model || (r.model || '').toLowerCase().includes(model)) &&
      (!f.status.value || statusClass(r.status) === f.status.value));
    count.textContent = rows.length + ' of the last ' + (res.data || [])
      .length + ' requests';
    list.replaceChildren(table([
      {label: 'Time', cls: 'nowrap', value: r => when(r.ts, true)},
      {label: 'Team', value: r => r.team || ''},
      {label: 'Key', cls: 'id', value: r => r.key_id || ''},
      {label: 'Model', value: r => r.model || ''},
      {label: 'Endpoint', value: r => (r.method || '') + ' ' +
                                     (r.path || '')},
      {label: 'Status', cls: 'num', value: r => num(r.status)},
      {label: 'Tokens in/out', cls: 'num', value: r =>
        num(r.prompt_tokens) + ' / ' + num(r.completion_tokens)},
      {label: 'Cost EUR', cls: 'num', value: r => money(r.cost_eur)},
      {label: 'Personal data', value: r => piiText(r.pii)},
      {label: 'Upstream', value: r => (r.upstream || '') +
                                     (r.region ? ' (' + r.region + ')' :
                                      '')},
      {label: 'ms', cls: 'num', value: r => r.latency_us === null ? '' :
                                       (r.latency_us / 1000).toFixed(1)},
      {label: 'Error', value: r => r.error || ''},
    ], rows, {empty: 'No requests.', cls: 'requests'}));
  };
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    show();
  });
  await show();
}
