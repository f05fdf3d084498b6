package verifier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// maxKeySetBytes caps a discovery document or JWKS response body.
const maxKeySetBytes = 1 << 20

// download finds the JWKS URL (by discovery when not known) and reads the keys.
func (k *keySet) download(ctx context.Context, jwksURL string) (*keySnapshot, string, error) {
	if jwksURL == "" {
		var err error
		if jwksURL, err = k.discover(ctx); err != nil {
			return nil, "", err
		}
	}
	body, err := k.get(ctx, jwksURL)
	if err != nil {
		return nil, "", err
	}
	snap, err := parseKeySet(body, k.log)
	if err != nil {
		return nil, "", fmt.Errorf("JWKS at %s: %w", jwksURL, err)
	}
	snap.fetched = k.cfg.Now()
	snap.url = jwksURL
	return snap, jwksURL, nil
}

// get fetches a small JSON document: 200 only, at most maxKeySetBytes.
func (k *keySet) get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // lets the connection be reused
		return nil, fmt.Errorf("GET %s: status %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxKeySetBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if len(body) > maxKeySetBytes {
		return nil, fmt.Errorf("GET %s: body larger than %d bytes", u, maxKeySetBytes)
	}
	return body, nil
}

// sameHostRedirects follows at most three redirects, and only within the
// host first asked: keys must come from the issuer, not wherever it points.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 3 {
		return errors.New("too many redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		return fmt.Errorf("refused redirect from %s to another host %s", via[0].URL.Host, req.URL.Host)
	}
	return nil
}
