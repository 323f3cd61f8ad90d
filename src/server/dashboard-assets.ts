/**
 * The dashboard's one style sheet, one script and icon, kept in the source so the bundle carries them:
 * a fresh clone serves them after `npm run build` with nothing fetched from elsewhere.
 */

/** The style sheet: readable from a phone (390 px) to a desktop, never wider than the window. */
export const DASHBOARD_CSS = `
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: #1d2733; background: #f6f7f9; overflow-wrap: anywhere; }
a { color: #1f5fbf; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid #ee6677; outline-offset: 2px; }
.top { display: flex; flex-wrap: wrap; gap: 8px 18px; align-items: center; padding: 10px 16px; background: #1d2733; color: #fff; }
.top a { color: #fff; }
.top .brand { font-weight: 700; text-decoration: none; }
.top nav { display: flex; flex-wrap: wrap; gap: 14px; }
.badge { background: #ccbb44; color: #1d2733; border-radius: 10px; padding: 0 8px; font-size: 12px; }
main { padding: 12px 16px 40px; max-width: 1400px; margin: 0 auto; }
h1 { font-size: 22px; margin: 8px 0 12px; }
h2 { font-size: 17px; margin: 18px 0 8px; }
h3 { font-size: 14px; margin: 4px 0; }
section { background: #fff; border: 1px solid #dde3ea; border-radius: 8px; padding: 4px 14px 12px; margin: 12px 0; }
.scroll { overflow-x: auto; max-width: 100%; }
.scroll > table { min-width: 640px; }
.scroll > svg { max-width: none; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e6eaef; vertical-align: top; }
td.detail { font-family: ui-monospace, monospace; font-size: 12px; }
svg { max-width: 100%; height: auto; }
.meta { color: #5b6b7c; font-size: 12px; }
.empty { color: #5b6b7c; font-style: italic; }
.links { display: flex; flex-wrap: wrap; gap: 14px; }
.status { border-radius: 10px; padding: 1px 8px; background: #eef1f4; font-size: 12px; font-weight: 600; white-space: nowrap; }
.status[data-status="completed"], .status[data-status="done"], .status[data-status="finished"] { background: #d9f2e3; color: #1e7d46; }
.status[data-status="failed"] { background: #fbdcdc; color: #b42318; }
.status[data-status="running"], .status[data-status="integrating"], .status[data-status="incomplete"] { background: #dbe8fb; color: #1f5fbf; }
.status[data-status="interrupted"], .status[data-status="budget_exceeded"], .status[data-status="budget_exhausted"], .status[data-status="cancelled"] { background: #fdecc8; color: #b25e09; }
.filters { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: end; margin: 8px 0; }
.filters label { display: flex; flex-direction: column; font-size: 12px; color: #5b6b7c; }
input, select, textarea, button { font: inherit; max-width: 100%; }
input, select, textarea { padding: 4px 6px; border: 1px solid #9aa5b1; border-radius: 4px; background: #fff; }
button { padding: 5px 12px; border: 1px solid #1f5fbf; border-radius: 4px; background: #1f5fbf; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #b42318; border-color: #b42318; }
button:disabled { opacity: 0.5; cursor: default; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 8px; margin: 8px 0; }
.figures div { background: #f6f7f9; border-radius: 6px; padding: 6px 10px; }
.figures dt { font-size: 12px; color: #5b6b7c; }
.figures dd { margin: 0; font-weight: 600; }
.figures dd .meta { font-weight: 400; }
.pictures { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr)); gap: 12px; }
figure { margin: 0; min-width: 0; }
figcaption { font-size: 12px; color: #5b6b7c; }
.board { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 8px; }
.column { background: #f6f7f9; border-radius: 6px; padding: 6px; min-width: 0; }
.column ul { list-style: none; margin: 0; padding: 0; }
.column h3 { text-transform: capitalize; }
.card { background: #fff; border: 1px solid #dde3ea; border-left: 4px solid #9aa5b1; border-radius: 4px; padding: 5px 7px; margin: 5px 0; display: flex; flex-direction: column; gap: 2px; }
.column[data-status="done"] .card { border-left-color: #1e7d46; }
.column[data-status="in_progress"] .card { border-left-color: #1f5fbf; }
.column[data-status="blocked"] .card { border-left-color: #b25e09; }
.column[data-status="failed"] .card { border-left-color: #b42318; }
.column[data-status="review"] .card { border-left-color: #6b3fb5; }
.blocker-list { list-style: none; padding: 0; margin: 0; }
.blocker { border-bottom: 1px solid #e6eaef; padding: 6px 0 12px; }
.question { margin: 6px 0; padding: 6px 10px; border-left: 4px solid #b25e09; background: #fdf6e9; white-space: pre-wrap; }
.resolve, .decide { display: flex; flex-direction: column; gap: 6px; max-width: 640px; }
.resolve label, .decide label { display: flex; flex-direction: column; }
.resolve button { align-self: flex-start; }
.result[data-outcome="error"], .error { color: #b42318; }
.warning { margin: 8px 0; padding: 8px 12px; border-left: 4px solid #b42318; background: #fdf0ef; color: #7a1810; }
.result[data-outcome="ok"] { color: #1e7d46; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f7f9; padding: 8px; border-radius: 4px; font-size: 12px; max-height: 480px; overflow-y: auto; }
.call { border-bottom: 1px solid #e6eaef; padding: 6px 0; }
.side-by-side { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 320px), 1fr)); gap: 12px; }
.tasks { padding-left: 20px; }
table.designs th, table.paired th, table.experiments thead th { overflow-wrap: normal; }
td.interval { white-space: nowrap; }
td.interval .ci { display: block; color: #5b6b7c; font-size: 12px; }
td[data-excludes-zero] { font-weight: 600; }
caption { text-align: left; }
`;

/**
 * The script: a page with `data-live` on its body follows that server-sent event stream; on each change it
 * fetches itself again and swaps the parts marked `data-live` (not one being typed in). Blocker forms post
 * their answer as JSON to the service's route.
 */
export const DASHBOARD_JS = `'use strict';
(function () {
  var live = document.body.getAttribute('data-live');
  var busy = false;
  var again = false;
  function editing(part) {
    var active = document.activeElement;
    if (active && active !== document.body && part.contains(active)) return true;
    var fields = part.querySelectorAll('textarea, input[type="text"], input:not([type])');
    for (var i = 0; i < fields.length; i += 1) if (fields[i].value !== '') return true;
    return false;
  }
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    again = false;
    fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (text) {
        if (text === null) return;
        var fresh = new DOMParser().parseFromString(text, 'text/html');
        var parts = document.querySelectorAll('[data-live]');
        for (var i = 0; i < parts.length; i += 1) {
          var part = parts[i];
          var next = part.id ? fresh.getElementById(part.id) : null;
          if (next && next.innerHTML !== part.innerHTML && !editing(part)) part.innerHTML = next.innerHTML;
        }
        document.body.setAttribute('data-refreshes', String(Number(document.body.getAttribute('data-refreshes') || '0') + 1));
      })
      .catch(function () { /* the next change tries again */ })
      .then(function () { busy = false; if (again) refresh(); });
  }
  if (live) {
    var source = new EventSource(live);
    source.addEventListener('change', refresh);
  }
  function send(form, body) {
    var output = form.querySelector('output');
    output.removeAttribute('data-outcome');
    output.textContent = 'Sending…';
    fetch(form.getAttribute('action'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-agent-team-ui': '1' },
      body: JSON.stringify(body),
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (response.ok) {
            output.setAttribute('data-outcome', 'ok');
            output.textContent = (body.decision ? (body.decision === 'approve' ? 'Approved' : 'Rejected') : 'Resolved') +
              (answer.resolved_by ? ' by ' + answer.resolved_by : '') + '.';
            var fields = form.querySelectorAll('textarea, input');
            for (var i = 0; i < fields.length; i += 1) fields[i].value = '';
            var buttons = form.querySelectorAll('button');
            for (var j = 0; j < buttons.length; j += 1) buttons[j].disabled = true;
            if (document.activeElement && form.contains(document.activeElement)) document.activeElement.blur();
          } else {
            output.setAttribute('data-outcome', 'error');
            output.textContent = (answer.error && answer.error.message) || 'The server answered ' + response.status + '.';
          }
        });
      })
      .catch(function () {
        output.setAttribute('data-outcome', 'error');
        output.textContent = 'The server could not be reached.';
      });
  }
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var resolving = form.classList.contains('resolve');
    if (!resolving && !form.classList.contains('decide')) return;
    event.preventDefault();
    var resolution = form.elements.namedItem('resolution').value.trim();
    var by = form.elements.namedItem('by').value.trim();
    var body = {};
    if (!resolving) body.decision = event.submitter && event.submitter.value === 'reject' ? 'reject' : 'approve';
    if (resolution !== '') body.resolution = resolution;
    if (by !== '') body.by = by;
    send(form, body);
  });
})();
`;

/** The tab icon (served, so the browser asks for no /favicon.ico). */
export const DASHBOARD_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1d2733"/><circle cx="5" cy="5" r="2" fill="#66ccee"/><circle cx="11" cy="11" r="2" fill="#228833"/><path d="M5 5 L11 11" stroke="#fff" stroke-width="1.2"/></svg>`;
