package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rathaus/rathaus/internal/platform/clock"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/dbtest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func createEffects(t *testing.T, db *database.DB) {
	t.Helper()
	if _, err := db.W.Exec(`CREATE TABLE job_effects (job_key TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
}

func countEffects(t *testing.T, db *database.DB, key string) int {
	t.Helper()
	var n int
	if err := db.R.QueryRow(`SELECT COUNT(*) FROM job_effects WHERE job_key = $1`, key).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func jobStatus(t *testing.T, db *database.DB, key string) (status string, attempts int) {
	t.Helper()
	if err := db.R.QueryRow(`SELECT status, attempts FROM jobs WHERE key = $1`, key).Scan(&status, &attempts); err != nil {
		t.Fatal(err)
	}
	return
}

func effectHandler(ctx context.Context, j Job) (Finish, error) {
	return func(tx *database.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO job_effects (job_key) VALUES ($1)`, j.Key)
		return err
	}, nil
}

func enqueue(t *testing.T, db *database.DB, kind, key string) {
	t.Helper()
	if err := database.WithTx(context.Background(), db, func(tx *database.Tx) error {
		return Enqueue(tx, kind, map[string]string{"k": key}, Options{Key: key, MaxAttempts: 3})
	}); err != nil {
		t.Fatal(err)
	}
}

func TestEnqueueIsTransactionalAndIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		err := database.WithTx(ctx, db, func(tx *database.Tx) error {
			if err := Enqueue(tx, "mail.send", nil, Options{Key: "rolled-back"}); err != nil {
				return err
			}
			return errors.New("the change failed")
		})
		if err == nil {
			t.Fatal("want error")
		}
		enqueue(t, db, "mail.send", "k1")
		enqueue(t, db, "mail.send", "k1")
		var n int
		db.R.QueryRow(`SELECT COUNT(*) FROM jobs`).Scan(&n)
		if n != 1 {
			t.Errorf("jobs = %d, want 1 (rolled-back enqueue leaves nothing, same key enqueues once)", n)
		}
	})
}

func TestRetryBackoffThenDead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		q := New(db, quiet)
		calls := 0
		q.Register("flaky", func(ctx context.Context, j Job) (Finish, error) {
			calls++
			return nil, errors.New("smtp down")
		})
		enqueue(t, db, "flaky", "f1")
		if err := q.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if st, a := jobStatus(t, db, "f1"); st != "queued" || a != 1 {
			t.Fatalf("after 1st failure: %s/%d, want queued/1", st, a)
		}
		if err := q.RunOnce(ctx); !errors.Is(err, ErrNoJob) {
			t.Fatalf("job ran again before its backoff: err = %v", err)
		}
		for i := 2; i <= 3; i++ {
			clk.Advance(Backoff(i - 1))
			if err := q.RunOnce(ctx); err != nil {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		if st, a := jobStatus(t, db, "f1"); st != "dead" || a != 3 {
			t.Fatalf("after 3 failures: %s/%d, want dead/3", st, a)
		}
		dead, err := List(ctx, db, "dead", 10)
		if err != nil || len(dead) != 1 || dead[0].LastError != "smtp down" {
			t.Fatalf("dead list = %+v, %v", dead, err)
		}
		if err := Retry(ctx, db, "flaky", "f1"); err != nil {
			t.Fatal(err)
		}
		if st, _ := jobStatus(t, db, "f1"); st != "queued" {
			t.Errorf("after Retry: %s", st)
		}
		if calls != 3 {
			t.Errorf("handler calls = %d, want 3", calls)
		}
	})
}

func TestManyWorkersRunEachJobOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		createEffects(t, db)
		ctx := context.Background()
		const n = 40
		for i := range n {
			enqueue(t, db, "effect", "e"+string(rune('A'+i%26))+string(rune('a'+i/26)))
		}
		var wg sync.WaitGroup
		for w := range 4 {
			q := New(db, quiet)
			q.WorkerID = "w" + string(rune('0'+w))
			q.Register("effect", effectHandler)
			wg.Go(func() {
				for {
					if err := q.RunOnce(ctx); err != nil {
						if !errors.Is(err, ErrNoJob) {
							t.Error(err)
						}
						return
					}
				}
			})
		}
		wg.Wait()
		var total, distinct int
		db.R.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT job_key) FROM job_effects`).Scan(&total, &distinct)
		if total != n || distinct != n {
			t.Errorf("effects = %d (distinct %d), want %d each", total, distinct, n)
		}
	})
}

// TestKilledWorkerJobRunsAgainOnce kills the OS process that is in the middle
// of a job (its effect written but not committed) with SIGKILL. After the
// lease expires another worker runs the job again; its effect exists once.
func TestKilledWorkerJobRunsAgainOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		createEffects(t, db)
		enqueue(t, db, "effect", "kill-me")
		marker := filepath.Join(t.TempDir(), "in-job")
		o := db.OpenOptions()
		cmd := exec.Command(os.Args[0], "-test.run=^TestChildWorker$")
		cmd.Env = append(os.Environ(), "JOBS_CHILD=1", "JOBS_CHILD_MARKER="+marker,
			"JOBS_CHILD_DATA="+o.DataDir, "JOBS_CHILD_URL="+o.URL)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			if _, err := os.Stat(marker); err == nil {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("child never reached the middle of the job")
			}
			time.Sleep(20 * time.Millisecond) // polling another process, not timing behaviour
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()

		if n := countEffects(t, db, "kill-me"); n != 0 {
			t.Fatalf("effects after kill = %d, want 0 (uncommitted)", n)
		}
		if st, a := jobStatus(t, db, "kill-me"); st != "running" || a != 1 {
			t.Fatalf("after kill: %s/%d, want running/1", st, a)
		}
		q := New(db, quiet)
		q.Register("effect", effectHandler)
		ctx := context.Background()
		if err := q.RunOnce(ctx); !errors.Is(err, ErrNoJob) {
			t.Fatalf("claimed a job whose lease is still valid: %v", err)
		}
		clk.Advance(q.Lease + time.Second)
		if err := q.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if err := q.RunOnce(ctx); !errors.Is(err, ErrNoJob) {
			t.Fatalf("third run: %v, want ErrNoJob", err)
		}
		if n := countEffects(t, db, "kill-me"); n != 1 {
			t.Errorf("effects = %d, want exactly 1", n)
		}
		if st, a := jobStatus(t, db, "kill-me"); st != "done" || a != 2 {
			t.Errorf("final: %s/%d, want done/2", st, a)
		}
	})
}

// TestChildWorker is the body of the process killed above; it does nothing
// in a normal test run.
func TestChildWorker(t *testing.T) {
	if os.Getenv("JOBS_CHILD") != "1" {
		return
	}
	ctx := context.Background()
	db, err := database.Open(ctx, database.Options{DataDir: os.Getenv("JOBS_CHILD_DATA"), URL: os.Getenv("JOBS_CHILD_URL"), Clock: clock.NewFake(dbtest.Epoch)})
	if err != nil {
		t.Fatal(err)
	}
	q := New(db, quiet)
	q.WorkerID = "doomed"
	q.Register("effect", func(ctx context.Context, j Job) (Finish, error) {
		return func(tx *database.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO job_effects (job_key) VALUES ($1)`, j.Key); err != nil {
				return err
			}
			os.WriteFile(os.Getenv("JOBS_CHILD_MARKER"), []byte("x"), 0o600)
			select {} // wait here for SIGKILL, mid-transaction
		}, nil
	})
	q.RunOnce(ctx)
	t.Fatal("child finished its job; it should have been killed")
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{10 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second}
	for n, w := range want {
		if got := Backoff(n); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", n, got, w)
		}
	}
	if Backoff(100) != time.Hour {
		t.Errorf("Backoff(100) = %v, want 1h cap", Backoff(100))
	}
}

func TestStat(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB, clk *clock.Fake) {
		ctx := context.Background()
		database.WithTx(ctx, db, func(tx *database.Tx) error {
			Enqueue(tx, "a", nil, Options{})
			Enqueue(tx, "b", nil, Options{RunAt: tx.Now().Add(time.Hour)})
			return nil
		})
		clk.Advance(90 * time.Second)
		s, err := Stat(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if s.ByStatus["queued"] != 2 || s.ByStatus["dead"] != 0 || s.OldestDue != 90*time.Second {
			t.Errorf("Stat = %+v, want 2 queued and the due one waiting 90 s", s)
		}
	})
}
