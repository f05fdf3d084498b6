package gateway

import (
	"os"
	"strings"
	"testing"
)

// snippetsDoc is the README: the gateway configuration and each proxy
// snippet in testdata must appear in it verbatim, in a fenced block, so
// that the tests run what users copy.
const snippetsDoc = "../../README.md"

func TestSnippetsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile(snippetsDoc)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct{ file, lang string }{
		{"nginx.conf.tmpl", "nginx"},
		{"Caddyfile.tmpl", "caddyfile"},
		{"traefik.yml", "yaml"},
		{"gateway.yaml", "yaml"},
		{"gateway-min.yaml", "yaml"},
	} {
		block := "```" + s.lang + "\n" + readTestdata(t, s.file) + "```\n"
		if !strings.Contains(string(doc), block) {
			t.Errorf("%s does not show testdata/%s verbatim in a ```%s block", snippetsDoc, s.file, s.lang)
		}
	}
}
