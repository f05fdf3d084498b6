// The "Messages" demo front-end of resource-server.
//
// Sign-in is the OAuth 2.0 authorization code flow with PKCE (RFC 7636, S256)
// for a public client: no client secret, no back-end. The flow's secrets
// (code verifier, state, nonce) and the tokens live in this tab's
// sessionStorage. Every page is built with DOM calls and textContent, never
// from HTML strings, so nothing the servers send can run as script.

const TOKENS_KEY = 'resource-server-demo.tokens';
const LOGIN_KEY = 'resource-server-demo.login';

const $ = (selector) => document.querySelector(selector);

let config = null; // /config.json
let discoveryPromise = null; // the issuer's discovery document, fetched once
let renderGeneration = 0; // a view's late answer must not overwrite a newer view
let expiryTimer = 0; // re-renders what depends on the session when the access token expires

// AppError is an error the user can act on: kind is a stable name (also set
// as #error's data-kind), title says what happened, detail says why and what
// to do, relogin offers the "Sign in again" button.
class AppError extends Error {
  constructor(kind, title, detail, { relogin = false } = {}) {
    super(title);
    this.kind = kind;
    this.title = title;
    this.detail = detail;
    this.relogin = relogin;
  }
}

// ---------------------------------------------------------------- helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'onclick') node.addEventListener('click', value);
    else node.setAttribute(key === 'className' ? 'class' : key, value === true ? '' : String(value));
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

function base64url(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(byteCount) {
  return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

function base64urlDecode(s) {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}

// decodeJWT reads a JWT's header and payload without verifying it: the app
// only displays them and reads its own ID token, received directly from the
// token endpoint (OpenID Connect Core §3.1.3.7 allows that in place of a
// signature check). The resource server is what verifies access tokens.
function decodeJWT(token) {
  try {
    const [header, payload] = token.split('.');
    return { header: JSON.parse(base64urlDecode(header)), payload: JSON.parse(base64urlDecode(payload)) };
  } catch {
    return null;
  }
}

function formatTime(date) {
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

// timeElement shows a date and a time as two unbreakable parts, so a narrow
// column can put the time under the date instead of breaking either.
function timeElement(date) {
  return el('time', { datetime: date.toISOString(), title: formatTime(date) },
    el('span', {}, date.toLocaleDateString(undefined, { dateStyle: 'medium' })), ' ',
    el('span', {}, date.toLocaleTimeString(undefined, { timeStyle: 'medium' })));
}

function apiBase() {
  return config.apiBaseUrl || location.origin;
}

function redirectURI() {
  return location.origin + config.redirectPath;
}

// safePath keeps a return path on this origin.
function safePath(p) {
  return typeof p === 'string' && p.startsWith('/') && !p.startsWith('//') && !p.startsWith('/\\') ? p : '/';
}

// ----------------------------------------------------------------- tokens

function loadTokens() {
  try {
    const t = JSON.parse(sessionStorage.getItem(TOKENS_KEY) || 'null');
    return t && typeof t.access_token === 'string' ? t : null;
  } catch {
    return null;
  }
}

function saveTokens(t) {
  sessionStorage.setItem(TOKENS_KEY, JSON.stringify(t));
}

function clearSession() {
  sessionStorage.removeItem(TOKENS_KEY);
  sessionStorage.removeItem(LOGIN_KEY);
}

// expiresAt is when the access token expires, in ms since the epoch: the
// earlier of the token endpoint's expires_in and the token's own exp claim
// (when it is a JWT), or null when neither is known.
function expiresAt(tokens) {
  const times = [];
  if (typeof tokens.expires_at === 'number') times.push(tokens.expires_at);
  const jwt = decodeJWT(tokens.access_token);
  if (jwt && typeof jwt.payload.exp === 'number') times.push(jwt.payload.exp * 1000);
  return times.length ? Math.min(...times) : null;
}

function isExpired(tokens) {
  const at = expiresAt(tokens);
  return at !== null && Date.now() >= at;
}

// hasLiveSession reports whether this tab holds an access token that has not
// expired yet.
function hasLiveSession() {
  const tokens = loadTokens();
  return !!tokens && !isExpired(tokens);
}

function userClaims(tokens) {
  const id = tokens.id_token && decodeJWT(tokens.id_token);
  if (id) return id.payload;
  const at = decodeJWT(tokens.access_token);
  return at ? at.payload : {};
}

function displayName(claims) {
  return claims.name || claims.preferred_username || claims.email || claims.sub || 'you';
}

// ------------------------------------------------------------ networking

// networkError explains a fetch that threw. Browsers report "server down"
// and "server refused this origin by CORS" with the same TypeError; a second
// request in no-cors mode tells them apart, because it succeeds (with an
// answer the page may not read) whenever the server answers at all.
async function networkError(role, url) {
  const origin = new URL(url, location.href).origin;
  let answered = false;
  try {
    await fetch(url, { mode: 'no-cors', cache: 'no-store', credentials: 'omit' });
    answered = true;
  } catch {
    answered = false;
  }
  if (answered) {
    return new AppError(
      'cors',
      `The ${role} at ${origin} refused this page's request (CORS)`,
      `The server answered, but not with an Access-Control-Allow-Origin header that admits ${location.origin}, so the browser withheld the answer from this page. Allow ${location.origin} in the server's CORS settings.`,
    );
  }
  return new AppError(
    'unreachable',
    `The ${role} at ${origin} is not reachable`,
    `GET ${url} failed before any answer arrived: the server is not running, the address is wrong, or the network refused the connection (a server that refuses this origin by CORS can look the same to a browser).`,
  );
}

async function readJSON(res) {
  try {
    return await res.json();
  } catch {
    return null;
  }
}

// parseChallenge reads the auth-params of a "Bearer" WWW-Authenticate header
// (RFC 6750 §3). The resource server must list WWW-Authenticate in
// Access-Control-Expose-Headers for a cross-origin page to see it; the JSON
// body's error and error_description are used when it does not.
function parseChallenge(header) {
  const params = {};
  if (!header || !/^\s*bearer\b/i.test(header)) return params;
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (const m of header.replace(/^\s*bearer\s*/i, '').matchAll(re)) {
    params[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  }
  return params;
}

async function discover() {
  if (!config.issuer) {
    throw new AppError('config', 'No issuer is configured', 'Start the server with the URL of your authorization server, e.g. https://{yourOktaDomain}/oauth2/default, or run it with --dev.');
  }
  const url = config.issuer + '/.well-known/openid-configuration';
  let res;
  try {
    res = await fetch(url, { headers: { Accept: 'application/json' } });
  } catch {
    throw await networkError('authorization server', url);
  }
  const doc = await readJSON(res);
  if (!res.ok || !doc) {
    throw new AppError('issuer', "The authorization server's discovery document could not be read", `GET ${url} answered ${res.status}${doc ? '' : ' without JSON'}. Check the issuer URL.`);
  }
  if (doc.issuer !== config.issuer) {
    throw new AppError('issuer', 'The discovery document names another issuer', `Expected "${config.issuer}", found "${doc.issuer}". Configure the issuer exactly as the authorization server spells it.`);
  }
  if (!doc.authorization_endpoint || !doc.token_endpoint) {
    throw new AppError('issuer', 'The authorization server does not offer the authorization code flow', `${url} lacks authorization_endpoint or token_endpoint.`);
  }
  const methods = doc.code_challenge_methods_supported;
  if (Array.isArray(methods) && !methods.includes('S256')) {
    throw new AppError('issuer', 'The authorization server does not support PKCE with S256', `code_challenge_methods_supported is ${JSON.stringify(methods)}.`);
  }
  return doc;
}

function discovery() {
  if (!discoveryPromise) {
    discoveryPromise = discover().catch((err) => {
      discoveryPromise = null; // try again next time
      throw err;
    });
  }
  return discoveryPromise;
}

// callAPI GETs path from the resource server with the access token and
// returns the decoded JSON, or throws an AppError that says why not. It sends
// the request even when the token looks expired here: the resource server is
// the judge (clocks differ), and its answer is what the demo shows.
async function callAPI(path) {
  const tokens = loadTokens();
  if (!tokens) {
    throw new AppError('signed-out', 'You are not signed in', 'Sign in to call the resource server.', { relogin: true });
  }
  const url = apiBase() + path;
  let res;
  try {
    res = await fetch(url, {
      headers: { Authorization: `Bearer ${tokens.access_token}`, Accept: 'application/json' },
      cache: 'no-store',
    });
  } catch {
    throw await networkError('resource server', url);
  }
  const body = await readJSON(res);
  if (res.ok) {
    if (body === null) throw new AppError('api', 'The resource server sent something other than JSON', `GET ${url} answered ${res.status}.`);
    return body;
  }
  const challenge = parseChallenge(res.headers.get('WWW-Authenticate'));
  const error = challenge.error || (body && body.error) || '';
  const description = challenge.error_description || (body && body.error_description) || '';
  const answer = `GET ${url} answered ${res.status}${error ? ` with error="${error}"` : ''}${description ? `: ${description}` : ''}.`;
  switch (res.status) {
    case 401:
      if (error === 'invalid_token') {
        // The server's description is the better witness; without one, the
        // token's own expiry time decides.
        const expired = description ? /expire/i.test(description) : isExpired(tokens);
        if (expired) {
          throw new AppError('expired', 'Your session has expired', `${answer} Sign in again to get a new access token.`, { relogin: true });
        }
        const note = isExpired(tokens) ? ` (The token also expired at ${formatTime(new Date(expiresAt(tokens)))}.)` : '';
        throw new AppError('invalid-token', 'The resource server refused your access token', `${answer}${note} Signing in again gets a new one.`, { relogin: true });
      }
      throw new AppError('unauthorized', 'The resource server wants credentials', answer, { relogin: true });
    case 403:
      throw new AppError(
        'insufficient-scope',
        'Your access token lacks a scope this page needs',
        `${answer}${challenge.scope ? ` Required scope: ${challenge.scope}.` : ''} Ask for the scope at sign-in (and have the authorization server grant it).`,
      );
    case 400:
      throw new AppError('bad-request', 'The resource server refused the request as malformed', answer);
    case 503:
      throw new AppError('unavailable', 'The resource server cannot verify tokens right now', `${answer} It could not fetch the issuer's keys; try again shortly.`);
    default:
      throw new AppError('api', `The resource server answered ${res.status}`, answer);
  }
}

// --------------------------------------------------------------- sign-in

async function signIn(returnTo) {
  if (!window.isSecureContext || !crypto.subtle) {
    throw new AppError('insecure', 'Sign-in needs a secure page', 'PKCE uses the browser\'s Web Crypto API, which works only on https:// pages and on http://localhost. Open this page that way.');
  }
  const doc = await discovery();
  const verifier = randomString(32); // 43 characters, RFC 7636 §4.1
  const state = randomString(16);
  const nonce = randomString(16);
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(LOGIN_KEY, JSON.stringify({ verifier, state, nonce, returnTo: safePath(returnTo) }));
  const url = new URL(doc.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectURI(),
    scope: config.scopes.join(' '),
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

// completeSignIn handles the redirect back from the authorization server:
// it checks state, exchanges the code for tokens and checks the ID token.
async function completeSignIn() {
  const params = new URLSearchParams(location.search);
  let pending = null;
  try {
    pending = JSON.parse(sessionStorage.getItem(LOGIN_KEY) || 'null');
  } catch {
    pending = null;
  }
  sessionStorage.removeItem(LOGIN_KEY); // state and verifier are single-use
  // Take the code out of the address bar and the history.
  history.replaceState(null, '', pending ? safePath(pending.returnTo) : '/');

  const stale = !pending || !pending.state || pending.state !== params.get('state');
  if (stale && hasLiveSession()) {
    // The answer to a sign-in this tab already completed: the login page was
    // shown again from the history (Back) and submitted. The tab is signed
    // in, so there is nothing to do; the code is never redeemed.
    return;
  }
  if (params.get('error')) {
    const desc = params.get('error_description');
    throw new AppError('login', 'Sign-in failed', `The authorization server answered error="${params.get('error')}"${desc ? `: ${desc}` : ''}.`, { relogin: true });
  }
  const code = params.get('code');
  if (!code) {
    throw new AppError('login', 'Sign-in failed', 'The authorization server sent no code.', { relogin: true });
  }
  if (stale) {
    throw new AppError('login', 'Sign-in could not be completed', 'The answer does not belong to a sign-in this tab started (its state does not match): the login page was probably opened from the browser history or in another tab. Sign in again.', { relogin: true });
  }
  const body = await redeemCode(code, pending.verifier);
  checkIDToken(body.id_token, pending.nonce);
  saveTokens({
    access_token: body.access_token,
    id_token: body.id_token || null,
    token_type: body.token_type || 'Bearer',
    scope: body.scope || config.scopes.join(' '),
    expires_at: typeof body.expires_in === 'number' ? Date.now() + body.expires_in * 1000 : null,
  });
}

// redeemCode exchanges an authorization code for tokens at the token
// endpoint and returns the answer, which holds an access token.
async function redeemCode(code, verifier) {
  const doc = await discovery();
  let res;
  try {
    res = await fetch(doc.token_endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectURI(),
        client_id: config.clientId,
        code_verifier: verifier,
      }),
    });
  } catch {
    throw await networkError('authorization server', doc.token_endpoint);
  }
  const body = await readJSON(res);
  if (!res.ok || !body || typeof body.access_token !== 'string') {
    const err = body && body.error ? ` with error="${body.error}"${body.error_description ? `: ${body.error_description}` : ''}` : '';
    throw new AppError('login', 'The authorization server refused to issue tokens', `POST ${doc.token_endpoint} answered ${res.status}${err}.`, { relogin: true });
  }
  return body;
}

// checkIDToken checks the claims of the ID token the token endpoint sent, if
// it sent one, against this app and the nonce of this sign-in.
function checkIDToken(idToken, nonce) {
  if (!idToken) return;
  const id = decodeJWT(idToken);
  const aud = id && (Array.isArray(id.payload.aud) ? id.payload.aud : [id.payload.aud]);
  let problem = '';
  if (!id) problem = 'it is not a JWT';
  else if (id.payload.iss !== config.issuer) problem = `its iss is "${id.payload.iss}", expected "${config.issuer}"`;
  else if (!aud.includes(config.clientId)) problem = `its aud ${JSON.stringify(id.payload.aud)} does not name client "${config.clientId}"`;
  else if (id.payload.nonce !== nonce) problem = 'its nonce does not match the one this tab sent';
  if (problem) {
    throw new AppError('login', 'The ID token was refused', `The token endpoint's ID token was refused: ${problem}.`, { relogin: true });
  }
}

async function signOut() {
  const tokens = loadTokens();
  clearSession();
  let doc = null;
  try {
    doc = await discovery();
  } catch {
    doc = null; // sign out locally anyway
  }
  if (doc && doc.end_session_endpoint && tokens && tokens.id_token) {
    const url = new URL(doc.end_session_endpoint);
    url.searchParams.set('id_token_hint', tokens.id_token);
    url.searchParams.set('post_logout_redirect_uri', location.origin + '/');
    location.assign(url.toString());
    return;
  }
  navigate('/');
}

// ------------------------------------------------------------------- views

function showError(err) {
  const box = $('#error');
  const e = err instanceof AppError ? err : new AppError('unexpected', 'Something went wrong', String(err && err.message ? err.message : err));
  if (!(err instanceof AppError)) console.error(err);
  const children = [el('h2', { className: 'alert-title' }, e.title)];
  if (e.detail) children.push(el('p', { className: 'alert-detail' }, e.detail));
  if (e.relogin) children.push(el('button', { id: 'relogin', type: 'button', className: 'button primary', onclick: () => run(() => signIn(location.pathname)) }, 'Sign in again'));
  box.replaceChildren(...children); // never null: replaceChildren would show it as text
  box.dataset.kind = e.kind;
  box.hidden = false;
  syncSignInAction();
}

function clearError() {
  const box = $('#error');
  box.hidden = true;
  box.replaceChildren();
  delete box.dataset.kind;
  syncSignInAction();
}

// syncSignInAction keeps one way to sign in on screen: the error's "Sign in
// again" when it has one, else the header's "Sign in" while signed out.
function syncSignInAction() {
  $('#login').hidden = !!loadTokens() || !!document.querySelector('#relogin');
}

// run calls fn and shows what it throws.
async function run(fn) {
  try {
    await fn();
  } catch (err) {
    showError(err);
  }
}

function setView(...children) {
  const view = $('#view');
  view.replaceChildren(...children);
}

// signInPrompt says why the page is empty; the one sign-in button is the
// header's.
function signInPrompt(what) {
  return el('div', { className: 'card empty' },
    el('p', {}, `You are not signed in. Sign in to ${what}.`));
}

function homeView(tokens) {
  if (!tokens) {
    setView(
      el('h1', {}, 'Messages'),
      el('p', { className: 'lead' }, 'A demo of a single-page app that signs you in with OAuth 2.0 (authorization code flow with PKCE) and calls a protected API with the access token.'),
      el('ol', { className: 'steps' },
        el('li', {}, 'Sign in at the authorization server.'),
        el('li', {}, 'Messages calls GET /api/messages with your access token.'),
        el('li', {}, 'Claims calls GET /secure, which echoes the verified token.')),
      signInPrompt('start'),
    );
    return;
  }
  const claims = userClaims(tokens);
  const at = expiresAt(tokens);
  const expired = isExpired(tokens);
  setView(
    el('h1', { dataset: { testid: 'welcome' } }, `Welcome, ${displayName(claims)}!`),
    el('p', { className: 'lead' }, expired
      ? 'Your session has expired: the resource server will refuse your access token. Sign in again to get a new one.'
      : 'You are signed in. Open Messages or Claims to call the resource server with your access token.'),
    el('div', { className: 'card' },
      el('dl', { className: 'facts' },
        claims.email ? [el('dt', {}, 'Email'), el('dd', {}, claims.email)] : null,
        el('dt', {}, 'Subject'), el('dd', {}, el('code', {}, String(claims.sub || '?'))),
        el('dt', {}, 'Scopes'), el('dd', {}, tokens.scope || '?'),
        el('dt', {}, 'Access token'),
        el('dd', { className: expired ? 'warn' : '' }, at === null ? 'expiry unknown' : `${expired ? 'expired' : 'expires'} ${formatTime(new Date(at))}`))),
  );
  if (expired) {
    showError(new AppError('expired', 'Your session has expired', `Your access token expired at ${formatTime(new Date(at))}.`, { relogin: true }));
  }
}

async function messagesView(tokens, generation) {
  setView(el('h1', {}, 'Messages'), tokens ? el('p', { className: 'muted loading' }, 'Loading messages…') : signInPrompt('read your messages'));
  if (!tokens) return;
  const data = await callAPI('/api/messages');
  if (generation !== renderGeneration) return;
  const messages = Array.isArray(data.messages) ? data.messages : [];
  const rows = messages.map((m) => {
    const date = new Date(m.date);
    return el('tr', { dataset: { testid: 'message' } },
      el('td', { className: 'date' }, Number.isNaN(date.getTime()) ? String(m.date) : timeElement(date)),
      el('td', { dataset: { testid: 'message-text' } }, String(m.text)));
  });
  setView(
    el('h1', {}, 'Messages'),
    el('p', { className: 'muted' }, `GET ${apiBase()}/api/messages`),
    el('div', { id: 'messages', className: 'card table-wrap' },
      el('table', {},
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Date'), el('th', { scope: 'col' }, 'Message'))),
        el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: '2', className: 'muted' }, 'No messages.'))))),
  );
}

async function claimsView(tokens, generation) {
  setView(el('h1', {}, 'Claims'), tokens ? el('p', { className: 'muted loading' }, 'Loading claims…') : signInPrompt('see the claims of your access token'));
  if (!tokens) return;
  const data = await callAPI('/secure');
  if (generation !== renderGeneration) return;
  const header = data.header || {};
  const claims = data.claims || data;
  const row = (name, value) => (value === undefined ? null : [el('dt', {}, name), el('dd', {}, el('code', {}, Array.isArray(value) ? value.join(' ') : String(value)))]);
  setView(
    el('h1', {}, 'Claims'),
    el('p', { className: 'muted' }, `GET ${apiBase()}/secure: the access token as the resource server verified it`),
    el('div', { id: 'claims' },
      el('div', { className: 'card' },
        el('dl', { className: 'facts' },
          row('Issuer', claims.iss),
          row('Audience', claims.aud),
          row('Subject', claims.sub),
          row('Client', claims.cid || claims.client_id),
          row('Scopes', claims.scp || claims.scope),
          typeof claims.exp === 'number' ? row('Expires', formatTime(new Date(claims.exp * 1000))) : null)),
      el('div', { className: 'grid' },
        el('div', { className: 'card' }, el('h2', {}, 'Header'), el('pre', { dataset: { testid: 'token-header' } }, JSON.stringify(header, null, 2))),
        el('div', { className: 'card' }, el('h2', {}, 'Claims'), el('pre', { dataset: { testid: 'token-claims' } }, JSON.stringify(claims, null, 2))))),
  );
}

function notFoundView() {
  setView(el('h1', {}, 'Not found'), el('p', {}, 'There is no page at this address. ', el('a', { href: '/', dataset: { route: '' } }, 'Go home'), '.'));
}

function renderChrome(tokens) {
  $('#logout').hidden = !tokens;
  const user = $('#user');
  const expired = !!tokens && isExpired(tokens);
  user.hidden = !tokens;
  user.textContent = tokens ? displayName(userClaims(tokens)) + (expired ? ' · session expired' : '') : '';
  user.classList.toggle('warn', expired);
  document.body.dataset.session = !tokens ? 'none' : expired ? 'expired' : 'live';
  syncSignInAction();
  for (const link of document.querySelectorAll('.nav a')) {
    if (link.getAttribute('href') === location.pathname) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

// watchExpiry re-renders, when the access token expires, what says whether
// the session is live: the header, and the home page, which says so in words.
function watchExpiry(tokens, generation) {
  clearTimeout(expiryTimer);
  const at = tokens && expiresAt(tokens);
  if (!at || Date.now() >= at) return;
  const delay = Math.min(at - Date.now() + 50, 2 ** 31 - 1); // setTimeout's limit
  expiryTimer = setTimeout(() => {
    if (generation !== renderGeneration) return;
    if (location.pathname === '/') render();
    else renderChrome(loadTokens());
  }, delay);
}

async function render() {
  const generation = ++renderGeneration;
  clearError();
  const tokens = loadTokens();
  renderChrome(tokens);
  watchExpiry(tokens, generation);
  document.body.dataset.signedIn = tokens ? 'true' : 'false';
  try {
    switch (location.pathname) {
      case '/':
        homeView(tokens);
        break;
      case '/messages':
        await messagesView(tokens, generation);
        break;
      case '/claims':
        await claimsView(tokens, generation);
        break;
      default:
        notFoundView();
    }
  } catch (err) {
    if (generation !== renderGeneration) return;
    $('#view').querySelector('.loading')?.remove();
    showError(err);
  }
}

function navigate(path) {
  if (path !== location.pathname + location.search) history.pushState(null, '', path);
  render();
}

function renderSettings() {
  const items = [
    ['Issuer', config.issuer || '(none)'],
    ['Client ID', config.clientId || '(none)'],
    ['API', apiBase()],
  ];
  $('#settings').replaceChildren(...items.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, el('code', {}, v))]));
}

// ------------------------------------------------------------------ start

async function main() {
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a[data-route]');
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(link.getAttribute('href'));
  });
  window.addEventListener('popstate', render);
  $('#login').addEventListener('click', () => run(() => signIn(location.pathname)));
  $('#logout').addEventListener('click', () => run(signOut));

  try {
    const res = await fetch('/config.json', { cache: 'no-cache' });
    if (!res.ok) throw new Error(`GET /config.json answered ${res.status}`);
    config = await res.json();
  } catch (err) {
    showError(new AppError('config', 'The app could not load its configuration', String(err.message || err)));
    return;
  }
  config.scopes = Array.isArray(config.scopes) && config.scopes.length ? config.scopes : ['openid', 'profile', 'email'];
  config.redirectPath = config.redirectPath || '/login/callback';
  renderSettings();

  if (location.pathname === config.redirectPath) {
    try {
      await completeSignIn();
    } catch (err) {
      await render();
      showError(err);
      return;
    }
  }
  await render();
}

main();
