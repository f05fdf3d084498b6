package bearer

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// validTokenReference is RFC 6750's b64token, 1*( ALPHA / DIGIT / "-" /
// "." / "_" / "~" / "+" / "/" ) *"=", written the plain way.
func validTokenReference(s string) bool {
	i := 0
	for i < len(s) && tokenChar[s[i]] {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}

// TestValidTokenMatchesReference compares the eight-at-a-time scan with
// the plain one on edge cases and on random strings of every length up to
// a few chunks, with a bad byte or "=" at every position.
func TestValidTokenMatchesReference(t *testing.T) {
	cases := []string{"", "=", "==", "a", "a=", "a==", "=a", "a=b", "abcdefgh", "abcdefgh=", "abcdefg=h",
		"abcdefghi", "abcdefgh ijk", "abcdefghijklmnop", "abcdefghijklmno=", "abcdefghijklmnop==", "abc\x00defgh"}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ABCXYZabcxyz0189-._~+/"
	for n := 1; n <= 40; n++ {
		for pos := range n {
			for _, bad := range []byte{'=', ' ', 0x00, 0x80, 0xff, '"', '\\', '%'} {
				b := make([]byte, n)
				for i := range b {
					b[i] = alphabet[rng.IntN(len(alphabet))]
				}
				b[pos] = bad
				cases = append(cases, string(b), string(b)+"==")
			}
		}
	}
	for _, s := range cases {
		if got, want := validToken(s), validTokenReference(s); got != want {
			t.Errorf("validToken(%q) = %v, want %v", s, got, want)
		}
	}
}

func BenchmarkValidToken(b *testing.B) {
	tok := strings.Repeat("eyJhbGciOiJSUzI1NiJ9", 38) + "." + strings.Repeat("abc", 5)
	for b.Loop() {
		if !validToken(tok) {
			b.Fatal("refused")
		}
	}
}
