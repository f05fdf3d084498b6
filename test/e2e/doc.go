// Package e2e holds the browser tests of dev mode. Each test builds
// cmd/resource-server (once per run), starts it with --dev on two free
// loopback ports, so that the demo front-end and the API have different
// origins and CORS is real, and drives Debian's Chromium headless through the
// DevTools protocol with chromedp:
//
//   - TestLoginMessagesClaimsLogout: sign in on the embedded authorization
//     server's login page, read the messages (a screenshot of the page goes
//     to test/artifacts/messages-after-login.png), show the claims, sign out.
//   - TestExpiredSessionRecovers: with --dev-token-lifetime 3s, wait until
//     the API refuses the token (401, error="invalid_token"), see the page
//     say the session expired, and sign in again. It waits out the
//     verifier's clock leeway, so it takes about 35 seconds.
//   - TestAPIDownIsReported and TestCORSRefusalIsReported: the page tells a
//     resource server that is down from one that refuses the page's origin.
//
// The tests need a Chromium or Chrome executable: $CHROME_PATH, or
// /usr/bin/chromium (Debian: apt-get install -y chromium). Without one they
// skip, unless the CI environment variable is set, in which case they fail.
// When a test fails, a screenshot of the page at that moment is written to
// test/artifacts/<test>-failure.png and the program's output is logged.
//
// Run them with:
//
//	cd test && go test ./e2e
package e2e
