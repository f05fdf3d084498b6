package metrics

import (
	"errors"
	"net/http"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/verifier"
)

// Reasons is the closed set of values of the decisions' "reason" label, in
// the order of their indexes: "ok" for an admitted request, the refusals
// the middleware tells apart by their form, one per verifier error kind,
// and "other" for a verifier error of no known kind (never its text).
var Reasons = [...]string{
	reasonOK:                "ok",
	reasonMissingToken:      "missing_token",
	reasonInvalidRequest:    "invalid_request",
	reasonInsufficientScope: "insufficient_scope",
	reasonKeysUnavailable:   "keys_unavailable",
	reasonMalformed:         "malformed",
	reasonUnsupportedHeader: "unsupported_header",
	reasonAlgorithm:         "algorithm_not_allowed",
	reasonUnknownKey:        "unknown_key",
	reasonInvalidSignature:  "invalid_signature",
	reasonExpired:           "expired",
	reasonNotYetValid:       "not_yet_valid",
	reasonMissingClaim:      "missing_claim",
	reasonInvalidClaim:      "invalid_claim",
	reasonWrongIssuer:       "wrong_issuer",
	reasonWrongAudience:     "wrong_audience",
	reasonWrongClientID:     "wrong_client_id",
	reasonClaimMismatch:     "claim_mismatch",
	reasonWrongNonce:        "wrong_nonce",
	reasonTokenInactive:     "token_inactive",
	reasonTokenRevoked:      "token_revoked",
	reasonInvalidProof:      "invalid_dpop_proof",
	reasonProofReplayed:     "dpop_proof_replayed",
	reasonUseNonce:          "use_dpop_nonce",
	reasonStoreUnavailable:  "store_unavailable",
	reasonOther:             "other",
}

const (
	reasonOK = iota
	reasonMissingToken
	reasonInvalidRequest
	reasonInsufficientScope
	reasonKeysUnavailable
	reasonMalformed
	reasonUnsupportedHeader
	reasonAlgorithm
	reasonUnknownKey
	reasonInvalidSignature
	reasonExpired
	reasonNotYetValid
	reasonMissingClaim
	reasonInvalidClaim
	reasonWrongIssuer
	reasonWrongAudience
	reasonWrongClientID
	reasonClaimMismatch
	reasonWrongNonce
	reasonTokenInactive
	reasonTokenRevoked
	reasonInvalidProof
	reasonProofReplayed
	reasonUseNonce
	reasonStoreUnavailable
	reasonOther
	numReasons
)

// kinds maps the verifier's error kinds to their reasons.
var kinds = []struct {
	kind   error
	reason int
}{
	{verifier.ErrKeysUnavailable, reasonKeysUnavailable},
	{verifier.ErrMalformed, reasonMalformed},
	{verifier.ErrUnsupportedHeader, reasonUnsupportedHeader},
	{verifier.ErrAlgorithmNotAllowed, reasonAlgorithm},
	{verifier.ErrUnknownKey, reasonUnknownKey},
	{verifier.ErrInvalidSignature, reasonInvalidSignature},
	{verifier.ErrExpired, reasonExpired},
	{verifier.ErrNotYetValid, reasonNotYetValid},
	{verifier.ErrMissingClaim, reasonMissingClaim},
	{verifier.ErrInvalidClaim, reasonInvalidClaim},
	{verifier.ErrWrongIssuer, reasonWrongIssuer},
	{verifier.ErrWrongAudience, reasonWrongAudience},
	{verifier.ErrWrongClientID, reasonWrongClientID},
	{verifier.ErrClaimMismatch, reasonClaimMismatch},
	{verifier.ErrWrongNonce, reasonWrongNonce},
	{verifier.ErrTokenInactive, reasonTokenInactive},
	{verifier.ErrTokenRevoked, reasonTokenRevoked},
	{verifier.ErrInvalidProof, reasonInvalidProof},
	{verifier.ErrProofReplayed, reasonProofReplayed},
	{verifier.ErrUseNonce, reasonUseNonce},
	{verifier.ErrStoreUnavailable, reasonStoreUnavailable},
}

// reasonOf returns the reason index of a decision.
func reasonOf(d *bearer.Decision) int {
	e := d.Err
	switch {
	case e == nil:
		return reasonOK
	case e.Status == http.StatusServiceUnavailable && errors.Is(d.Cause, verifier.ErrStoreUnavailable):
		return reasonStoreUnavailable
	case e.Status == http.StatusServiceUnavailable:
		return reasonKeysUnavailable
	case e.Code == bearer.CodeInsufficientScope:
		return reasonInsufficientScope
	case e.Code == bearer.CodeInvalidRequest:
		return reasonInvalidRequest
	case e.Code == "" && d.Cause == nil:
		return reasonMissingToken
	}
	for _, k := range kinds {
		if errors.Is(d.Cause, k.kind) {
			return k.reason
		}
	}
	return reasonOther
}

// resultOf is the "result" label of a reason: "allowed", "unavailable"
// (the issuer's keys could not be had: not the token's fault) or "denied".
func resultOf(reason int) string {
	switch reason {
	case reasonOK:
		return "allowed"
	case reasonKeysUnavailable, reasonStoreUnavailable:
		return "unavailable"
	}
	return "denied"
}
