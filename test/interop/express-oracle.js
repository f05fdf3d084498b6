/*
 * express-oracle.js re-creates Okta's Express resource-server sample
 * (okta/samples-nodejs-express-4, resource-server/server.js with its later
 * config.js) so that the Go interop tests can send the same requests to it
 * and to our resource server and compare the answers. It keeps the sample's
 * behaviour on purpose, bugs included: the unanchored, case-sensitive
 * /Bearer (.+)/ match, Express's HTML 401 page without WWW-Authenticate, the
 * raw verifier error as the body, assertClaims aud by strict equality.
 *
 * Two departures, both forced:
 *   - @okta/jwt-verifier 4.x requires the expected audience as an argument of
 *     verifyAccessToken (the sample was written for 0.0.x, which had none); we
 *     pass 'api://default', the value the sample hard-codes in assertClaims.
 *   - the sample always asserts cid: SPA_CLIENT_ID, whose default is the
 *     placeholder '{spaClientId}' (so every token is refused until it is
 *     set); here cid is asserted only when SPA_CLIENT_ID is set.
 *
 * Environment: ISSUER (required), SPA_CLIENT_ID, OKTA_TESTING_DISABLEHTTPSCHECK
 * (any non-empty value = true, as in the sample), JWKS_URI (the verifier's
 * jwksUri option; default issuer + '/v1/keys'), PORT (0 or unset: a free
 * port). Listens on 127.0.0.1, prints "READY <port>" on stdout, and exits on
 * SIGTERM/SIGINT or when stdin closes.
 */

const express = require('express');
const OktaJwtVerifier = require('@okta/jwt-verifier');
const cors = require('cors');

const ISSUER = process.env.ISSUER;
const SPA_CLIENT_ID = process.env.SPA_CLIENT_ID || '';
const OKTA_TESTING_DISABLEHTTPSCHECK = process.env.OKTA_TESTING_DISABLEHTTPSCHECK ? true : false;
const PORT = Number(process.env.PORT || process.argv[2] || 0);

const assertClaims = { aud: 'api://default' };
if (SPA_CLIENT_ID) {
  assertClaims.cid = SPA_CLIENT_ID;
}

const verifierOptions = {
  issuer: ISSUER,
  assertClaims,
  testing: { disableHttpsCheck: OKTA_TESTING_DISABLEHTTPSCHECK },
};
if (SPA_CLIENT_ID) {
  verifierOptions.clientId = SPA_CLIENT_ID;
}
if (process.env.JWKS_URI) {
  verifierOptions.jwksUri = process.env.JWKS_URI;
}
const oktaJwtVerifier = new OktaJwtVerifier(verifierOptions);

/**
 * A simple middleware that asserts valid access tokens and sends 401 responses
 * if the token is not present or fails validation.  If the token is valid its
 * contents are attached to req.jwt
 */
function authenticationRequired(req, res, next) {
  const authHeader = req.headers.authorization || '';
  const match = authHeader.match(/Bearer (.+)/);

  if (!match) {
    res.status(401);
    return next('Unauthorized');
  }

  const accessToken = match[1];

  return oktaJwtVerifier.verifyAccessToken(accessToken, 'api://default')
    .then((jwt) => {
      req.jwt = jwt;
      next();
    })
    .catch((err) => {
      res.status(401).send(err.message);
    });
}

const app = express();

/**
 * For local testing only!  Enables CORS for all domains
 */
app.use(cors());

app.get('/', (req, res) => {
  res.json({
    message: 'Hello!  There\'s not much to see here :) Please grab one of our front-end samples for use with this sample resource server',
  });
});

/**
 * An example route that requires a valid access token for authentication, it
 * will echo the contents of the access token if the middleware successfully
 * validated the token.
 */
app.get('/secure', authenticationRequired, (req, res) => {
  res.json(req.jwt);
});

/**
 * Another example route that requires a valid access token for authentication, and
 * print some messages for the user if they are authenticated
 */
app.get('/api/messages', authenticationRequired, (req, res) => {
  res.json({
    messages: [
      {
        date: new Date(),
        text: 'I am a robot.',
      },
      {
        date: new Date(new Date().getTime() - 1000 * 60 * 60),
        text: 'Hello, world!',
      },
    ],
  });
});

const server = app.listen(PORT, '127.0.0.1', () => {
  console.log(`READY ${server.address().port}`);
  console.error(`Resource Server Ready on port ${server.address().port}`);
});

function stop() { server.close(); server.closeAllConnections?.(); process.exit(0); }
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', () => {});
process.stdin.resume();
