package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	// healthInterval is how long a subscription may stay silent before
	// it is pinged; a ping not answered within the operation timeout ends
	// the session.
	healthInterval = 5 * time.Second
	// minBackoff and maxBackoff bound the wait between two sessions.
	minBackoff = 50 * time.Millisecond
	maxBackoff = time.Second
	// scanCount is the COUNT hint of each SCAN step.
	scanCount = 1000
)

// Subscribe implements [Store.Subscribe]: f runs on one goroutine per
// Subscribe call, which ends when ctx ends or the store is closed. See the
// package documentation for the sessions and their reconnection.
func (r *Redis) Subscribe(ctx context.Context, f func(digest [32]byte, until time.Time)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.wg.Add(1)
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(r.ctx, cancel)
	go func() {
		defer r.wg.Done()
		defer cancel()
		defer stop()
		r.subscribe(ctx, f)
	}()
}

// subscribe runs sessions until ctx ends, waiting between two of them.
func (r *Redis) subscribe(ctx context.Context, f func(digest [32]byte, until time.Time)) {
	wait := minBackoff
	lost := false
	for {
		subscribed, err := r.session(ctx, f, lost)
		if ctx.Err() != nil {
			return
		}
		if subscribed {
			wait = minBackoff
		}
		if !lost || subscribed {
			r.log.Warn("store: revocation subscription lost; reconnecting", "store", r.name, "err", err)
		}
		lost = true
		// Full jitter over the upper half, so that instances spread out.
		t := time.NewTimer(wait/2 + rand.N(wait/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, maxBackoff)
	}
}

// session subscribes, delivers the revocations in force and then each
// message, until the connection fails or ctx ends. subscribed reports
// whether the server confirmed the subscription.
func (r *Redis) session(ctx context.Context, f func([32]byte, time.Time), lost bool) (subscribed bool, err error) {
	ps := r.client.Subscribe(ctx) // no channel yet: no connection yet
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer func() {
		stop()
		_ = ps.Close()
	}()
	if err := r.confirm(ctx, ps); err != nil {
		return false, err
	}
	if lost {
		r.log.Info("store: revocation subscription established again", "store", r.name)
	}
	if err := r.scan(ctx, f); err != nil {
		return true, err
	}
	return true, r.receive(ctx, ps, f)
}

// confirm subscribes ps to the channel and waits for the server to
// confirm it, so that nothing published after the SCAN that follows can
// be missed.
func (r *Redis) confirm(ctx context.Context, ps *redis.PubSub) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	channel := r.prefix + "revocations"
	if err := ps.Subscribe(ctx, channel); err != nil {
		return fmt.Errorf("store: %s: subscribe: %w", r.name, err)
	}
	msg, err := ps.ReceiveTimeout(ctx, r.timeout)
	if err != nil {
		return fmt.Errorf("store: %s: subscribe: %w", r.name, err)
	}
	if s, ok := msg.(*redis.Subscription); !ok || s.Kind != "subscribe" || s.Channel != channel {
		return fmt.Errorf("store: %s: subscribe: the server answered %v", r.name, msg)
	}
	return nil
}

// scan delivers every revocation in force, SCAN step by SCAN step.
func (r *Redis) scan(ctx context.Context, f func([32]byte, time.Time)) error {
	prefix := r.prefix + "revoked:"
	pattern := escapeGlob(prefix) + "*"
	var cursor uint64
	for {
		keys, values, next, err := r.scanStep(ctx, cursor, pattern)
		if err != nil {
			return fmt.Errorf("store: %s: scan revocations: %w", r.name, err)
		}
		for i, key := range keys {
			s, _ := values[i].(string) // nil once expired
			if digest, until, ok := parseRevocation(strings.TrimPrefix(key, prefix), s); ok && ctx.Err() == nil {
				f(digest, until)
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// scanStep is one SCAN step and the MGET of the keys it found.
func (r *Redis) scanStep(ctx context.Context, cursor uint64, pattern string) (keys []string, values []any, next uint64, err error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	keys, next, err = r.client.Scan(ctx, cursor, pattern, scanCount).Result()
	if err != nil || len(keys) == 0 {
		return nil, nil, next, err
	}
	values, err = r.client.MGet(ctx, keys...).Result()
	return keys, values, next, err
}

// receive delivers each message until the connection fails, pinging the
// server when the subscription has been silent for healthInterval.
func (r *Redis) receive(ctx context.Context, ps *redis.PubSub, f func([32]byte, time.Time)) error {
	pinged := false
	for {
		wait := healthInterval
		if pinged {
			wait = r.timeout
		}
		msg, err := ps.ReceiveTimeout(ctx, wait)
		var ne net.Error
		switch {
		case err == nil:
			pinged = false
			if m, ok := msg.(*redis.Message); ok {
				h, ms, _ := strings.Cut(m.Payload, " ")
				if digest, until, ok := parseRevocation(h, ms); ok && ctx.Err() == nil {
					f(digest, until)
				}
			}
		case !pinged && ctx.Err() == nil && errors.As(err, &ne) && ne.Timeout():
			if err := r.ping(ctx, ps); err != nil {
				return err
			}
			pinged = true
		case pinged && errors.As(err, &ne) && ne.Timeout():
			return fmt.Errorf("store: %s: subscription: no answer to PING within %v", r.name, r.timeout)
		default:
			return fmt.Errorf("store: %s: subscription: %w", r.name, err)
		}
	}
}

func (r *Redis) ping(ctx context.Context, ps *redis.PubSub) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if err := ps.Ping(ctx); err != nil {
		return fmt.Errorf("store: %s: subscription: ping: %w", r.name, err)
	}
	return nil
}

// parseRevocation reads a digest in hex and an until in Unix ms; ok is
// false if either is malformed or until has passed. Malformed input (not
// written by this package) is ignored.
func parseRevocation(hexDigest, unixMilli string) (digest [32]byte, until time.Time, ok bool) {
	if hex.DecodedLen(len(hexDigest)) != len(digest) {
		return digest, until, false
	}
	if _, err := hex.Decode(digest[:], []byte(hexDigest)); err != nil {
		return digest, until, false
	}
	ms, err := strconv.ParseInt(unixMilli, 10, 64)
	if err != nil {
		return digest, until, false
	}
	until = time.UnixMilli(ms)
	return digest, until, until.After(time.Now())
}

// escapeGlob escapes the characters that SCAN's MATCH gives a meaning.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[]\^`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
