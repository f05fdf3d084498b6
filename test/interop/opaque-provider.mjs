// opaque-provider.mjs starts panva's oidc-provider for the Go tests of
// opaque tokens (RFC 7662 introspection, RFC 7009 revocation) and DPoP
// (RFC 9449): opaque_test.go and dpop_test.go. oidc-provider.mjs is left as
// it is; this one differs in what its tokens are and in counting requests.
//
//   issuer        http://127.0.0.1:<port>          (no path)
//   discovery     /.well-known/openid-configuration
//   keys          /jwks
//   token         /token                 client_credentials, resource indicators, DPoP
//   introspection /token/introspection   (named in discovery)
//   revocation    /token/revocation
//   counts        GET /_test/counts      {"token":n,"introspection":n,"revocation":n}
//
// Tokens (client_credentials):
//   - no resource parameter, or resource=urn:test:opaque: an OPAQUE access
//     token (oidc-provider's random string, kept in its memory) whose
//     introspection says aud "api://default" — what our program checks;
//   - resource=<any other absolute URI>: an RS256 JWT access token (typ
//     at+jwt) whose "aud" is that URI. Requested with a DPoP proof (header
//     DPoP), the token is DPoP-bound: token_type "DPoP" and cnf.jkt in the
//     JWT (features.dPoP, on by default in oidc-provider 9, made explicit).
//     Its scopes are those requested among api:read and orders:read.
//
// Clients (client_secret_basic):
//   CLIENT_ID / CLIENT_SECRET        default interop-client / interop-secret:
//                                    gets tokens, revokes its own
//   RS_CLIENT_ID / RS_CLIENT_SECRET  default rs-client / rs-secret: the
//                                    resource server's introspection client
//
// Environment: PORT (0 or unset: a free one), TOKEN_TTL (seconds, default
// 300), and the client variables above. It prints "READY <port>" once
// listening and exits on SIGTERM, SIGINT or when its stdin closes.
import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const env = process.env;
const port = Number(env.PORT || 0);
const clientId = env.CLIENT_ID || 'interop-client';
const clientSecret = env.CLIENT_SECRET || 'interop-secret';
const rsClientId = env.RS_CLIENT_ID || 'rs-client';
const rsClientSecret = env.RS_CLIENT_SECRET || 'rs-secret';
const ttl = Number(env.TOKEN_TTL || 300);
const OPAQUE_RESOURCE = 'urn:test:opaque';

// Requests counted by path, before oidc-provider sees them: the number of
// introspection calls the resource server made is read here.
const counted = {
  '/token': 'token',
  '/token/introspection': 'introspection',
  '/token/revocation': 'revocation',
};
const counts = { token: 0, introspection: 0, revocation: 0 };

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'opaque-provider-1', alg: 'RS256', use: 'sig' };

const server = http.createServer();
server.listen(port, '127.0.0.1', () => {
  const actual = server.address().port;
  const issuer = `http://127.0.0.1:${actual}`;
  const client = (id, secret) => ({
    client_id: id,
    client_secret: secret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
  });
  const provider = new Provider(issuer, {
    clients: [client(clientId, clientSecret), client(rsClientId, rsClientSecret)],
    jwks: { keys: [signingKey] },
    scopes: ['api:read'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => OPAQUE_RESOURCE,
        getResourceServerInfo: async (_ctx, resourceIndicator) => {
          if (resourceIndicator === OPAQUE_RESOURCE) {
            return {
              scope: 'api:read',
              audience: 'api://default',
              accessTokenTTL: ttl,
              accessTokenFormat: 'opaque',
            };
          }
          return {
            // orders:read: the README's gateway route (gateway_test.go).
            scope: 'api:read orders:read',
            audience: resourceIndicator,
            accessTokenTTL: ttl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
  });
  provider.proxy = false;
  provider.on('server_error', (_ctx, err) => console.error('server_error', err));
  const callback = provider.callback();

  server.on('request', (req, res) => {
    const path = req.url.split('?')[0];
    if (path === '/_test/counts') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(counts));
      return;
    }
    if (counted[path] && req.method === 'POST') counts[counted[path]] += 1;
    callback(req, res);
  });
  console.log(`READY ${actual}`);
  console.error(`opaque-provider ${issuer}`);
});

function stop() { server.close(); server.closeAllConnections?.(); process.exit(0); }
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', () => {});
process.stdin.resume();
