import { createHash } from 'node:crypto'
import { escapeHtml } from '../error-response.ts'
import type { SessionView } from './sessions-api.ts'

/** What the sessions page shows: whose, what, and the forms' action and token. */
export interface SessionsPageModel {
  prefix: string
  /** The viewer's name and source, and whether they are a gateway administrator. */
  viewer: { name: string, source: string, admin: boolean }
  sessions: SessionView[]
  truncated: boolean
  /** The administrator's filter, when one is applied. */
  filter?: { name: string, source: string }
  /** The CSRF token every form carries, bound to the viewer's session. */
  formToken: string
}

/** The page's only style, inline and allowed by its hash in the CSP: no external asset, no script. */
const STYLE = [
  'body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60em;padding:1em;color:#1d1d1f;background:#fafafa}',
  'h1{font-size:1.5em;margin:.5em 0}ul{list-style:none;padding:0;margin:0}',
  'li{background:#fff;border:1px solid #d8d8dc;border-radius:8px;padding:.75em 1em;margin:.75em 0;display:flex;flex-wrap:wrap;',
  'gap:.5em 1.5em;align-items:flex-start}li.current{border-color:#2f6fde;box-shadow:0 0 0 1px #2f6fde}',
  '.who{flex:1 1 16em;min-width:0}.who b{font-size:1.05em}.ua{color:#555;font-size:.9em;overflow-wrap:anywhere}',
  '.times{flex:1 1 14em;font-size:.9em;color:#333}.badge{background:#2f6fde;color:#fff;border-radius:4px;padding:0 .4em;font-size:.8em;',
  'margin-left:.4em;white-space:nowrap}.note{font-size:.85em;color:#6b4e00}form{margin:0}',
  'button{font:inherit;padding:.3em .9em;border-radius:6px;border:1px solid #b3261e;background:#fff;color:#b3261e;cursor:pointer}',
  'button.main{background:#b3261e;color:#fff}',
  '.bar{display:flex;flex-wrap:wrap;gap:.75em;align-items:center;margin:1em 0}input,select{font:inherit;padding:.25em}',
  '.bar button.plain{border-color:#555;color:#1d1d1f}.muted{color:#555}'
].join('')
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64')

/**
 * The page's headers: a CSP that loads nothing (the one style by its hash), posts forms only to the
 * gateway itself, and may be framed by nobody (clickjacking the end buttons); no referrer, never cached.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy':
    `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store'
}

const SOURCE_NAMES: Record<string, string> = {
  file: 'password (gateway user)', ldap: 'directory (LDAP)', oidc: 'single sign-on', proxy: 'auth proxy'
}

/** The sessions page: every session a card with an end button, the bulk forms, and for administrators a filter. */
export function renderSessionsPage (m: SessionsPageModel): string {
  const title = m.viewer.admin ? 'Sessions' : 'Your sessions'
  const cards = m.sessions.map((s) => card(m, s)).join('\n')
  const empty = m.sessions.length === 0 ? '<p class="muted">No live sessions.</p>' : ''
  const more = m.truncated ? `<p class="note">Only the oldest ${m.sessions.length} are shown; filter by user to see the others.</p>` : ''
  return '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<title>${title}</title><style>${STYLE}</style></head>\n<body>\n<h1>${title}</h1>\n` +
    `<p class="muted">Signed in as <b>${escapeHtml(m.viewer.name)}</b> by ${escapeHtml(SOURCE_NAMES[m.viewer.source] ?? m.viewer.source)}` +
    `${m.viewer.admin ? ', a gateway administrator' : ''}. Addresses and browsers are kept only while a session lives.</p>\n` +
    (m.viewer.admin ? adminBar(m) : userBar(m)) + `${more}${empty}<ul>\n${cards}\n</ul>\n</body></html>\n`
}

function card (m: SessionsPageModel, s: SessionView): string {
  const who = m.viewer.admin ? `<b>${escapeHtml(s.user)}</b> · ` : ''
  const current = s.current ? '<span class="badge">this browser</span>' : ''
  const proxy = s.source === 'proxy'
    ? '<div class="note">Ending it deletes its token; the next request through the auth proxy starts a new session.</div>'
    : ''
  const label = s.current ? 'Sign out here' : 'End'
  return `<li${s.current ? ' class="current"' : ''}><div class="who">${who}${escapeHtml(SOURCE_NAMES[s.source] ?? s.source)}${current}` +
    `<div>${escapeHtml(s.address ?? 'address not recorded')}</div>` +
    `<div class="ua">${escapeHtml(s.userAgent ?? 'browser not recorded')}</div>` +
    `${proxy}</div><div class="times">Signed in ${when(s.created)}<br>Last used ${when(s.lastUsed)}<br>Ends ${when(s.expires)}</div>` +
    `${endForm(m, { action: 'one', ref: s.ref }, label, `End session ${s.ref}`)}</li>`
}

function userBar (m: SessionsPageModel): string {
  const others = m.sessions.some((s) => !s.current)
  return others ? `<div class="bar">${endForm(m, { action: 'others' }, 'End all other sessions', undefined, true)}</div>\n` : ''
}

function adminBar (m: SessionsPageModel): string {
  const f = m.filter
  const options = Object.entries(SOURCE_NAMES)
    .map(([v, n]) => `<option value="${v}"${f?.source === v ? ' selected' : ''}>${escapeHtml(n)}</option>`).join('')
  const filter = `<form method="get" action="${escapeHtml(m.prefix)}/sessions" class="bar"><label>User <input name="user" ` +
    `value="${escapeHtml(f?.name ?? '')}" maxlength="256" required></label>` +
    `<label>Source <select name="source">${options}</select></label>` +
    '<button type="submit" class="plain">Filter</button>' +
    (f === undefined ? '' : ` <a href="${escapeHtml(m.prefix)}/sessions">Show everyone</a>`) + '</form>'
  const ofUser = f === undefined || m.sessions.length === 0
    ? ''
    : endForm(m, { action: 'user', source: f.source, user: f.name }, `End all of ${f.name}'s sessions`, undefined, true)
  const all = endForm(m, { action: 'all' }, 'End every session (yours too)', undefined, false)
  return `${filter}\n<div class="bar">${ofUser}${all}</div>\n`
}

/** A form posting one ending to `<prefix>/sessions/end`, with the session's CSRF token. */
function endForm (m: SessionsPageModel, fields: Record<string, string>, label: string, aria?: string, main = false): string {
  const hidden = Object.entries({ ...fields, token: m.formToken })
    .map(([k, v]) => `<input type="hidden" name="${k}" value="${escapeHtml(v)}">`).join('')
  const named = aria === undefined ? '' : ` aria-label="${escapeHtml(aria)}"`
  return `<form method="post" action="${escapeHtml(m.prefix)}/sessions/end">${hidden}` +
    `<button type="submit"${main ? ' class="main"' : ''}${named}>${escapeHtml(label)}</button></form>`
}

/** An ISO time as the page shows it: to the minute, in UTC (no script to localise it). */
function when (iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
}
