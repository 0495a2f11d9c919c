// Teams: budgets, limits, policy, spend this period against budget.
import {api} from './api.js';
import {budgetText, dialog, el, failure, msg, num, table, when} from
  './dom.js';
import {periodSpend, usage} from './overview.js';

function select(name, options, value) {
  return el('select', {name}, options.map(o => el('option', {
    value: o, selected: o === value}, o)));
}

// The budget fields of a form: {amount, currency, period}, or null when
// the amount is empty.
function budgetFields(b) {
  return [
    el('label', {}, 'Budget', el('input', {name: 'amount', inputmode:
      'decimal', placeholder: 'none', value: b?.amount || '',
      pattern: '[0-9]+(\\.[0-9]{1,6})?', size: 10})),
    el('label', {}, 'Currency', select('currency', ['EUR', 'USD'],
                                       b?.currency || 'EUR')),
    el('label', {}, 'Period', select('period', ['monthly', 'daily',
                                                'total'],
                                     b?.period || 'monthly')),
  ];
}

function budgetOf(form) {
  const amount = form.elements.amount.value.trim();
  if (!amount) return null;
  return {amount, currency: form.elements.currency.value,
          period: form.elements.period.value};
}

function rateOf(input) {
  const v = input.value.trim();
  return v ? Number(v) : null;
}

async function editLimits(team, done) {
  const form = el('form', {class: 'inline', id: 'limits-form'},
    budgetFields(team.budget),
    el('label', {}, 'Requests/min', el('input', {name: 'rpm', type:
      'number', min: 0, value: team.rpm ?? '', placeholder: 'none'})),
    el('label', {}, 'Tokens/min', el('input', {name: 'tpm', type: 'number',
      min: 0, value: team.tpm ?? '', placeholder: 'none'})));
  const ok = await dialog('Limits of ' + team.name, form, [
    {label: 'Cancel', value: false, cls: 'secondary'},
    {label: 'Save', value: true}]);
  if (!ok) return;
  try {
    await api('PATCH', '/admin/v1/teams/' + encodeURIComponent(team.name),
              {budget: budgetOf(form), rpm: rateOf(form.elements.rpm),
               tpm: rateOf(form.elements.tpm)});
    done(msg('ok', 'Limits of ' + team.name + ' saved.'));
  } catch (e) {
    done(failure('Limits not saved', e));
  }
}

function createForm(done) {
  const form = el('form', {class: 'inline', id: 'team-form'},
    el('label', {}, 'Name', el('input', {name: 'name', required: true,
      pattern: '[A-Za-z0-9._\\-]{1,64}', placeholder: 'finance'})),
    el('label', {}, 'Policy', el('input', {name: 'policy', value:
      'default', size: 10})),
    budgetFields(null),
    el('button', {type: 'submit'}, 'Create team'));
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const body = {name: form.elements.name.value.trim(),
                  policy: form.elements.policy.value.trim() || 'default'};
    const b = budgetOf(form);
    if (b) body.budget = b;
    try {
      await api('POST', '/admin/v1/teams', body);
      done(msg('ok', 'Team ' + body.name + ' created.'));
    } catch (e) {
      done(failure('Team not created', e));
    }
  });
  return form;
}

export async function render(ctx) {
  const {root} = ctx;
  const note = el('div', {id: 'note'});
  const list = el('div');
  root.append(note);
  const refresh = async message => {
    const [teams, spend] = await Promise.all([
      api('GET', '/admin/v1/teams'), periodSpend()]);
    const rows = (teams.data || []).filter(t => ctx.sees(t.name));
    const cols = [
      {label: 'Team', value: t => t.name},
      {label: 'Policy', value: t => t.policy},
      {label: 'Budget', value: t => budgetText(t.budget)},
      {label: 'Spent this period', cls: 'nowrap',
       value: t => usage(t, spend.of(t))},
      {label: 'Requests/min', cls: 'num', value: t => num(t.rpm)},
      {label: 'Tokens/min', cls: 'num', value: t => num(t.tpm)},
      {label: 'Keys', cls: 'num', value: t => num(t.keys)},
      {label: 'Created', value: t => when(t.created_at)},
    ];
    if (ctx.canTeams) {
      cols.push({label: '', cls: 'actions', value: t => el('button', {
        type: 'button', class: 'secondary', 'data-team': t.name,
        onclick: () => editLimits(t, refresh)}, 'Limits')});
    }
    // The message and the list it speaks of change together.
    note.replaceChildren(...(message ? [message] : []));
    list.replaceChildren(table(cols, rows, {empty: 'No teams yet.',
                                            cls: 'teams'}));
  };
  if (ctx.canTeams) root.append(el('h2', {}, 'New team'),
                                createForm(refresh));
  root.append(el('h2', {}, 'Teams'), list);
  await refresh();
}
