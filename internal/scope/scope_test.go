package scope

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   []string
		badAt  int  // offset of the SyntaxError; -1 for none
		badRun rune // its Char
	}{
		{"empty", "", nil, -1, 0},
		{"only spaces", "   ", nil, -1, 0},
		{"one", "api:read", []string{"api:read"}, -1, 0},
		{"two", "api:read api:write", []string{"api:read", "api:write"}, -1, 0},
		{"duplicates kept", "a a", []string{"a", "a"}, -1, 0},
		{"every allowed byte", "!#[]~ AZaz09-._:/", []string{"!#[]~", "AZaz09-._:/"}, -1, 0},
		{"leading and trailing spaces", "  a b  ", []string{"a", "b"}, -1, 0},
		{"several spaces between", "a   b", []string{"a", "b"}, -1, 0},
		{"no-break space", "api:read\u00a0api:write", nil, 8, '\u00a0'},
		{"em space", "api:read\u2003api:write", nil, 8, '\u2003'},
		{"ideographic space", "a\u3000b", nil, 1, '\u3000'},
		{"tab", "api:read\tapi:write", nil, 8, '\t'},
		{"newline", "a\nb", nil, 1, '\n'},
		{"carriage return", "a\rb", nil, 1, '\r'},
		{"vertical tab", "a\vb", nil, 1, '\v'},
		{"form feed", "a\fb", nil, 1, '\f'},
		{"next line U+0085", "a\u0085b", nil, 1, '\u0085'},
		{"NUL", "a\x00b", nil, 1, 0},
		{"DEL", "a\x7fb", nil, 1, 0x7f},
		{"quote", `a "b"`, nil, 2, '"'},
		{"backslash", `a b\c`, nil, 3, '\\'},
		{"non-ASCII letter", "caf\u00e9", nil, 3, '\u00e9'},
		{"not UTF-8", "ok \xff", nil, 3, utf8.RuneError},
		{"first bad byte wins", "a\tb\u00a0c", nil, 1, '\t'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.badAt < 0 {
				if err != nil || !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
					t.Fatalf("Parse(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) || got != nil {
				t.Fatalf("Parse(%q) = %q, %v; want nil and a *SyntaxError", tt.in, got, err)
			}
			if se.Offset != tt.badAt || se.Char != tt.badRun || se.Byte != tt.in[tt.badAt] {
				t.Errorf("Parse(%q): error at %d, %U, byte %#x; want %d, %U, %#x", tt.in, se.Offset, se.Char, se.Byte, tt.badAt, tt.badRun, tt.in[tt.badAt])
			}
		})
	}
}

func TestCheckAndValid(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string // "" for valid
	}{
		{"messages:read", ""},
		{"https://api.example.com/orders.read", ""},
		{"!", ""},
		{"", "an empty string is not a scope"},
		{"two words", "character U+0020 at byte 3 is not allowed in a scope"},
		{" lead", "character U+0020 at byte 0 is not allowed in a scope"},
		{"a\u00a0b", "character U+00A0 at byte 1 is not allowed in a scope"},
		{"a\u2003b", "character U+2003 at byte 1 is not allowed in a scope"},
		{"tab\t", "character U+0009 at byte 3 is not allowed in a scope"},
		{`q"`, "character U+0022 at byte 1 is not allowed in a scope"},
		{`b\`, "character U+005C at byte 1 is not allowed in a scope"},
		{"x\xc3", "byte 0xC3 (not UTF-8) at byte 1 is not allowed in a scope"},
	}
	for _, tt := range tests {
		err := Check(tt.in)
		if tt.wantErr == "" {
			if err != nil || !Valid(tt.in) {
				t.Errorf("Check(%q) = %v, Valid = %v; want nil, true", tt.in, err, Valid(tt.in))
			}
			continue
		}
		if err == nil || err.Error() != tt.wantErr || Valid(tt.in) {
			t.Errorf("Check(%q) = %v, Valid = %v; want %q, false", tt.in, err, Valid(tt.in), tt.wantErr)
		}
		if tt.in == "" && !errors.Is(err, ErrEmpty) {
			t.Errorf("Check(\"\") = %v, want ErrEmpty", err)
		}
	}
}

func TestFields(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" ", nil},
		{"a", []string{"a"}},
		{" a  b ", []string{"a", "b"}},
		// Only U+0020 separates: other white space stays inside an item.
		{"a\u00a0b c\td", []string{"a\u00a0b", "c\td"}},
	}
	for _, tt := range tests {
		if got := Fields(tt.in); !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("Fields(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSyntaxDescribesTheRule(t *testing.T) {
	// It must fit an RFC 6750 error_description unchanged.
	if strings.ContainsAny(Syntax, "\"\\") || strings.IndexFunc(Syntax, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0 {
		t.Errorf("Syntax %q holds a character an error_description cannot", Syntax)
	}
}

func TestParseAllocations(t *testing.T) {
	s := "openid profile email messages:read"
	if n := testing.AllocsPerRun(100, func() { _, _ = Parse(s) }); n != 1 {
		t.Errorf("Parse allocates %v times, want 1 (the result)", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = Parse("") }); n != 0 {
		t.Errorf("Parse(\"\") allocates %v times, want 0", n)
	}
}

// The grammar of RFC 6749 §3.3, with extra spaces allowed.
var grammar = regexp.MustCompile(`^[ \x21\x23-\x5B\x5D-\x7E]*$`)

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "a b", "  a  ", "a\u00a0b", "a\tb", `"`, "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s)
		if ok := grammar.MatchString(s); ok != (err == nil) {
			t.Fatalf("Parse(%q) error %v, grammar match %v", s, err, ok)
		}
		if err != nil {
			var se *SyntaxError
			// It names the first byte outside the grammar.
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset >= len(s) || se.Byte != s[se.Offset] ||
				grammar.MatchString(s[se.Offset:se.Offset+1]) || !grammar.MatchString(s[:se.Offset]) {
				t.Fatalf("Parse(%q): bad error %v", s, err)
			}
			return
		}
		var want []string
		for _, f := range strings.Split(s, " ") {
			if f != "" {
				want = append(want, f)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("Parse(%q) = %q, want %q", s, got, want)
		}
		for _, tok := range got {
			if !Valid(tok) {
				t.Fatalf("Parse(%q) gave %q, not a scope-token", s, tok)
			}
		}
	})
}
