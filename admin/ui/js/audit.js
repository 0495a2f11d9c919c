// Audit: verify the hash chain and signed checkpoints, list and save the
// checkpoints, export the records.
import {api} from './api.js';
import {addDays, day, el, failure, msg, query, saveBlob, table, when}
  from './dom.js';

function verdict(r) {
  const parts = [r.records + ' records checked',
                 r.first_seq ? '(seq ' + r.first_seq + ' to ' + r.last_seq +
                   ')' : '',
                 r.checkpoints + ' signed checkpoints',
                 r.external_checkpoints ? r.external_checkpoints +
                   ' saved checkpoints' : '',
                 r.unsigned_records ? r.unsigned_records +
                   ' records after the last checkpoint' : ''];
  const text = parts.filter(Boolean).join(', ') + '.';
  if (r.ok) return msg('ok', 'The audit log verifies: ' + text);
  const bad = r.first_bad || {};
  return msg('error', 'The audit log does NOT verify. First problem' +
             (bad.seq !== undefined ? ' at record ' + bad.seq : '') + ': ' +
             (bad.reason || 'unknown') + '. ' + text);
}

function verifyCard(ctx) {
  const out = el('div', {id: 'verify-result'});
  const file = el('input', {type: 'file', accept: 'application/json,.json',
                            id: 'checkpoints-file'});
  const run = async body => {
    out.replaceChildren(msg('info', 'Verifying\u2026'));
    try {
      out.replaceChildren(verdict(await api('POST', '/admin/v1/audit/verify',
                                            body)));
    } catch (e) {
      out.replaceChildren(failure('Verification failed', e));
    }
  };
  const withFile = async () => {
    const f = file.files[0];
    if (!f) return;
    let saved;
    try {
      saved = JSON.parse(await f.text());
    } catch (e) {
      out.replaceChildren(msg('error', 'That file is not JSON.'));
      return;
    }
    run(saved);
  };
  return el('div', {class: 'card'},
    el('div', {class: 'toolbar'},
      el('button', {type: 'button', id: 'verify', onclick: () => run()},
         'Verify the audit log'),
      el('label', {}, 'Or against saved checkpoints (JSON)', file),
      el('button', {type: 'button', class: 'secondary', onclick: withFile},
         'Verify against the file')),
    out);
}

async function checkpointsCard() {
  const cp = await api('GET', '/admin/v1/audit/checkpoints');
  const rows = (cp.checkpoints || []).slice(-50).reverse();
  return el('div', {},
    el('p', {}, 'Public key (', cp.algorithm || '', '): ',
       el('code', {id: 'public-key'}, cp.public_key || '')),
    el('p', {}, el('button', {type: 'button', class: 'secondary',
      id: 'save-checkpoints', onclick: () => saveBlob(
        'eugate-checkpoints-' + day(new Date()) + '.json',
        new Blob([JSON.stringify(cp, null, 1)],
                 {type: 'application/json'}))},
      'Download checkpoints (JSON)'),
      ' Keep a copy elsewhere: verification against it finds a ' +
      'truncated or rewritten log.'),
    table([
      {label: 'Seq', cls: 'num', value: c => String(c.seq)},
      {label: 'Signed', value: c => when(c.ts, c.ts > 1e11)},
      {label: 'Head', cls: 'id', value: c => String(c.head || '')
        .slice(0, 16) + '\u2026'},
      {label: 'Signature', cls: 'id', value: c => String(c.sig || '')
        .slice(0, 16) + '\u2026'},
    ], rows, {empty: 'No checkpoint yet: one is signed after ' +
              'audit_checkpoint_interval while records arrive.'}),
    rows.length < (cp.checkpoints || []).length ?
      el('p', {class: 'muted'}, 'The newest 50 of ' +
         cp.checkpoints.length + '.') : null);
}

function exportCard() {
  const today = day(new Date());
  const from = el('input', {type: 'date', name: 'from',
                            value: addDays(today, -29)});
  const to = el('input', {type: 'date', name: 'to', value: today});
  const team = el('input', {name: 'team', size: 12, placeholder: 'all'});
  const links = el('p', {id: 'export-links'});
  const update = () => {
    const q = {from: from.value, to: to.value ? addDays(to.value, 1) : '',
               team: team.value.trim()};
    links.replaceChildren(...['jsonl', 'csv'].flatMap(f => [
      el('a', {href: '/admin/v1/audit' + query({...q, format: f}),
               download: 'eugate-audit-' + (from.value || 'start') + '-' +
                 (to.value || today) + '.' + f, id: 'export-' + f},
         'Download ' + (f === 'csv' ? 'CSV' : 'JSON lines')), ' ']));
  };
  for (const i of [from, to, team]) i.addEventListener('input', update);
  update();
  return el('div', {class: 'card'},
    el('div', {class: 'toolbar'}, el('label', {}, 'From', from),
       el('label', {}, 'To', to), el('label', {}, 'Team', team)),
    links,
    el('p', {class: 'muted'}, 'Records hold metadata and hashes, never ' +
       'content. CSV cells that a spreadsheet would read as formulas are ' +
       'quoted.'));
}

export async function render(ctx) {
  const {root} = ctx;
  if (ctx.canVerify) root.append(el('h2', {}, 'Verify'), verifyCard(ctx));
  root.append(el('h2', {}, 'Checkpoints'), await checkpointsCard(),
              el('h2', {}, 'Export'), exportCard());
}
