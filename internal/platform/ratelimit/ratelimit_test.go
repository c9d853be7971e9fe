package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
	"github.com/rathaus/rathaus/internal/platform/fault"
	"github.com/rathaus/rathaus/internal/platform/ratelimit"
)

func TestLimitWithinWindowAndSliding(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		l := ratelimit.New(db, true)
		rule := ratelimit.Rule{Name: "test.mail", Limit: 3, Window: time.Minute}
		for i := range 3 {
			if err := l.Allow(ctx, rule, "a@example.org"); err != nil {
				t.Fatalf("hit %d: %v", i+1, err)
			}
		}
		err := l.Allow(ctx, rule, "a@example.org")
		var rl *fault.RateLimited
		if !errors.As(err, &rl) {
			t.Fatalf("4th hit: got %v, want RateLimited", err)
		}
		if rl.RetryAfter <= 0 || rl.RetryAfter > time.Minute+time.Second {
			t.Errorf("RetryAfter = %s", rl.RetryAfter)
		}
		// Another subject has its own allowance.
		if err := l.Allow(ctx, rule, "b@example.org"); err != nil {
			t.Fatalf("other subject: %v", err)
		}
		// Just after the window boundary the previous window still weighs:
		// a burst across the boundary does not get twice the limit.
		clk.Set(dbtest.Epoch.Truncate(time.Minute).Add(time.Minute + time.Second))
		if err := l.Allow(ctx, rule, "a@example.org"); err == nil {
			t.Fatal("hit right after the boundary allowed although the previous window was full")
		}
		// Two windows later everything is forgotten.
		clk.Advance(2 * time.Minute)
		for i := range 3 {
			if err := l.Allow(ctx, rule, "a@example.org"); err != nil {
				t.Fatalf("after two windows, hit %d: %v", i+1, err)
			}
		}
		n, err := l.Clean(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Error("Clean removed no expired window")
		}
	})
}

func TestDisabledAllowsEverything(t *testing.T) {
	db := dbtest.OpenSQLite(t, clock.NewFake(dbtest.Epoch))
	l := ratelimit.New(db, false)
	rule := ratelimit.Rule{Name: "x", Limit: 1, Window: time.Hour}
	for range 5 {
		if err := l.Allow(context.Background(), rule, "s"); err != nil {
			t.Fatal(err)
		}
	}
}

// Concurrent hits from many goroutines (several connections on PostgreSQL)
// never exceed the limit: the count lives in one row per window.
func TestConcurrentHitsNeverExceedLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		l := ratelimit.New(db, true)
		rule := ratelimit.Rule{Name: "test.race", Limit: 10, Window: time.Hour}
		var mu sync.Mutex
		allowed := 0
		var wg sync.WaitGroup
		for range 40 {
			wg.Go(func() {
				err := l.Allow(context.Background(), rule, "same")
				var rl *fault.RateLimited
				switch {
				case err == nil:
					mu.Lock()
					allowed++
					mu.Unlock()
				case !errors.As(err, &rl):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if allowed != 10 {
			t.Fatalf("allowed %d hits, want exactly 10", allowed)
		}
	})
}

// TestInstancesShareTheCount: two instances (each with its own connection
// pool to the same database) count into the same window, so a stranger
// gains nothing by spreading requests over the instances behind a load
// balancer.
func TestInstancesShareTheCount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		other, err := database.Open(context.Background(), db.OpenOptions())
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		instances := []*ratelimit.Limiter{ratelimit.New(db, true), ratelimit.New(other, true)}
		rule := ratelimit.Rule{Name: "test.shared", Limit: 6, Window: time.Hour}
		allowed := []int{0, 0}
		for i := range 20 {
			err := instances[i%2].Allow(context.Background(), rule, "203.0.113.7")
			var rl *fault.RateLimited
			switch {
			case err == nil:
				allowed[i%2]++
			case !errors.As(err, &rl):
				t.Fatal(err)
			}
		}
		if allowed[0]+allowed[1] != rule.Limit || allowed[0] == 0 || allowed[1] == 0 {
			t.Errorf("allowed %v by the two instances, want %d together", allowed, rule.Limit)
		}
	})
}

// A stranger gets a whole IPv6 /64 for free: every address in it shares
// one allowance, while the neighbouring /64 and other subjects keep theirs.
func TestIPv6AddressesCountPerSlash64(t *testing.T) {
	for in, want := range map[string]string{
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2::ffff":   "2001:db8:1:2::/64",
		"fe80::1%eth0":         "fe80::/64",
		"::ffff:192.0.2.7":     "192.0.2.7",
		"192.0.2.7":            "192.0.2.7",
		"a@example.org":        "a@example.org",
		"42":                   "42",
	} {
		if got := ratelimit.Subject(in); got != want {
			t.Errorf("Subject(%q) = %q, want %q", in, got, want)
		}
	}
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		l := ratelimit.New(db, true)
		rule := ratelimit.Rule{Name: "test.addr", Limit: 3, Window: time.Hour}
		for i := range 3 {
			if err := l.Allow(ctx, rule, "1", fmt.Sprintf("2001:db8:0:1::%x", i+1)); err != nil {
				t.Fatalf("hit %d: %v", i+1, err)
			}
		}
		if err := l.Allow(ctx, rule, "1", "2001:db8:0:1:ffff:ffff:ffff:ffff"); err == nil {
			t.Fatal("a fourth address of the same /64 was allowed")
		}
		if err := l.Allow(ctx, rule, "1", "2001:db8:0:2::1"); err != nil {
			t.Fatalf("the next /64 has its own allowance: %v", err)
		}
		if err := l.Allow(ctx, rule, "2", "2001:db8:0:1::1"); err != nil {
			t.Fatalf("another tenant has its own allowance: %v", err)
		}
	})
}

// Count reads the estimate AllowTx compares with the limit, without a hit.
func TestCountReadsTheSlidingEstimate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		l := ratelimit.New(db, true)
		rule := ratelimit.Rule{Name: "test.count", Limit: 100, Window: time.Minute}
		clk.Set(dbtest.Epoch.Truncate(time.Minute))
		for range 4 {
			if err := l.Allow(ctx, rule, "t"); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if n, err := l.Count(ctx, rule, "t"); err != nil || n != 4 {
				t.Fatalf("Count = %v, %v; want 4", n, err)
			}
		}
		clk.Advance(time.Minute + 15*time.Second) // the previous window weighs 3/4
		if n, err := l.Count(ctx, rule, "t"); err != nil || n != 3 {
			t.Fatalf("Count a window later = %v, %v; want 3", n, err)
		}
		if n, err := ratelimit.New(db, false).Count(ctx, rule, "t"); err != nil || n != 0 {
			t.Fatalf("disabled Count = %v, %v", n, err)
		}
	})
}
