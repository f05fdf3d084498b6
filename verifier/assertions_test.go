package verifier_test

import (
	"errors"
	"testing"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/verifier"
)

func TestAssertions(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := devissuertest.Verifier(t, srv)
	raw, err := srv.Issuer.MintAccessToken(map[string]any{
		"tenant": "acme", "groups": []any{"Admins", "Staff"}, "level": 3, "roles": "read write",
	})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := v.VerifyAccessToken(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		claims map[string]any
		kind   error // nil: the token passes
		claim  string
	}{
		{"none", nil, nil, ""},
		{"string equal", map[string]any{"tenant": "acme"}, nil, ""},
		{"number equal", map[string]any{"level": 3}, nil, ""},
		{"includes one", map[string]any{"groups.includes": "Admins"}, nil, ""},
		{"includes list", map[string]any{"groups.includes": []string{"Admins", "Staff"}}, nil, ""},
		{"includes in a space-separated string", map[string]any{"roles.includes": "write"}, nil, ""},
		{"string differs", map[string]any{"tenant": "other"}, verifier.ErrClaimMismatch, "tenant"},
		{"not a substring", map[string]any{"groups.includes": "Admin"}, verifier.ErrClaimMismatch, "groups"},
		{"missing claim", map[string]any{"department": "x"}, verifier.ErrMissingClaim, "department"},
		{"first failing in name order", map[string]any{"zz": "x", "aa": "y"}, verifier.ErrMissingClaim, "aa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := verifier.NewAssertions(tt.claims)
			if err != nil {
				t.Fatalf("NewAssertions: %v", err)
			}
			err = a.Check(tok)
			if tt.kind == nil {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var ve *verifier.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, tt.kind) || ve.Claim != tt.claim {
				t.Fatalf("Check = %v, want a %v error on claim %q", err, tt.kind, tt.claim)
			}
		})
	}
}

func TestNewAssertionsRefuses(t *testing.T) {
	_, err := verifier.NewAssertions(map[string]any{
		"groups":    []string{"a"}, // a list needs .includes
		".includes": "x",           // no claim named
		"ok":        "fine",
	})
	var ce *verifier.ConfigError
	if !errors.As(err, &ce) || ce.Field != "AssertClaims" {
		t.Fatalf("err = %v, want *ConfigError on AssertClaims", err)
	}
	if got := len(err.(interface{ Unwrap() []error }).Unwrap()); got != 2 {
		t.Errorf("%d errors joined, want 2: %v", got, err)
	}
}

// TestAssertionsZero: the zero Assertions and a zero Token never fail.
func TestAssertionsZero(t *testing.T) {
	var a verifier.Assertions
	if err := a.Check(&verifier.Token{}); err != nil || a.Len() != 0 {
		t.Errorf("zero Assertions: Check = %v, Len = %d", err, a.Len())
	}
	b, _ := verifier.NewAssertions(map[string]any{"sub": "x"})
	if err := b.Check(&verifier.Token{}); !errors.Is(err, verifier.ErrMissingClaim) {
		t.Errorf("Check(zero Token) = %v, want ErrMissingClaim", err)
	}
}
