package devissuer

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"
)

// pageTemplate is the only HTML the server renders. It has no scripts and no
// external assets, so the Content-Security-Policy can forbid both and the
// page works offline.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}} · development authorization server</title>
<style>
  :root { color-scheme: light dark; --accent: #3b5bdb; --warn-bg: #fff3bf; --warn-fg: #5c3c00; --err: #c92a2a; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: Canvas; color: CanvasText; }
  .banner { background: var(--warn-bg); color: var(--warn-fg); padding: .75rem 1rem; text-align: center; font-weight: 600; border-bottom: 1px solid #e0c45c; }
  main { max-width: 24rem; margin: 3rem auto; padding: 2rem; border: 1px solid color-mix(in srgb, CanvasText 15%, transparent); border-radius: .75rem; }
  h1 { font-size: 1.35rem; margin: 0 0 .25rem; }
  .sub { margin: 0 0 1.5rem; opacity: .75; font-size: .95rem; overflow-wrap: anywhere; }
  label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
  input[type=text], input[type=password] { width: 100%; padding: .6rem .7rem; font: inherit; border: 1px solid color-mix(in srgb, CanvasText 30%, transparent); border-radius: .4rem; background: Field; color: FieldText; }
  .actions { display: flex; gap: .75rem; margin-top: 1.5rem; }
  button { flex: 1; padding: .65rem; font: inherit; font-weight: 600; border-radius: .4rem; cursor: pointer; border: 1px solid var(--accent); }
  button.primary { background: var(--accent); color: #fff; }
  button.secondary { background: transparent; color: inherit; border-color: color-mix(in srgb, CanvasText 30%, transparent); }
  .error { color: var(--err); border: 1px solid var(--err); border-radius: .4rem; padding: .6rem .75rem; margin: 0 0 1rem; }
  .hint { font-size: .9rem; opacity: .75; margin-top: 1.25rem; }
  code { font-size: .9em; }
</style>
</head>
<body>
<div class="banner" role="note">Development authorization server — for development and tests only. Not for production use.</div>
<main>
<h1>{{.Title}}</h1>
{{if .Subtitle}}<p class="sub">{{.Subtitle}}</p>{{end}}
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{if .Message}}<p>{{.Message}}</p>{{end}}
{{if .RequestID}}
<form method="post" action="{{.Action}}" autocomplete="off">
  <input type="hidden" name="request_id" value="{{.RequestID}}">
  <label for="username">Username</label>
  <input type="text" id="username" name="username" value="{{.Username}}" required autofocus autocapitalize="none" spellcheck="false">
  <label for="password">Password</label>
  <input type="password" id="password" name="password" required>
  <div class="actions">
    <button class="secondary" type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
    <button class="primary" type="submit" name="action" value="login">Sign in</button>
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
