package devissuer

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Server is an Issuer listening on a free loopback port, the devissuer
// counterpart of httptest.Server: a test starts one, points the code under
// test at URL, and closes it when done.
type Server struct {
	// URL is the issuer URL, e.g. "http://127.0.0.1:41234/oauth2/default".
	URL string
	// Issuer mints tokens and manages keys for the served layout.
	Issuer *Issuer

	srv  *http.Server
	done chan struct{}
}

// StartServer listens on 127.0.0.1:0 and serves a new Issuer there. The
// issuer path is the path of opts.Issuer ("" for a root issuer), or
// DefaultIssuerPath when opts.Issuer is empty; scheme, host and port of
// opts.Issuer are ignored because only the listener knows its port.
func StartServer(opts Options) (*Server, error) {
	path := DefaultIssuerPath
	if opts.Issuer != "" {
		u, err := url.Parse(opts.Issuer)
		if err != nil {
			return nil, fmt.Errorf("devissuer: Options.Issuer %q is not a URL: %w", opts.Issuer, err)
		}
		path = u.Path
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("devissuer: listening on loopback: %w", err)
	}
	opts.Issuer = "http://" + l.Addr().String() + path
	iss, err := New(opts)
	if err != nil {
		_ = l.Close()
		return nil, err
	}
	s := &Server{
		URL:    iss.URL(),
		Issuer: iss,
		srv:    &http.Server{Handler: iss.Handler(), ReadHeaderTimeout: 10 * time.Second},
		done:   make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			iss.opts.Logger.Error("devissuer: server stopped", "err", err)
		}
	}()
	return s, nil
}

// Close stops the server, closing idle and active connections, and waits
// for the serving goroutine so tests do not leak it.
func (s *Server) Close() {
	_ = s.srv.Close()
	<-s.done
}
