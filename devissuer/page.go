package devissuer

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"

	"github.com/resource-server/resource-server/web"
)

// pageTemplate is the only HTML the server renders. It has no scripts and no
// external assets, so the Content-Security-Policy can forbid both and the
// page works offline. Its style sheet starts with the palette of the
// Messages front-end (web.PaletteCSS), light and dark, so that signing in
// does not look like another product.
var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"palette": func() template.CSS { return template.CSS(web.PaletteCSS()) },
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}} · development authorization server</title>
<style>
{{palette}}
  * { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; background: var(--bg); color: var(--text); font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
  .banner { background: var(--warn-soft); color: var(--warn); padding: .75rem 1rem; text-align: center; font-weight: 600; border-bottom: 1px solid var(--border); }
  main { width: min(24rem, 100% - 2rem); margin: 3rem auto; padding: 2rem; background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); }
  h1 { font-size: 1.35rem; line-height: 1.25; margin: 0 0 .25rem; }
  .sub { margin: 0 0 1.5rem; color: var(--muted); font-size: .95rem; overflow-wrap: anywhere; }
  label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
  input[type=text], input[type=password] { width: 100%; padding: .6rem .7rem; font: inherit; border: 1px solid var(--muted); border-radius: 8px; background: var(--surface); color: var(--text); }
  input:focus-visible, button:focus-visible, a:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
  .actions { display: flex; gap: .75rem; margin-top: 1.5rem; }
  button { flex: 1; padding: .6rem 1rem; font: inherit; font-weight: 600; border-radius: 8px; cursor: pointer; border: 1px solid var(--accent); }
  button.primary { background: var(--accent); color: var(--accent-text); }
  button.secondary { background: var(--surface); color: var(--text); border-color: var(--border); }
  button.secondary:hover { border-color: var(--accent); }
  .error { color: var(--danger); background: var(--danger-soft); border: 1px solid var(--danger); border-radius: 8px; padding: .6rem .75rem; margin: 0 0 1rem; overflow-wrap: anywhere; }
  .hint { font-size: .9rem; color: var(--muted); margin: 1.25rem 0 0; }
  a { color: var(--accent); }
  code { font-size: .9em; }
  @media (max-width: 480px) {
    main { margin: 1.5rem auto; padding: 1.5rem 1.25rem; }
  }
</style>
</head>
<body>
<div class="banner" role="note">Development authorization server — for development and tests only. Not for production use.</div>
<main>
<h1>{{.Title}}</h1>
{{if .Subtitle}}<p class="sub">{{.Subtitle}}</p>{{end}}
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{if .Message}}<p>{{.Message}}</p>{{end}}
{{if .Link}}<p><a href="{{.Link}}">{{.LinkText}}</a></p>{{end}}
{{if .RequestID}}
<form method="post" action="{{.Action}}" autocomplete="off">
  <input type="hidden" name="request_id" value="{{.RequestID}}">
  <label for="username">Username</label>
  <input type="text" id="username" name="username" value="{{.Username}}" required {{if not .Username}}autofocus{{end}} autocapitalize="none" spellcheck="false">
  <label for="password">Password</label>
  <input type="password" id="password" name="password" required {{if .Username}}autofocus{{end}}>
  <div class="actions">
    <!-- Sign in comes first: Enter in a field submits with the form's
         first submit button (HTML's implicit submission). -->
    <button class="primary" type="submit" name="action" value="login">Sign in</button>
    <button class="secondary" type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
  </div>
</form>
{{if .Hint}}<p class="hint">{{.Hint}}</p>{{end}}
{{end}}
</main>
</body>
</html>
`))

type pageData struct {
	Title, Subtitle, Error, Message string
	// Link, when set, is shown below the message as LinkText.
	Link, LinkText string
	// Login form; rendered only when RequestID is set.
	RequestID, Action, Username, Hint string
}

// renderPage writes an HTML page with headers that keep it out of caches and
// frames. form-action lists the redirect origins because browsers apply it
// to the redirect that follows a form submission too.
func (i *Issuer) renderPage(w http.ResponseWriter, status int, d pageData) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil {
		i.opts.Logger.Error("devissuer: rendering page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	origins := append([]string{"'self'"}, i.redirectOrigins()...)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'; form-action "+strings.Join(origins, " "))
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorPage is used when the request cannot be trusted to redirect back
// (unknown client or redirect URI): RFC 6749 §4.1.2.1 forbids redirecting
// to an unverified URI, which would make us an open redirector.
func (i *Issuer) errorPage(w http.ResponseWriter, status int, title, msg string) {
	i.renderPage(w, status, pageData{Title: title, Error: msg})
}

// staleLoginPage answers a login form whose sign-in request is gone (it
// expired, or it was used already: a tab restored from history). When
// one application is registered it links back to it, so the user can start
// a fresh sign-in there, or find they are already signed in.
func (i *Issuer) staleLoginPage(w http.ResponseWriter, msg string) {
	d := pageData{Title: "Sign-in expired", Error: msg}
	if origins := i.redirectOrigins(); len(origins) == 1 && origins[0] != "" {
		d.Link, d.LinkText = origins[0]+"/", "Back to the application"
	}
	i.renderPage(w, http.StatusBadRequest, d)
}
