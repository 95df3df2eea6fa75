// Signing in to the portal pages. The node says how (GET /viewer/login-options):
// - an OpenID Connect provider: authorization code flow with PKCE by oidc-client-ts; the provider answers in
//   the fragment (response_mode=fragment), so neither the code nor any token ever reaches a server log;
// - in development, a form that asks the node's dev issuer (POST /dev/tokens, loopback only) for a token;
//   absent when the node's dev tokens are off;
// - open-dev: nobody signs in.
// Tokens live in sessionStorage (this tab only) and travel only in Authorization headers. A token handed over
// in the fragment (#token=..., e.g. by a test or a launcher) is taken the same way and dropped from the address.
import { UserManager, WebStorageStateStore } from 'oidc-client-ts';

const KEY = 'imaging-node.session';

function root() {
  return new URL('..', location.href).pathname; // the node's context path, from /viewer/<page>.html
}

function saved() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    if (s && (!s.expiresAt || Date.parse(s.expiresAt) > Date.now() + 10_000)) return s;
  } catch { /* a damaged entry is no session */ }
  sessionStorage.removeItem(KEY);
  return null;
}

function keep(token, label, expiresAt, kind) {
  const s = { token, label, expiresAt: expiresAt || null, kind };
  sessionStorage.setItem(KEY, JSON.stringify(s));
  return s;
}

/** A readable name for the person a JWT is about (never shown to anyone else). */
function labelOf(token) {
  try {
    const claims = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return claims.name || claims.professional_id || claims.patient_id || claims.sub || '';
  } catch {
    return '';
  }
}

export async function loginOptions() {
  const rs = await fetch(`${root()}viewer/login-options`, { headers: { Accept: 'application/json' } });
  if (!rs.ok) throw new Error(`${rs.status}`);
  return rs.json();
}

function userManager(oidc) {
  const here = location.origin + location.pathname;
  return new UserManager({
    authority: oidc.authority,
    client_id: oidc.clientId,
    scope: oidc.scope,
    redirect_uri: here,
    post_logout_redirect_uri: here,
    response_type: 'code',
    response_mode: 'fragment',
    userStore: new WebStorageStateStore({ store: sessionStorage }),
    stateStore: new WebStorageStateStore({ store: sessionStorage }),
    automaticSilentRenew: false,
  });
}

/**
 * The page's session: { token, label, logout() } when signed in (or null when nobody needs to be: open-dev),
 * else shows the sign-in panel in `panel` and never resolves (the page reloads once signed in).
 */
export async function session(panel, t) {
  const options = await loginOptions();
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get('token')) {
    const token = hash.get('token');
    history.replaceState(null, '', location.pathname + location.search);
    keep(token, labelOf(token), null, 'handed');
  }
  const manager = options.oidc ? userManager(options.oidc) : null;
  if (manager && (hash.get('code') || hash.get('error')) && hash.get('state')) {
    try {
      const user = await manager.signinRedirectCallback(location.href);
      keep(user.access_token, user.profile?.name || labelOf(user.access_token),
        user.expires_at ? new Date(user.expires_at * 1000).toISOString() : null, 'oidc');
    } finally {
      history.replaceState(null, '', location.pathname + location.search);
    }
  }
  const s = saved();
  if (s) {
    return {
      ...s,
      async logout() {
        sessionStorage.removeItem(KEY);
        if (s.kind === 'oidc' && manager) {
          await manager.removeUser();
          try {
            await manager.signoutRedirect();
            return;
          } catch { /* the provider has no end-session endpoint */ }
        }
        location.reload();
      },
    };
  }
  if (options.mode === 'open-dev') return null;
  showLogin(panel, t, options, manager);
  return new Promise(() => {});
}

function showLogin(panel, t, options, manager) {
  panel.hidden = false;
  document.body.dataset.state = 'login';
  const parts = [];
  if (manager) {
    const b = document.createElement('button');
    b.id = 'oidc-login';
    b.textContent = t('login.oidc');
    b.addEventListener('click', () => manager.signinRedirect());
    parts.push(b);
  }
  if (options.devLogin) parts.push(devForm(t));
  if (!parts.length) {
    const p = document.createElement('p');
    p.textContent = t('login.unavailable');
    parts.push(p);
  }
  const h = document.createElement('h2');
  h.textContent = t('login.title');
  panel.replaceChildren(h, ...parts);
}

function devForm(t) {
  const form = document.createElement('form');
  form.id = 'dev-login';
  const field = (name, label, extra = {}) => {
    const l = document.createElement('label');
    const span = document.createElement('span');
    span.textContent = t(label);
    const input = document.createElement('input');
    input.name = name;
    input.autocomplete = 'off';
    Object.assign(input, extra);
    l.append(span, ' ', input);
    return l;
  };
  const warning = document.createElement('p');
  warning.className = 'dev-warning';
  warning.textContent = t('login.devWarning');
  const role = document.createElement('select');
  role.name = 'role';
  for (const r of ['patient', 'professional']) {
    const o = document.createElement('option');
    o.value = r;
    o.textContent = t(`login.${r}`);
    role.append(o);
  }
  const roleLabel = document.createElement('label');
  roleLabel.append(t('login.role'), ' ', role);
  const submit = document.createElement('button');
  submit.type = 'submit';
  submit.textContent = t('login.submit');
  const error = document.createElement('p');
  error.className = 'login-error';
  error.setAttribute('aria-live', 'polite');
  form.append(warning, roleLabel, field('id', 'login.id', { required: true }),
    field('organisation', 'login.organisation'), submit, error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = form.elements;
    const id = f.id.value.trim();
    const body = f.role.value === 'patient' ? { subject: `patient-${id}`, patientId: id }
      : { subject: `pro-${id}`, professionalId: id, organisation: f.organisation.value.trim() || undefined };
    try {
      const rs = await fetch(`${root()}dev/tokens`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
      });
      if (!rs.ok) throw new Error(`${rs.status}`);
      const { token, expiresAt } = await rs.json();
      keep(token, id, expiresAt, 'dev');
      location.reload();
    } catch (err) {
      error.textContent = `${t('login.failed')} (${err.message})`;
    }
  });
  return form;
}

/** The header's "signed in as ... / log out" and the language switch. */
export function userBar(bar, t, s, lang) {
  const parts = [];
  if (s) {
    const who = document.createElement('span');
    who.id = 'signed-in';
    who.textContent = `${t('login.as')} ${s.label || ''}`;
    const out = document.createElement('button');
    out.id = 'logout';
    out.textContent = t('login.logout');
    out.addEventListener('click', () => s.logout());
    parts.push(who, out);
  }
  parts.push(languageSwitch(lang));
  bar.replaceChildren(...parts);
}

/** FR / EN links: the same page in the other language (the session survives, it is in sessionStorage). */
export function languageSwitch(lang) {
  const nav = document.createElement('span');
  nav.className = 'lang-switch';
  for (const l of ['fr', 'en']) {
    const a = document.createElement('a');
    const u = new URL(location.href);
    u.hash = '';
    u.searchParams.set('lang', l);
    a.href = u.pathname + u.search;
    a.textContent = l.toUpperCase();
    a.lang = l;
    a.dataset.lang = l;
    if (l === lang) a.setAttribute('aria-current', 'true');
    nav.append(a, ' ');
  }
  return nav;
}
