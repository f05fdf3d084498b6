package verifier

import (
	"errors"
	"maps"
	"slices"
)

// Assertions are claim assertions in Config.AssertClaims's language
// ("name": value, "name.includes": value or list of values), checked once at
// NewAssertions and applied to verified tokens by Check. They let a caller
// that holds a verified Token (a gateway route, say) require more of it than
// the Verifier that verified it does, with exactly the verifier's rules.
//
// The zero Assertions asserts nothing. An Assertions is immutable and safe
// for concurrent use.
type Assertions struct {
	// names are the keys of want, sorted: the first assertion that fails is
	// always the same one, as in the Verifier.
	names []string
	want  map[string]any
}

// NewAssertions checks claims as Config.Validate checks Config.AssertClaims
// and returns them ready to apply. The error joins one *ConfigError (Field
// "AssertClaims") per assertion that cannot work, so a caller can name them
// all at once. The map is copied: changing it later changes nothing.
func NewAssertions(claims map[string]any) (Assertions, error) {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(claims)) {
		if err := checkAssertion(name, claims[name]); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return Assertions{}, errors.Join(errs...)
	}
	if len(claims) == 0 {
		return Assertions{}, nil
	}
	return Assertions{names: slices.Sorted(maps.Keys(claims)), want: maps.Clone(claims)}, nil
}

// Len returns the number of assertions.
func (a Assertions) Len() int { return len(a.names) }

// Check applies the assertions to t and returns nil when all hold, else the
// *ValidationError of the first that fails (in the order of the names),
// whose Kind is ErrMissingClaim or ErrClaimMismatch and whose Claim names
// the claim; it holds claim values, never the token.
//
// A Token keeps its registered claims decoded but not the others (that is
// what keeps a verified-token cache small), so Check reads the claims from
// the token's payload on each call; with no assertions it reads nothing.
func (a Assertions) Check(t *Token) error {
	if len(a.names) == 0 {
		return nil
	}
	members, err := parseObject(t.segment(1), nil, 16)
	if err != nil {
		// Unreachable for a verified token, whose payload was parsed.
		return &ValidationError{Kind: ErrMalformed, Detail: "the payload is not a JSON object", Err: err}
	}
	return checkAssertions(members, a.names, a.want)
}
