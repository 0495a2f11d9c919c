// Overview: every team the role may see, spend against budget, today.
import {api} from './api.js';
import {budgetText, day, el, money, msg, num, query, table} from
  './dom.js';

// Spend by team since a day (null: since the start), as a Map.
export async function spendByTeam(from) {
  const r = await api('GET', '/admin/v1/spend' +
                      query({group_by: 'team', from}));
  return new Map((r.data || []).map(row => [row.team, row]));
}

// The first day of a team's current budget period (UTC).
export function periodStart(budget, now = new Date()) {
  if (budget?.period === 'daily') return day(now);
  if (budget?.period === 'total') return null;
  return day(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)));
}

// The three windows every team's period falls into.
export async function periodSpend() {
  const now = new Date();
  const [today, month, total] = await Promise.all([
    spendByTeam(day(now)), spendByTeam(periodStart(null, now)),
    spendByTeam(null)]);
  return {today, month, total,
          of(team) {
            const p = team.budget?.period;
            return (p === 'daily' ? today : p === 'total' ? total : month)
              .get(team.name);
          }};
}

// Spent against a budget: "12.30 EUR" and a meter.
export function usage(team, row) {
  const cur = team.budget?.currency || 'EUR';
  const spent = Number(row?.[cur === 'USD' ? 'cost_usd' : 'cost_eur'] ||
                       0);
  const cells = [money(spent, cur)];
  if (team.budget) {
    const max = Number(team.budget.amount);
    const share = max > 0 ? Math.round(spent / max * 100) : 100;
    cells.push(' ', el('meter', {min: 0, max, value: Math.min(spent, max),
                                 low: max * 0.8, high: max * 0.95,
                                 optimum: 0, title: share + ' %'}),
               ' ' + share + ' %');
  }
  return cells;
}

export async function render(ctx) {
  const {root} = ctx;
  const [teams, spend, health] = await Promise.all([
    api('GET', '/admin/v1/teams'), periodSpend(),
    ctx.canTeams ? api('GET', '/admin/v1/health').catch(() => null) : null,
  ]);
  if (health) {
    const ups = health.upstreams || [];
    const open = ups.filter(u => u.breaker && u.breaker !== 'closed');
    root.append(el('div', {class: 'card', id: 'health'},
      el('strong', {}, 'Gateway: ' + (health.status || '?')),
      ' \u00b7 version ' + num(health.version) + ' \u00b7 ' +
      ups.length + ' upstreams' + (open.length ? ' (' + open.length +
      ' failing: ' + open.map(u => u.name).join(', ') + ')' : '') +
      ' \u00b7 ' + num(health.keys) + ' keys \u00b7 ' +
      num(health.in_flight) + ' requests in flight'));
  }
  const rows = (teams.data || []).filter(t => ctx.sees(t.name));
  root.append(el('h2', {}, 'Teams'),
    table([
      {label: 'Team', value: t => t.name},
      {label: 'Budget', value: t => budgetText(t.budget)},
      {label: 'Spent this period', cls: 'nowrap',
       value: t => usage(t, spend.of(t))},
      {label: 'Requests today', cls: 'num',
       value: t => num(spend.today.get(t.name)?.requests || 0)},
      {label: 'Cost today', cls: 'num',
       value: t => money(spend.today.get(t.name)?.cost_eur || 0, 'EUR')},
      {label: 'Keys', cls: 'num', value: t => num(t.keys)},
    ], rows, {empty: 'No teams yet.', cls: 'overview'}),
    el('p', {class: 'muted'}, 'Periods are counted in UTC days and ' +
       'months; the gateway counts them in its budget_timezone.'));
  if (rows.length === 0 && ctx.canTeams) {
    root.append(msg('info', 'Create a team on the Teams page, then ' +
                    'issue its keys on the Keys page.'));
  }
}
