package store_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/resource-server/resource-server/store"
)

// A DPoP proof's jti is remembered until the proof would be too old to
// accept anyway; a second use is a replay. A revocation reaches every
// subscriber, the revoking instance included.
func Example() {
	var s store.Store = store.NewMemory(nil) // or store.NewRedis("redis://…")
	defer s.Close()
	ctx := context.Background()

	key := sha256.Sum256([]byte("<jkt> <jti>"))
	until := time.Now().Add(5 * time.Minute)
	for range 2 {
		first, err := s.Remember(ctx, fmt.Sprintf("%x", key), until)
		switch {
		case err != nil:
			fmt.Println("503: the store does not answer")
		case !first:
			fmt.Println("401: the proof was used before")
		default:
			fmt.Println("accepted")
		}
	}

	s.Subscribe(ctx, func(digest [32]byte, until time.Time) {
		fmt.Printf("evict %x… from the caches\n", digest[:4])
	})
	token := sha256.Sum256([]byte("the access token"))
	if err := s.Revoke(ctx, token, time.Now().Add(time.Hour)); err != nil {
		fmt.Println("503:", err)
	}
	// Output:
	// accepted
	// 401: the proof was used before
	// evict f242726c… from the caches
}
