// Spend: per team or model over time, as a chart (Debian's Chart.js,
// served by the gateway) and a table; a date range; CSV download.
import {api} from './api.js';
import {addDays, csv, day, el, money, msg, num, query, saveBlob, table}
  from './dom.js';

const COLORS = ['#1d4e89', '#d1495b', '#edae49', '#00798c', '#66a182',
                '#8d6a9f', '#30638e', '#c17c74', '#7a9e7e', '#b5838d'];

let chartLoad = null;

// Loads vendor/chart.min.js once; resolves with window.Chart.
function loadChart() {
  if (!chartLoad) {
    chartLoad = new Promise((resolve, reject) => {
      const s = el('script', {src: 'vendor/chart.min.js'});
      s.addEventListener('load', () => resolve(window.Chart));
      s.addEventListener('error', () => reject(new Error('Chart.js did ' +
                                                         'not load')));
      document.head.appendChild(s);
    });
  }
  return chartLoad;
}

// The rows of day x group, and the series each group makes.
function series(rows, by, days) {
  const groups = [...new Set(rows.map(r => r[by] || '(none)'))].sort();
  const index = new Map(days.map((d, i) => [d, i]));
  return groups.map((g, i) => {
    const data = days.map(() => 0);
    for (const r of rows) {
      if ((r[by] || '(none)') === g && index.has(r.day)) {
        data[index.get(r.day)] += Number(r.cost_eur || 0);
      }
    }
    return {label: g, data, backgroundColor: COLORS[i % COLORS.length],
            stack: 'cost'};
  });
}

function daysBetween(from, to) {
  const out = [];
  for (let d = from; d <= to && out.length < 400; d = addDays(d, 1)) {
    out.push(d);
  }
  return out;
}

let current = null;	// the Chart instance on the page

async function draw(box, rows, by, from, to) {
  const Chart = await loadChart();
  const canvas = el('canvas', {id: 'spend-chart', role: 'img',
    'aria-label': 'Spend in EUR per day and ' + by});
  box.replaceChildren(canvas);
  if (current) current.destroy();
  const days = daysBetween(from, to);
  current = new Chart(canvas, {
    type: 'bar',
    data: {labels: days, datasets: series(rows, by, days)},
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      scales: {x: {stacked: true},
               y: {stacked: true, title: {display: true, text: 'EUR'}}},
      plugins: {legend: {position: 'bottom'}},
    },
  });
}

export async function render(ctx) {
  const {root} = ctx;
  const today = day(new Date());
  const form = el('form', {class: 'toolbar', id: 'spend-form'},
    el('label', {}, 'From', el('input', {type: 'date', name: 'from',
                                         value: addDays(today, -29)})),
    el('label', {}, 'To', el('input', {type: 'date', name: 'to',
                                       value: today})),
    el('label', {}, 'Per', el('select', {name: 'by'},
      el('option', {value: 'team'}, 'team'),
      el('option', {value: 'model'}, 'model'))),
    el('button', {type: 'submit'}, 'Show'),
    el('button', {type: 'button', class: 'secondary', id: 'spend-csv'},
       'Download CSV'));
  const note = el('div');
  const box = el('div', {class: 'chart', id: 'chart-box'});
  const list = el('div');
  root.append(form, note, box, list);
  let shown = null;

  const show = async () => {
    const from = form.elements.from.value || addDays(today, -29);
    const to = form.elements.to.value || today;
    const by = form.elements.by.value;
    const res = await api('GET', '/admin/v1/spend' + query({
      group_by: 'day,' + by, from, to: addDays(to, 1)}));
    const rows = (res.data || []).filter(r => by !== 'team' ||
                                         ctx.sees(r.team));
    shown = {rows, by, from, to};
    note.replaceChildren();
    if (ctx.chart) {
      try {
        await draw(box, rows, by, from, to);
        box.hidden = false;
      } catch (e) {
        box.hidden = true;
        note.append(msg('error', 'The chart could not be drawn: ' +
                        e.message + '. The table has the figures.'));
      }
    } else {
      box.hidden = true;
      note.append(msg('info', 'No chart: this gateway was built without ' +
                      'Chart.js (Debian package libjs-chart.js). The ' +
                      'table has the figures.'));
    }
    const sum = k => rows.reduce((a, r) => a + Number(r[k] || 0), 0);
    list.replaceChildren(table([
      {label: 'Day', value: r => r.day, total: () => 'Total'},
      {label: by === 'team' ? 'Team' : 'Model', value: r => r[by] || ''},
      {label: 'Requests', cls: 'num', value: r => num(r.requests),
       total: () => num(sum('requests'))},
      {label: 'Prompt tokens', cls: 'num', value: r => num(r.prompt_tokens),
       total: () => num(sum('prompt_tokens'))},
      {label: 'Completion tokens', cls: 'num',
       value: r => num(r.completion_tokens),
       total: () => num(sum('completion_tokens'))},
      {label: 'Cost EUR', cls: 'num', value: r => money(r.cost_eur),
       total: () => money(sum('cost_eur'))},
      {label: 'Cost USD', cls: 'num', value: r => money(r.cost_usd),
       total: () => money(sum('cost_usd'))},
      {label: 'Reserved EUR', cls: 'num', value: r => money(r.reserved_eur)},
    ], rows, {empty: 'No spend in this period.', total: rows.length > 0,
              cls: 'spend'}));
  };
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    show().catch(e => note.replaceChildren(msg('error', e.message)));
  });
  form.querySelector('#spend-csv').addEventListener('click', () => {
    if (!shown) return;
    const {rows, by, from, to} = shown;
    const cols = ['day', by, 'requests', 'prompt_tokens',
                  'completion_tokens', 'cost_eur', 'cost_usd',
                  'reserved_eur', 'reserved_usd'];
    saveBlob('eugate-spend-' + by + '-' + from + '-' + to + '.csv',
             new Blob([csv(cols, rows.map(r => cols.map(c => r[c])))],
                      {type: 'text/csv'}));
  });
  await show();
}
