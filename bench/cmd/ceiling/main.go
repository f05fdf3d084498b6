// Command ceiling is the load benchmark's ceiling: a net/http server that
// answers GET /api/messages with the resource server's own messages handler
// (internal/messages) and checks nothing. No resource server can beat
// it on the same machine. It listens on 127.0.0.1 (-port 0: a free port), prints
// "READY <port>", and stops on SIGTERM/SIGINT or when standard input closes.
//
// With -floor-issuer and -floor-jwks it is the floor server instead: before
// answering, it does the benchmarks' floor work (internal/floor) on the
// bearer token of every request, with the one RS256 key of the JWKS and no
// cache, and answers 401 when that fails. It shows what the RSA floor allows
// on these cores under the same load as the resource server: a verifier can
// only add to its cost per request.
package main

import (
	"crypto"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/resource-server/resource-server/bench/internal/lifecycle"
	"github.com/resource-server/resource-server/internal/floor"
	"github.com/resource-server/resource-server/internal/messages"
)

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1; 0 picks a free one")
	floorIssuer := flag.String("floor-issuer", "", "be the floor server for tokens of this issuer (with -floor-jwks)")
	floorJWKS := flag.String("floor-jwks", "", "the issuer's JWKS URL; it must hold exactly one RS256 key")
	flag.Parse()
	answer := messages.Handler(time.Now)
	if *floorIssuer != "" || *floorJWKS != "" {
		key, err := rs256Key(*floorJWKS)
		if err != nil || *floorIssuer == "" {
			fmt.Fprintln(os.Stderr, "ceiling: -floor-issuer and -floor-jwks go together:", err)
			os.Exit(2)
		}
		answer = floorChecked(answer, *floorIssuer, key)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/messages", answer)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ready\n") })
	lifecycle.Serve("ceiling", *port, mux)
}

// floorChecked runs the floor's work on the request's bearer token before h.
func floorChecked(h http.Handler, issuer string, key crypto.PublicKey) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || floor.Verify(token, "RS256", key, issuer) != nil {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// rs256Key fetches a JWKS that must hold exactly one RS256 key.
func rs256Key(jwksURL string) (crypto.PublicKey, error) {
	if jwksURL == "" {
		return nil, errors.New("no -floor-jwks")
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(jwksURL)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("JWKS at %s: %w", jwksURL, err)
	}
	var keys []crypto.PublicKey
	for _, k := range set.Keys {
		if _, ok := k.Key.(*rsa.PublicKey); ok && (k.Algorithm == "" || k.Algorithm == "RS256") {
			keys = append(keys, k.Key)
		}
	}
	if len(keys) != 1 {
		return nil, fmt.Errorf("JWKS at %s holds %d RS256 keys, want 1", jwksURL, len(keys))
	}
	return keys[0], nil
}
