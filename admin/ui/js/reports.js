// Reports: the record of processing (GDPR Art. 30) from the audit log,
// and, where the gateway has them, the posture checklist and the Art. 30
// record of the evidence reports. Each in the console, as the gateway's
// HTML page, and as a download.
import {api, optional} from './api.js';
import {addDays, day, el, failure, msg, query, render as show, table}
  from './dom.js';

const REPORTS = [
  {id: 'processing', title: 'Record of processing (GDPR Art. 30)',
   path: '/admin/v1/reports/processing', period: true,
   text: 'Per team: requests, personal data by type (counted, never ' +
     'stored), recipients (upstreams and regions), zero data retention.'},
  {id: 'art30', title: 'Art. 30 record (evidence)',
   path: '/admin/v1/reports/art30', period: false, optional: true,
   text: 'The record of processing activities as the evidence reports ' +
     'write it.'},
  {id: 'posture', title: 'Posture checklist', path:
   '/admin/v1/reports/posture', period: false, optional: true,
   text: 'How this gateway is set up against the checklist.'},
];

function processingView(rep) {
  const teams = rep.teams || [];
  return el('div', {},
    el('p', {}, 'Period ' + rep.from + ' to ' + rep.to + '. Retention of ' +
       'the audit records: ' + (rep.retention?.text || '') + '.'),
    teams.length === 0 ? msg('info', 'No requests in this period.') : null,
    teams.map(t => el('section', {class: 'card'},
      el('h3', {}, t.team ? 'Team ' + t.team : 'No team (requests ' +
         'refused without a valid key)'),
      el('p', {}, t.requests + ' requests; zero data retention for ' +
         t.zdr_requests + '; policies: ' + (t.policies || []).join(', ')),
      table([
        {label: 'Personal data', value: r => r[0]},
        {label: 'Values', cls: 'num', value: r => String(r[1].values)},
        {label: 'Requests', cls: 'num', value: r => String(r[1].requests)},
      ], Object.entries(t.personal_data || {}), {empty: 'None found.'}),
      el('p', {}),
      table([
        {label: 'Recipient', value: r => r.upstream},
        {label: 'Region', value: r => r.region},
        {label: 'Requests', cls: 'num', value: r => String(r.requests)},
        {label: 'Under ZDR', cls: 'num', value: r => String(r.zdr_requests)},
      ], t.recipients || []))));
}

function card(ctx, rep) {
  const today = day(new Date());
  const from = el('input', {type: 'date', name: 'from'});
  const to = el('input', {type: 'date', name: 'to', value: today});
  const team = el('input', {name: 'team', size: 12, placeholder: 'all'});
  const out = el('div', {id: 'report-' + rep.id});
  const links = el('span');
  const params = fmt => rep.period ? query({
    from: from.value, to: to.value ? addDays(to.value, 1) : '',
    team: team.value.trim(), format: fmt}) : query({format: fmt});
  const update = () => links.replaceChildren(
    el('a', {href: rep.path + params('html'), target: '_blank',
             rel: 'noopener', id: 'open-' + rep.id}, 'Open as HTML'), ' ',
    el('a', {href: rep.path + params('html'), download: 'eugate-' +
             rep.id + '-' + today + '.html'}, 'Download HTML'), ' ',
    el('a', {href: rep.path + params(rep.period ? 'json' : ''),
             download: 'eugate-' + rep.id + '-' + today + '.json'},
       'Download JSON'));
  const view = async () => {
    try {
      const data = await api('GET', rep.path + params(rep.period ? 'json' :
                                                      ''));
      out.replaceChildren(rep.id === 'processing' ? processingView(data) :
                          show(data));
    } catch (e) {
      out.replaceChildren(failure('The report could not be made', e));
    }
  };
  for (const i of [from, to, team]) i.addEventListener('input', update);
  update();
  return el('section', {class: 'card'},
    el('h2', {}, rep.title), el('p', {class: 'muted'}, rep.text),
    el('div', {class: 'toolbar'},
      rep.period ? [el('label', {}, 'From', from), el('label', {}, 'To', to),
                    el('label', {}, 'Team', team)] : null,
      el('button', {type: 'button', id: 'show-' + rep.id, onclick: view},
         'Show'), links),
    out);
}

export async function render(ctx) {
  const {root} = ctx;
  for (const rep of REPORTS) {
    if (rep.optional) {
      // Shown where the gateway makes it (a 404 means it does not yet).
      let present;
      try {
        present = await optional(rep.path);
      } catch (e) {
        root.append(failure(rep.title, e));
        continue;
      }
      if (present === null) {
        root.append(el('p', {class: 'muted', id: 'absent-' + rep.id},
                       rep.title + ': not available on this gateway.'));
        continue;
      }
    }
    root.append(card(ctx, rep));
  }
}
