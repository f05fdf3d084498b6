// oidc-provider.mjs starts panva's oidc-provider (a certified OpenID
// provider) with an Okta-like layout, for the Go interop tests:
//
//   issuer    http://127.0.0.1:<port>/oauth2/default
//   discovery <issuer>/.well-known/openid-configuration
//   keys      <issuer>/v1/keys
//   token     <issuer>/v1/token   (client_credentials, resource indicators)
//
// Access tokens are RS256 JWTs whose "aud" is the requested resource
// (default api://default). Any absolute URI is accepted as a resource, so a
// test gets a wrong-audience token by asking for resource=api://other.
//
// Configuration (environment):
//   PORT            port to listen on (0 or unset: a free one); 127.0.0.1 only
//   ISSUER_PATH     mount path, default /oauth2/default
//   JWKS_FILE       a JSON file {"keys":[private RSA JWKs]}; the first key
//                   signs, all are published as given (rotation = restart
//                   with the order swapped). Unset: one fresh key.
//   CLIENT_ID       default interop-client
//   CLIENT_SECRET   default interop-secret
//   TOKEN_TTL       access token lifetime in seconds, default 300
//   ISSUER_URL      the issuer identifier to advertise (discovery, "iss"),
//                   for a provider reached through a proxy on another port;
//                   its path must be ISSUER_PATH's. Unset: the default above.
//
// It prints "READY <port>" on stdout once listening, and exits on SIGTERM,
// SIGINT or when its stdin closes (so it never outlives the test).
import http from 'node:http';
import fs from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const env = process.env;
const port = Number(env.PORT || process.argv[2] || 0);
const mount = (env.ISSUER_PATH ?? '/oauth2/default').replace(/\/$/, '');
const clientId = env.CLIENT_ID || 'interop-client';
const clientSecret = env.CLIENT_SECRET || 'interop-secret';
const ttl = Number(env.TOKEN_TTL || 300);

function loadKeys() {
  if (env.JWKS_FILE) {
    const jwks = JSON.parse(fs.readFileSync(env.JWKS_FILE, 'utf8'));
    // Taken as given: a key without "alg" is published without one (as
    // Entra ID publishes its keys).
    return jwks.keys;
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return [{ ...privateKey.export({ format: 'jwk' }), kid: 'generated-1', alg: 'RS256', use: 'sig' }];
}

const server = http.createServer();
server.listen(port, '127.0.0.1', () => {
  const actual = server.address().port;
  const issuer = env.ISSUER_URL ? env.ISSUER_URL.replace(/\/$/, '') : `http://127.0.0.1:${actual}${mount}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    }, {
      client_id: `${clientId}-post`,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    jwks: { keys: loadKeys() },
    routes: {
      jwks: '/v1/keys',
      token: '/v1/token',
      introspection: '/v1/introspect',
      revocation: '/v1/revoke',
      authorization: '/v1/authorize',
      userinfo: '/v1/userinfo',
      end_session: '/v1/logout',
    },
    scopes: ['openid', 'offline_access', 'api:read'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      // Lets a "use": "enc" key sit in the key set (published beside the
      // signing keys, as Keycloak does); nothing here encrypts.
      encryption: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => 'api://default',
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resourceIndicator) => ({
          scope: 'api:read',
          audience: resourceIndicator,
          accessTokenTTL: ttl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  provider.proxy = false;
  provider.on('server_error', (_ctx, err) => console.error('server_error', err));
  const callback = provider.callback();

  server.on('request', (req, res) => {
    // oidc-provider mounts under a path when originalUrl holds the full path
    // and url the part below the mount point.
    if (mount && (req.url === mount || req.url.startsWith(`${mount}/`) || req.url.startsWith(`${mount}?`))) {
      req.originalUrl = req.url;
      req.url = req.url.slice(mount.length) || '/';
      if (req.url.startsWith('?')) req.url = `/${req.url}`;
      callback(req, res);
      return;
    }
    if (!mount) {
      callback(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"not_found"}');
  });
  console.log(`READY ${actual}`);
  console.error(`oidc-provider ${issuer} keys=${provider.issuer}/v1/keys`);
});

function stop() { server.close(); server.closeAllConnections?.(); process.exit(0); }
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', () => {});
process.stdin.resume();
