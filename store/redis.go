package store

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultTimeout bounds each operation of a [Redis] unless [WithTimeout]
// sets another bound.
const DefaultTimeout = 500 * time.Millisecond

// DefaultPrefix begins every key and the channel of a [Redis] unless
// [WithPrefix] sets another prefix.
const DefaultPrefix = "rs:"

// Redis is a [Store] shared by every instance that reaches the same Redis
// or Valkey server. See the package documentation for its keys, channel,
// timeouts and reconnection.
type Redis struct {
	client  *redis.Client
	name    string // scheme://host:port/db, without credentials
	timeout time.Duration
	prefix  string
	log     *slog.Logger

	ctx    context.Context // ends at Close, and with it every subscription
	cancel context.CancelFunc
	mu     sync.Mutex // guards closed and wg.Add
	closed bool
	wg     sync.WaitGroup // the subscriptions' goroutines
}

// RedisOption changes a setting of [NewRedis].
type RedisOption func(*redisSettings)

type redisSettings struct {
	timeout time.Duration
	prefix  string
	tls     *tls.Config
	log     *slog.Logger
}

// WithTimeout bounds each operation (a command, a SCAN step, a dial, the
// confirmation of a subscription) to d instead of [DefaultTimeout].
func WithTimeout(d time.Duration) RedisOption {
	return func(s *redisSettings) { s.timeout = d }
}

// WithPrefix begins every key and the channel with prefix instead of
// [DefaultPrefix], for deployments that share a server.
func WithPrefix(prefix string) RedisOption {
	return func(s *redisSettings) { s.prefix = prefix }
}

// WithTLSConfig sets the TLS configuration of a rediss:// URL (for a
// private certificate authority, or a client certificate) instead of the
// system roots and the URL's host name.
func WithTLSConfig(c *tls.Config) RedisOption {
	return func(s *redisSettings) { s.tls = c }
}

// WithLogger reports to l when a subscription's connection is lost and
// when it is established again (Warn and Info); nothing is logged by
// default.
func WithLogger(l *slog.Logger) RedisOption {
	return func(s *redisSettings) { s.log = l }
}

// NewRedis returns a Redis for rawURL, a redis:// or rediss:// URL as
// go-redis's ParseURL reads it (redis://[user:password@]host[:port][/db],
// with its query parameters such as pool_size). It checks the URL and the
// options but does not connect: the first call does. The timeouts and the
// retries of the URL's query are replaced by the store's own (see the
// package documentation). Errors never quote the URL's password.
func NewRedis(rawURL string, opts ...RedisOption) (*Redis, error) {
	s := redisSettings{timeout: DefaultTimeout, prefix: DefaultPrefix}
	for _, o := range opts {
		o(&s)
	}
	if s.timeout <= 0 {
		return nil, fmt.Errorf("store: redis timeout %v: want a positive duration", s.timeout)
	}
	o, err := parseRedisURL(rawURL)
	if err != nil {
		return nil, err
	}
	if s.tls != nil {
		if o.TLSConfig == nil {
			return nil, fmt.Errorf("store: %s: a TLS configuration was given for a redis:// URL; use rediss://", redactURL(rawURL))
		}
		o.TLSConfig = s.tls
	}
	o.MaxRetries = -1 // a retried SET NX would see its own first write
	o.DialerRetries = 1
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = s.timeout, s.timeout, s.timeout, s.timeout
	o.ContextTimeoutEnabled = true
	if o.ClientName == "" {
		o.ClientName = "resource-server"
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	scheme := "redis"
	if o.TLSConfig != nil {
		scheme = "rediss"
	}
	r := &Redis{
		client:  redis.NewClient(o),
		name:    fmt.Sprintf("%s://%s/%d", scheme, o.Addr, o.DB),
		timeout: s.timeout,
		prefix:  s.prefix,
		log:     s.log,
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r, nil
}

// parseRedisURL reads rawURL with go-redis, accepting only redis:// and
// rediss://, and names the URL without its password in its errors.
func parseRedisURL(rawURL string) (*redis.Options, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the whole URL, password included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("store: the Redis URL is not a URL: %w", err)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("store: %s: want a redis:// or rediss:// URL", u.Redacted())
	}
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", u.Redacted(), err)
	}
	return o, nil
}

// redactURL is rawURL with its password replaced, or a placeholder if it
// does not parse.
func redactURL(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Redacted()
	}
	return "the Redis URL"
}

// String is the server's address without credentials, as the errors name
// it: redis://host:port/db (or rediss://).
func (r *Redis) String() string { return r.name }

// Remember implements [Store.Remember] with SET key 1 NX PXAT until.
func (r *Redis) Remember(ctx context.Context, key string, until time.Time) (bool, error) {
	if r.isClosed() {
		return false, ErrClosed
	}
	if !until.After(time.Now()) {
		return true, nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	err := r.client.Do(ctx, "SET", r.prefix+"dpop:"+key, "1", "NX", "PXAT", until.UnixMilli()).Err()
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, redis.Nil):
		return false, nil
	default:
		return false, fmt.Errorf("store: %s: remember: %w", r.name, err)
	}
}

// Revoke implements [Store.Revoke] with SET and PUBLISH in one MULTI/EXEC.
func (r *Redis) Revoke(ctx context.Context, digest [32]byte, until time.Time) error {
	if r.isClosed() {
		return ErrClosed
	}
	if !until.After(time.Now()) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	h, ms := hex.EncodeToString(digest[:]), until.UnixMilli()
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Do(ctx, "SET", r.prefix+"revoked:"+h, ms, "PXAT", ms)
		p.Publish(ctx, r.prefix+"revocations", h+" "+strconv.FormatInt(ms, 10))
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: %s: revoke: %w", r.name, err)
	}
	return nil
}

// Ping implements [Store.Ping] with PING.
func (r *Redis) Ping(ctx context.Context) error {
	if r.isClosed() {
		return ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("store: %s: ping: %w", r.name, err)
	}
	return nil
}

// Close ends every subscription, waits for their goroutines (and so for
// any f running) to return, and closes the connections. The methods then
// return [ErrClosed]; a second Close does nothing.
func (r *Redis) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
	if err := r.client.Close(); err != nil {
		return fmt.Errorf("store: %s: close: %w", r.name, err)
	}
	return nil
}

func (r *Redis) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}
