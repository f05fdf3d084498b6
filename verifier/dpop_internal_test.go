package verifier

import (
	"strings"
	"testing"
)

// FuzzNormalizeHTU: normalization never panics, is idempotent, and its
// output holds no query, fragment, dot segment or lower-case escape.
func FuzzNormalizeHTU(f *testing.F) {
	for _, s := range []string{
		"https://api.example.com/messages", "HTTP://Host:80/a/../b?q#f", "https://[::1]:443/%7e/./x/",
		"https://h/%2E%2E/%2f", "https://h:0/é", "https://h/a/..//b", "http://h", "https://h:/", "http://::", "http://[::1", "http://a[b]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := normalizeHTU(s)
		if err != nil {
			return
		}
		again, err := normalizeHTU(n)
		if err != nil || again != n {
			t.Fatalf("%q → %q → %q, %v", s, n, again, err)
		}
		path := n[strings.Index(n, "://")+3:]
		path = path[strings.IndexByte(path, '/'):]
		if strings.ContainsAny(n, "?#") || strings.Contains(path+"/", "/./") || strings.Contains(path+"/", "/../") {
			t.Fatalf("%q → %q", s, n)
		}
	})
}
