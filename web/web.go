// Package web is the demo "Messages" front-end: a small single-page app,
// written in plain HTML, CSS and JavaScript and embedded in the binary, that
// signs a user in with the authorization code flow and PKCE (S256), calls the
// resource server's /api/messages and /secure with the access token, and
// signs out again.
//
// It plays the part of the front-end samples that Okta's Express
// resource-server sample expects the user to run beside it. The implicit flow
// those samples used is deprecated by the OAuth 2.0 Security Best Current
// Practice (RFC 9700), so this app uses the authorization code flow with
// PKCE instead; it needs no client secret and no back-end of its own.
//
// Serve it on its own origin (resource-server --dev serves it on
// http://localhost:8080 while the API listens on http://localhost:8000), so
// that the browser applies CORS to the API calls exactly as it would in
// production. It works with the embedded development issuer and, given an
// issuer URL and the client ID of a single-page-app integration, with a real
// Okta org.
//
// The app needs no Node.js and loads nothing from other sites. Its pages carry
// a Content-Security-Policy that allows scripts and styles from the app's own
// origin only and network requests to the app's origin, the issuer's origin
// and the API's origin only.
//
// Tokens are kept in the tab's sessionStorage: they survive a reload of the
// tab but not its closing, and they are never sent anywhere but to the issuer
// and to the API.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
)

// Defaults of [Config].
const (
	// DefaultRedirectPath is the path of the redirect URI; the redirect URI
	// itself is the front-end's origin followed by this path, e.g.
	// http://localhost:8080/login/callback, as Okta's SPA samples register it.
	DefaultRedirectPath = "/login/callback"
)

// DefaultScopes are the scopes the app asks for when Config.Scopes is empty.
var DefaultScopes = []string{"openid", "profile", "email"}

// Config tells the app which authorization server to sign in with and which
// resource server to call. It is served to the browser as /config.json, so it
// must hold nothing secret (a single-page app is a public client and has no
// secret).
type Config struct {
	// Issuer is the authorization server's issuer URL, e.g.
	// "http://localhost:8000/oauth2/default" (the embedded development
	// issuer) or "https://{yourOktaDomain}/oauth2/default". The app reads
	// Issuer + "/.well-known/openid-configuration" to find the other
	// endpoints. A trailing slash is removed.
	Issuer string `json:"issuer"`
	// ClientID is the public client ID of the single-page app ("dev-spa"
	// for the development issuer).
	ClientID string `json:"clientId"`
	// APIBaseURL is the resource server's base URL, e.g.
	// "http://localhost:8000"; the app calls APIBaseURL + "/api/messages"
	// and APIBaseURL + "/secure". Empty means the front-end's own origin. A
	// trailing slash is removed.
	APIBaseURL string `json:"apiBaseUrl"`
	// Scopes are the scopes requested at sign-in; default DefaultScopes.
	Scopes []string `json:"scopes"`
	// RedirectPath is the path, on the front-end's own origin, of the
	// redirect URI that must be registered with the authorization server;
	// default DefaultRedirectPath.
	RedirectPath string `json:"redirectPath"`
}

// withDefaults returns a copy of c with defaults filled in and URLs
// normalised.
func (c Config) withDefaults() Config {
	c.Issuer = strings.TrimRight(strings.TrimSpace(c.Issuer), "/")
	c.APIBaseURL = strings.TrimRight(strings.TrimSpace(c.APIBaseURL), "/")
	c.ClientID = strings.TrimSpace(c.ClientID)
	if len(c.Scopes) == 0 {
		c.Scopes = DefaultScopes
	}
	c.Scopes = append([]string(nil), c.Scopes...)
	if c.RedirectPath == "" {
		c.RedirectPath = DefaultRedirectPath
	}
	if !strings.HasPrefix(c.RedirectPath, "/") {
		c.RedirectPath = "/" + c.RedirectPath
	}
	return c
}

//go:embed static
var staticFS embed.FS

//go:embed static/palette.css
var paletteCSS string

// PaletteCSS returns the app's palette: a style sheet that defines its
// colours, light and dark (under prefers-color-scheme: dark), and the
// radius and shadow of its cards as custom properties of :root (--bg,
// --surface, --text, --muted, --border, --accent, --danger, --warn, …).
// The app serves it as /static/palette.css; a page served elsewhere that
// should look like the app, such as the development issuer's login page,
// inlines it.
func PaletteCSS() string { return paletteCSS }

// asset is one file ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

func newAsset(body []byte, contentType string) asset {
	sum := sha256.Sum256(body)
	return asset{
		body:        body,
		contentType: contentType,
		etag:        `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`,
	}
}

type handler struct {
	csp    string
	index  asset
	config asset
	static map[string]asset // by URL path, e.g. "/static/app.js"
}

// Handler serves the app for cfg:
//
//	/                 the app's HTML shell (index.html)
//	/static/…         app.js, palette.css, style.css, favicon.svg; any other
//	                  name → 404
//	/config.json      cfg, with defaults applied, as JSON
//	anything else     the HTML shell, so that client-side routes such as
//	                  /messages and the redirect path /login/callback load
//	                  the app; a path whose last segment has an extension
//	                  (e.g. /robots.txt) is answered 404 instead
//
// Only GET and HEAD are allowed. Every response carries a
// Content-Security-Policy (scripts and styles from the app's own origin only;
// network requests to the app's, the issuer's and the API's origins only),
// X-Content-Type-Options: nosniff and Referrer-Policy: no-referrer (the
// redirect URL carries the authorization code, which must not leak in a
// Referer). Files carry an ETag and Cache-Control: no-cache, so a browser
// revalidates them cheaply and never keeps an old app after an upgrade.
//
// Handler does not validate cfg: an empty or wrong Issuer shows up in the
// page as an error that names the URL it could not read.
func Handler(cfg Config) http.Handler {
	cfg = cfg.withDefaults()
	h := &handler{
		csp:    contentSecurityPolicy(cfg),
		static: map[string]asset{},
	}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		a := newAsset(body, contentTypeOf(p))
		if p == "static/index.html" {
			h.index = a
			return nil
		}
		h.static["/"+p] = a
		return nil
	})
	if err != nil {
		// The files are compiled in; failing to read them is a build defect.
		panic("web: reading embedded files: " + err.Error())
	}
	body, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		panic("web: encoding config: " + err.Error())
	}
	h.config = newAsset(append(body, '\n'), "application/json; charset=utf-8")
	return h
}

func contentTypeOf(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// origin returns scheme://host[:port] of raw, or "" when raw is not an
// absolute http(s) URL.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func contentSecurityPolicy(cfg Config) string {
	connect := []string{"'self'"}
	for _, o := range []string{origin(cfg.Issuer), origin(cfg.APIBaseURL)} {
		if o != "" && !slices.Contains(connect, o) {
			connect = append(connect, o)
		}
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"connect-src " + strings.Join(connect, " "),
		"form-action 'self'",
		"base-uri 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", h.csp)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	switch {
	case p == "/config.json":
		h.serve(w, r, h.config)
	case strings.HasPrefix(p, "/static/"):
		a, ok := h.static[p]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h.serve(w, r, a)
	case p == "/favicon.ico":
		// Browsers ask for it whatever the page says; the page links
		// /static/favicon.svg.
		http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
	case strings.Contains(path.Base(p), "."):
		// Not a client route: a file the app does not have.
		http.NotFound(w, r)
	default:
		h.serve(w, r, h.index)
	}
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, a asset) {
	hdr := w.Header()
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("ETag", a.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
