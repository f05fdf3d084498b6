// Package store is the state every instance of the server shares: the DPoP
// proof jti records that refuse a replayed proof (RFC 9449, section 11.1)
// and the token revocations that every instance must honour.
//
// Two implementations satisfy [Store]:
//
//   - [Memory], for one instance (the default, `store: memory`): maps with
//     expiry in the process, bounded by sweeping expired entries.
//   - [Redis], for several (`store: redis://…`): a Redis or Valkey server
//     that every instance reaches at the same address.
//
// # Keys and channel (Redis)
//
// Every key and the channel carry a prefix, "rs:" unless [WithPrefix] sets
// another, so that deployments can share a server:
//
//	rs:dpop:<key>          "1", SET NX PXAT until           Remember
//	rs:revoked:<hex>       until in Unix ms, SET PXAT until Revoke
//	rs:revocations         channel: "<hex> <until in Unix ms>"
//
// <key> is the caller's key as given (the caller passes a digest: the
// SHA-256 of the proof's jkt and jti); <hex> is the token's SHA-256 in
// lower-case hex. Every key expires at its until, so the server holds no
// more than what is in force. Remember is one round trip (SET … NX PXAT);
// Revoke is one MULTI/EXEC round trip holding the SET and the PUBLISH, so
// that a revocation is both recorded and announced, or neither.
//
// # Failures
//
// Every call is bounded by a per-operation timeout (500 ms unless
// [WithTimeout] sets another), whatever the caller's context says, and
// fails rather than waits: a store that does not answer produces an error
// quickly, and the caller refuses the request (503), never accepts it.
// Commands are not retried: a SET NX retried after a lost reply would
// report its own first write as a replay. The client reconnects by itself
// on the next call once the server is back.
//
// A subscription ([Store.Subscribe]) is a loop of sessions: subscribe to
// the channel and wait for the server's confirmation, then SCAN the
// revoked keys and deliver those still in force, then deliver each
// message. When the connection drops (or stays silent for 5 s and does not
// answer a PING), the session ends and a new one starts after a backoff
// that grows from 50 ms to 1 s, with jitter; since each session scans
// again, a revocation published while the connection was down is still
// delivered. A subscriber may therefore see the same revocation more than
// once: f must be idempotent.
//
// # Until in the past
//
// A key or a revocation whose until is not after the store's clock is not
// recorded: there is nothing left to remember. Remember reports it first
// (no proof can replay inside an empty window, and the caller refuses
// stale proofs by their iat anyway) and Revoke announces nothing (every
// instance already refuses an expired token).
//
// Redis Cluster is not supported: SCAN and PUBLISH would cover one node.
package store

import (
	"context"
	"errors"
	"time"
)

// Store is the state every instance shares.
type Store interface {
	// Remember records key until the time until, and reports whether it was
	// the first to: false means key was recorded before (a replay). An error
	// means the store could not answer; the caller must refuse (503), never accept.
	Remember(ctx context.Context, key string, until time.Time) (first bool, err error)
	// Revoke records that the token whose SHA-256 is digest is revoked until
	// until (its expiry), and tells every subscriber, this instance included.
	Revoke(ctx context.Context, digest [32]byte, until time.Time) error
	// Subscribe calls f for every revocation still in force when it starts
	// (and again after each reconnection) and for each one published later,
	// until ctx ends. It returns at once; f runs on the store's goroutine.
	Subscribe(ctx context.Context, f func(digest [32]byte, until time.Time))
	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
	Close() error
}

// ErrClosed is returned by a store's methods after its Close.
var ErrClosed = errors.New("store: closed")
