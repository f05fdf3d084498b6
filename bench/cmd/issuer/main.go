// Command issuer runs a development issuer (devissuer) on a free loopback
// port for the load benchmark, mints the tokens the load generator sends,
// writes them to files, prints "READY <issuer URL>" and serves until its
// standard input closes or it gets SIGTERM/SIGINT.
//
// Files written to -dir, one token per line:
//
//	token.txt        one valid access token (the repeated-token scenario)
//	tokens.txt       -tokens distinct valid access tokens (cache misses)
//	forged.txt       the same tokens with one signature byte changed
//	garbage.txt      -garbage strings that are not tokens at all
//	issuer.txt       the issuer URL
//
// Tokens are RS256, 2048-bit keys, the claims of devissuer's access tokens
// (about 700 bytes, like Okta's).
package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/resource-server/resource-server/bench/internal/lifecycle"
	"github.com/resource-server/resource-server/devissuer"
)

func main() {
	dir := flag.String("dir", ".", "directory for the token files")
	n := flag.Int("tokens", 100000, "number of distinct valid tokens to mint")
	garbage := flag.Int("garbage", 10000, "number of garbage strings to write")
	lifetime := flag.Duration("lifetime", 2*time.Hour, "token lifetime")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn + 1}))

	srv, err := devissuer.StartServer(devissuer.Options{Logger: log, TokenLifetime: *lifetime})
	if err != nil {
		fail(err)
	}
	defer srv.Close()
	start := time.Now()
	one, err := srv.Issuer.MintAccessToken(nil)
	if err != nil {
		fail(err)
	}
	tokens := mintMany(srv.Issuer, *n)
	forged := make([]string, len(tokens))
	for i, t := range tokens {
		forged[i] = forge(t)
	}
	junk := make([]string, *garbage)
	for i := range junk {
		b := make([]byte, 520) // about as long as a token once encoded
		rand.Read(b)
		junk[i] = base64.RawURLEncoding.EncodeToString(b)
	}
	for name, lines := range map[string][]string{
		"token.txt":   {one},
		"tokens.txt":  tokens,
		"forged.txt":  forged,
		"garbage.txt": junk,
		"issuer.txt":  {srv.URL},
	} {
		if err := writeLines(filepath.Join(*dir, name), lines); err != nil {
			fail(err)
		}
	}
	fmt.Fprintf(os.Stderr, "issuer: minted %d tokens of %d bytes in %s\n", len(tokens)+1, len(one), time.Since(start).Round(time.Millisecond))
	fmt.Printf("READY %s\n", srv.URL)

	lifecycle.Wait()
}

// mintMany mints n distinct tokens on every core: RSA signing is the cost.
func mintMany(iss *devissuer.Issuer, n int) []string {
	out := make([]string, n)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				t, err := iss.MintAccessToken(nil) // a fresh jti each
				if err != nil {
					errs <- err
					return
				}
				out[i] = t
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		fail(err)
	default:
	}
	return out
}

// forge changes one character in the middle of the signature.
func forge(tok string) string {
	i := len(tok) - 20
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

func writeLines(path string, lines []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for _, l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "issuer:", err)
	os.Exit(1)
}
