// DOM helpers. Every value reaches the page as text (text nodes,
// textContent, properties): no HTML is ever parsed from data.

// el('td', {class: 'num'}, 'text', node, ...): an element. Props: "on"
// + event name for listeners, "class", "hidden", and a few properties
// (value, checked, disabled, type, ...); the rest become attributes.
export function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (['value', 'checked', 'disabled', 'selected', 'hidden']
             .includes(k)) e[k] = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  append(e, children);
  return e;
}

function append(e, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(e, c);
    else if (c instanceof Node) e.appendChild(c);
    else e.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

// A table: columns [{label, value(row) -> text or node, cls}], rows.
export function table(columns, rows, opts = {}) {
  const head = el('tr', {}, columns.map(c => el('th', {class: c.cls},
                                                c.label)));
  const body = rows.map(r => el('tr', {class: opts.rowClass?.(r)},
    columns.map(c => el('td', {class: c.cls}, c.value(r)))));
  if (rows.length === 0) {
    body.push(el('tr', {}, el('td', {colspan: columns.length,
                                     class: 'muted'},
                              opts.empty || 'Nothing yet.')));
  }
  if (opts.total) body.push(el('tr', {class: 'total'},
    columns.map(c => el('td', {class: c.cls}, c.total ? c.total() : ''))));
  return el('div', {class: 'scroll'}, el('table', {class: opts.cls},
    el('thead', {}, head), el('tbody', {}, body)));
}

export function msg(kind, text) {
  return el('p', {class: 'msg ' + kind, role: kind === 'error' ?
                  'alert' : 'status'}, text);
}

// An API failure as a message: the API's own words and code.
export function failure(what, err) {
  return msg('error', what + ': ' + (err?.message || String(err)));
}

const pad = n => String(n).padStart(2, '0');

// Unix seconds (or ms with ms = true) as "2026-11-01 12:00 UTC".
export function when(t, ms = false) {
  if (t === null || t === undefined || t === '') return '\u2014';
  const d = new Date(ms ? t : t * 1000);
  if (isNaN(d)) return String(t);
  return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' +
    pad(d.getUTCDate()) + ' ' + pad(d.getUTCHours()) + ':' +
    pad(d.getUTCMinutes()) + ' UTC';
}

// A date input's value for a Date ("2026-11-01", UTC).
export function day(d) {
  return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' +
    pad(d.getUTCDate());
}

export function addDays(isoDay, n) {
  const d = new Date(isoDay + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + n);
  return day(d);
}

// A decimal string of money, shown with at most 4 decimals.
export function money(v, currency) {
  if (v === null || v === undefined) return '\u2014';
  const n = Number(v);
  if (!isFinite(n)) return String(v);
  const c = currency ? ' ' + currency : '';
  if (n > 0 && n < 0.0001) return '< 0.0001' + c;
  return n.toFixed(n !== 0 && Math.abs(n) < 0.01 ? 4 : 2) + c;
}

export function budgetText(b) {
  if (!b) return 'none';
  return b.amount + ' ' + b.currency + ' ' + b.period;
}

export function num(v) {
  return v === null || v === undefined ? '\u2014' : String(v);
}

// "EMAIL:1,PHONE:2" as "EMAIL 1, PHONE 2".
export function piiText(v) {
  if (!v) return '';
  return String(v).split(',').map(p => p.replace(':', ' ')).join(', ');
}

// The modal dialog: fills it with nodes and resolves with the value of
// the button pressed (or null when closed with Escape).
export function dialog(title, body, buttons) {
  const d = document.getElementById('dialog');
  clear(d);
  return new Promise(resolve => {
    const done = v => { d.close(); resolve(v); };
    d.addEventListener('cancel', () => resolve(null), {once: true});
    d.append(el('h2', {}, title), ...[].concat(body),
      el('div', {class: 'buttons'}, buttons.map(b => el('button', {
        type: 'button', class: b.cls, onclick: () => done(b.value),
        'data-value': String(b.value)}, b.label))));
    d.showModal();
  });
}

export function confirmAction(title, text, label) {
  return dialog(title, el('p', {}, text), [
    {label: 'Cancel', value: false, cls: 'secondary'},
    {label, value: true, cls: 'danger'}]).then(v => v === true);
}

// A secret shown once, with a copy button.
export function showSecret(title, text, secret) {
  const out = el('code', {class: 'secret', id: 'secret'}, secret);
  const copied = el('p', {class: 'muted', role: 'status'});
  const copy = el('button', {type: 'button', class: 'secondary',
                             id: 'copy-secret', onclick: async () => {
    try {
      await navigator.clipboard.writeText(secret);
      copied.textContent = 'Copied.';
    } catch (e) {
      window.getSelection().selectAllChildren(out);
      copied.textContent = 'Select and copy it by hand (the clipboard ' +
        'is not available here).';
    }
  }}, 'Copy');
  return dialog(title, [el('p', {}, text), out, el('p', {}, copy), copied],
                [{label: 'Done', value: true}]);
}

// Saves a Blob as a file named name.
export function saveBlob(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = el('a', {href: url, download: name, hidden: true});
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// One CSV cell (RFC 4180; a cell that a spreadsheet would read as a
// formula gets a leading apostrophe, as the gateway's own CSV does).
function cell(v) {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r\n]/.test(s)) s = "'" + s;
  if (/[",;\t\r\n]/.test(s)) s = '"' + s.replace(/"/g, '""') + '"';
  return s;
}

export function csv(header, rows) {
  return [header, ...rows].map(r => r.map(cell).join(',')).join('\r\n') +
    '\r\n';
}

// A query string from an object, empty values left out.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

// A value of unknown shape (a report), as nested lists and tables.
export function render(v) {
  if (v === null || v === undefined) return el('span', {class: 'muted'},
                                                '\u2014');
  if (Array.isArray(v)) {
    if (v.length && v.every(x => x && typeof x === 'object' &&
                            !Array.isArray(x))) {
      const keys = [...new Set(v.flatMap(x => Object.keys(x)))];
      return table(keys.map(k => ({label: k, value: r => render(r[k])})), v);
    }
    return el('span', {}, v.map(x => typeof x === 'object' ?
                                JSON.stringify(x) : String(x)).join(', '));
  }
  if (typeof v === 'object') {
    return el('dl', {class: 'kv'}, Object.entries(v).map(([k, x]) =>
      [el('dt', {}, k), el('dd', {}, render(x))]));
  }
  return el('span', {}, String(v));
}
