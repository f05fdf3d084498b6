package verifier

// Project Wycheproof's JSON Web Signature and JSON Web Key vectors, run
// through the code the server verifies tokens with: the key set parser
// (parseKeySet/parseKey, as a JWKS fetch uses it), the shape check
// (splitCompact), the header rules (checkHeader) with the allow-list widened
// to the vector's algorithm, the kid lookup (keySnapshot.find) and the
// signature check (verifyWithKeys). The vectors' payloads ("foo", empty, all
// zeros) are not JWT claim sets, so the claim rules, which come after the
// signature in VerifyAccessToken, are left out.
//
// Every vector must give its expected result, except the ones listed as not
// applicable, whose reason is printed and which must be refused.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// wpDir is ../shared/testdata/wycheproof from the repository root.
var wpDir = filepath.Join("..", "..", "shared", "testdata", "wycheproof")

type wpFile struct {
	NumberOfTests int       `json:"numberOfTests"`
	TestGroups    []wpGroup `json:"testGroups"`
}

type wpGroup struct {
	Comment string          `json:"comment"`
	Public  json.RawMessage `json:"public"`
	Private json.RawMessage `json:"private"`
	Tests   []wpTest        `json:"tests"`
}

type wpTest struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	JWS     string   `json:"jws"`
	Result  string   `json:"result"` // "valid" or "invalid"
	Flags   []string `json:"flags"`
}

func wpRead(t *testing.T, name string) *wpFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(wpDir, name))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Wycheproof vectors missing (CI is set): %v", err)
		}
		t.Skipf("Wycheproof vectors not found (%v); they live in ../shared/testdata/wycheproof beside the repository", err)
	}
	var f wpFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	n := 0
	for _, g := range f.TestGroups {
		n += len(g.Tests)
	}
	if n != f.NumberOfTests || n == 0 {
		t.Fatalf("%s: %d tests in the groups, numberOfTests says %d", name, n, f.NumberOfTests)
	}
	return &f
}

// verifySignatureWithKeys verifies a bare compact JWS (any payload) the way
// VerifyAccessToken verifies a token's signature: splitCompact, checkHeader
// with the allow-list algs, the kid lookup in snap, verifyWithKeys.
func verifySignatureWithKeys(token string, snap *keySnapshot, algs []string) error {
	jws, err := splitCompact(token, DefaultMaxTokenBytes)
	if err != nil {
		return err
	}
	v := &Verifier{cfg: Config{Algorithms: algs}}
	h, err := v.checkHeader(jws.header, accessToken)
	if err != nil {
		return err
	}
	return verifyBareSignature(jws, h, snap)
}

func verifyBareSignature(jws *compactJWS, h Header, snap *keySnapshot) error {
	if snap == nil {
		return &ValidationError{Kind: ErrUnknownKey, Detail: "the key set holds no usable key"}
	}
	keys := snap.find(h.KeyID)
	if len(keys) == 0 {
		return &ValidationError{Kind: ErrUnknownKey, Claim: "kid", Found: brief(h.KeyID)}
	}
	_, err := verifyWithKeys(jws, h, keys)
	return err
}

// wpCryptoOnly verifies the signature without the shape check: segments split
// at the dots and decoded leniently, empty segments allowed. It shows what
// the signature alone says, for vectors whose shape the token rules refuse.
func wpCryptoOnly(token string, snap *keySnapshot) (error, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, false
	}
	dec := base64.RawURLEncoding
	header, err1 := dec.DecodeString(parts[0])
	sig, err2 := dec.DecodeString(parts[2])
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err1 != nil || err2 != nil || json.Unmarshal(header, &h) != nil {
		return nil, false
	}
	jws := &compactJWS{header: header, signature: sig, signingInput: parts[0] + "." + parts[1]}
	return verifyBareSignature(jws, Header{Algorithm: h.Alg, KeyID: h.Kid}, snap), true
}

// wpHeaderAlg reads the "alg" of a vector's header, leniently; "" when it
// cannot be read.
func wpHeaderAlg(token string) string {
	seg, _, _ := strings.Cut(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return ""
	}
	var h struct {
		Alg string `json:"alg"`
	}
	json.Unmarshal(b, &h)
	return h.Alg
}

// wpKeySet builds the JWKS a vector's group verifies with: its public
// key or key set, else its private one (parseKey keeps only a public half).
type wpJWK struct{ kty, alg string }

func wpKeySet(g wpGroup) ([]byte, []wpJWK) {
	raw := g.Public
	if len(raw) == 0 {
		raw = g.Private
	}
	var probe struct {
		Keys []json.RawMessage `json:"keys"`
	}
	var keys []json.RawMessage
	if json.Unmarshal(raw, &probe) == nil && probe.Keys != nil {
		keys = probe.Keys
	} else {
		keys = []json.RawMessage{raw}
	}
	var sums []wpJWK
	for _, k := range keys {
		var s struct{ Kty, Alg string }
		json.Unmarshal(k, &s)
		sums = append(sums, wpJWK{s.Kty, s.Alg})
	}
	body, _ := json.Marshal(map[string]any{"keys": keys})
	return body, sums
}

// Why a vector's premise does not hold for this verifier. Each such vector
// must be refused.
var wpNAReasons = map[string]string{
	"HMAC":          "HMAC vector (oct key): the verifier is asymmetric-only by design; HS256/384/512 are refused in Config.Algorithms and oct keys are skipped when a JWKS is read",
	"empty payload": "a token's payload is a JSON claim set, so splitCompact refuses an empty payload segment before any cryptography (the signature itself is checked to verify)",
	"key alg":       "the JWK names another algorithm than the token's header (PS256 key/PS384 token; the unregistered ES521 for ES512): a key that names its algorithm verifies that algorithm only, as the ps512 group's Using* vectors expect",
}

// wpNotApplicable returns the wpNAReasons key that applies to a vector, or "".
func wpNotApplicable(tc wpTest, keys []wpJWK) string {
	allOct := len(keys) > 0
	for _, k := range keys {
		allOct = allOct && k.kty == "oct"
	}
	if allOct {
		return "HMAC"
	}
	if tc.Result != "valid" {
		return ""
	}
	parts := strings.Split(tc.JWS, ".")
	if len(parts) == 3 && parts[1] == "" {
		return "empty payload"
	}
	if len(keys) == 1 && keys[0].alg != "" && keys[0].alg != wpHeaderAlg(tc.JWS) {
		return "key alg"
	}
	return ""
}

type wpOutcome struct {
	asExpected, validAccepted, invalidRefused int
	wpNotApplicable                           []string
}

// wpRun runs every vector of f and reports each failure.
func wpRun(t *testing.T, f *wpFile, prefix string) wpOutcome {
	var out wpOutcome
	for _, g := range f.TestGroups {
		body, keys := wpKeySet(g)
		var logBuf bytes.Buffer
		onlyReason := func(_ []string, a slog.Attr) slog.Attr {
			if a.Key != "reason" {
				return slog.Attr{}
			}
			return a
		}
		snap, keyErr := parseKeySet(body, slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{ReplaceAttr: onlyReason})))
		keyNote := ""
		if keyErr != nil {
			keyNote = "key set refused: " + keyErr.Error()
		}
		if logBuf.Len() > 0 {
			skipped := strings.ReplaceAll(strings.TrimSpace(logBuf.String()), "\n", "; ")
			keyNote = strings.Trim(keyNote+"; key skipped: "+skipped, "; ")
		}
		var keyAlgs []string
		for _, k := range keys {
			if supportedAlgorithms[k.alg] {
				keyAlgs = append(keyAlgs, k.alg)
			}
		}
		for _, tc := range g.Tests {
			name := fmt.Sprintf("%s#%d %s/%s", prefix, tc.TcID, g.Comment, tc.Comment)
			// The allow-list widened to the vector's algorithm: the key's,
			// and the header's when it is one this verifier supports at all.
			algs := slices.Clone(keyAlgs)
			if a := wpHeaderAlg(tc.JWS); supportedAlgorithms[a] && !slices.Contains(algs, a) {
				algs = append(algs, a)
			}
			if len(algs) == 0 {
				algs = []string{"RS256"}
			}
			err := verifySignatureWithKeys(tc.JWS, snap, algs)
			accepted := err == nil
			why := "accepted"
			if err != nil {
				why = err.Error()
			}
			if keyNote != "" && !accepted {
				why += " [" + keyNote + "]"
			}
			if reason := wpNotApplicable(tc, keys); reason != "" {
				if accepted {
					t.Errorf("%s: not applicable (%s), yet accepted", name, reason)
					continue
				}
				line := fmt.Sprintf("%s (expected %s): not applicable [%s]; refused: %s", name, tc.Result, reason, why)
				if reason == "empty payload" {
					if cerr, ok := wpCryptoOnly(tc.JWS, snap); !ok || cerr != nil {
						t.Errorf("%s: the signature of an empty-payload vector should verify on its own: %v", name, cerr)
					}
				}
				if reason == "HMAC" {
					if _, cerr := New(Config{Issuer: "https://issuer.example.com", Algorithms: []string{wpHeaderAlgOr(tc.JWS, "HS256")}}); cerr == nil && strings.HasPrefix(wpHeaderAlg(tc.JWS), "HS") {
						t.Errorf("%s: Config accepted algorithm %s", name, wpHeaderAlg(tc.JWS))
					}
				}
				out.wpNotApplicable = append(out.wpNotApplicable, line)
				continue
			}
			switch {
			case tc.Result == "valid" && !accepted:
				t.Errorf("%s: valid vector refused: %s", name, why)
			case tc.Result != "valid" && accepted:
				t.Errorf("%s: invalid vector accepted (flags %v)", name, tc.Flags)
			case tc.Result == "valid":
				out.asExpected++
				out.validAccepted++
			default:
				out.asExpected++
				out.invalidRefused++
				// A refusal must not rest on the empty-payload rule alone:
				// where the shape rule would hide a bad key or signature,
				// the signature check on its own must refuse too.
				if parts := strings.Split(tc.JWS, "."); len(parts) == 3 && parts[1] == "" {
					if cerr, ok := wpCryptoOnly(tc.JWS, snap); ok && cerr == nil {
						t.Errorf("%s: refused only for its empty payload; its key and signature pass", name)
					}
				}
			}
		}
	}
	return out
}

func wpHeaderAlgOr(token, def string) string {
	if a := wpHeaderAlg(token); a != "" {
		return a
	}
	return def
}

func wpReport(t *testing.T, what string, total int, o wpOutcome) {
	t.Helper()
	for code, reason := range wpNAReasons {
		t.Logf("not applicable [%s]: %s", code, reason)
	}
	for _, l := range o.wpNotApplicable {
		t.Log(l)
	}
	t.Logf("Wycheproof %s: %d vectors: %d as expected (%d valid accepted, %d invalid refused), %d not applicable (all refused, listed above)",
		what, total, o.asExpected, o.validAccepted, o.invalidRefused, len(o.wpNotApplicable))
	if o.asExpected+len(o.wpNotApplicable) != total && !t.Failed() {
		t.Errorf("counted %d vectors, the file has %d", o.asExpected+len(o.wpNotApplicable), total)
	}
}

func TestWycheproofJWS(t *testing.T) {
	f := wpRead(t, "json_web_signature_test.json")
	wpReport(t, "JWS", f.NumberOfTests, wpRun(t, f, "jws"))
}

func TestWycheproofJWK(t *testing.T) {
	f := wpRead(t, "json_web_key_test.json")
	wpReport(t, "JWK", f.NumberOfTests, wpRun(t, f, "jwk"))
}

// The HMAC vectors cannot be run as HMAC: make sure the refusal they get is
// the documented one, at both places it happens.
func TestHMACIsRefusedByDesign(t *testing.T) {
	for _, alg := range []string{"HS256", "HS384", "HS512"} {
		_, err := New(Config{Issuer: "https://issuer.example.com", Algorithms: []string{alg}})
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != "Algorithms" {
			t.Errorf("Config.Algorithms %s: %v, want a ConfigError", alg, err)
		}
	}
	if _, err := parseKey(json.RawMessage(`{"kty":"oct","kid":"h","alg":"HS256","k":"-ebuDNsVZ2iJtoZ-akfXTSCt4UO2cruLCsbWlBinggE"}`)); err == nil {
		t.Error("parseKey kept an oct (HMAC) key")
	}
}
