package catalog

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/rathaus/rathaus/internal/audit"
	"github.com/rathaus/rathaus/internal/identity"
	"github.com/rathaus/rathaus/internal/platform/database"
	"github.com/rathaus/rathaus/internal/platform/fault"
)

// Kinds of missed searches.
const (
	MissNone      = "none"      // the finder found nothing
	MissAbandoned = "abandoned" // the citizen said nothing fitting was found
)

// MinMissSearches is how many searches a miss needs before staff see it:
// fewer could point to a single person.
const MinMissSearches = 5

// maxBufferedMisses bounds the in-memory counts between two flushes; beyond
// it further new words are not counted (the search is never slowed).
const maxBufferedMisses = 10000

// missKey is one counted row.
type missKey struct {
	tenantID    int64
	month       string
	words, kind string
}

// missBuffer counts missed searches in memory until Flush.
type missBuffer struct {
	mu     sync.Mutex
	counts map[missKey]int
	// swept is the month ("2006-01") of the last deletion of closed
	// months' rare words by this instance.
	swept atomic.Value
}

// MissWords reduces a query to the words that are counted: lower case,
// letters only (numbers, which may be dates, phone numbers or file
// numbers, are dropped), at most eight words and 100 bytes. It returns ""
// when nothing is left.
func MissWords(q string) string {
	var words []string
	for _, f := range strings.FieldsFunc(strings.ToLower(cutQuery(q)), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if len(f) < 2 || len(f) > 40 {
			continue
		}
		words = append(words, f)
		if len(words) == 8 {
			break
		}
	}
	out := strings.Join(words, " ")
	for len(out) > 100 {
		i := strings.LastIndexByte(out, ' ')
		if i < 0 {
			return ""
		}
		out = out[:i]
	}
	return out
}

// RecordMiss counts a search that found nothing or was given up, in
// memory (see Flush). It takes no lock longer than a map update and does
// nothing for an empty query or an unknown kind.
func (c *Catalog) RecordMiss(tenantID int64, query, kind string) {
	if kind != MissNone && kind != MissAbandoned {
		return
	}
	words := MissWords(query)
	if words == "" {
		return
	}
	k := missKey{tenantID: tenantID, month: c.now().UTC().Format("2006-01"), words: words, kind: kind}
	c.misses.mu.Lock()
	defer c.misses.mu.Unlock()
	if c.misses.counts == nil {
		c.misses.counts = map[missKey]int{}
	}
	if _, ok := c.misses.counts[k]; !ok && len(c.misses.counts) >= maxBufferedMisses {
		return
	}
	c.misses.counts[k]++
}

func (c *Catalog) now() time.Time {
	if c.DB != nil && c.DB.Clock != nil {
		return c.DB.Clock.Now()
	}
	return time.Now()
}

// missMonths is how many months of missed searches are kept and shown
// (the current one and the three before it).
const missMonths = 3

// FlushMisses adds the buffered counts to table search_misses in one
// transaction. On failure the counts are kept for the next flush. The same
// transaction forgets what must not be kept: the words of a month that is
// over with fewer than MinMissSearches searches (only the running month
// holds smaller counts, so that instances can add theirs up), and months
// older than the report shows.
func (c *Catalog) FlushMisses(ctx context.Context) error {
	c.misses.mu.Lock()
	counts := c.misses.counts
	c.misses.counts = nil
	c.misses.mu.Unlock()
	now := c.now().UTC()
	month, oldest := now.Format("2006-01"), now.AddDate(0, -missMonths, 0).Format("2006-01")
	if len(counts) == 0 {
		if c.misses.swept.Load() == month {
			return nil
		}
		return c.sweepMisses(ctx, month, oldest)
	}
	keys := make([]missKey, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool { // a fixed order: no deadlocks between instances
		if keys[a].tenantID != keys[b].tenantID {
			return keys[a].tenantID < keys[b].tenantID
		}
		if keys[a].month != keys[b].month {
			return keys[a].month < keys[b].month
		}
		if keys[a].words != keys[b].words {
			return keys[a].words < keys[b].words
		}
		return keys[a].kind < keys[b].kind
	})
	err := database.WithTx(ctx, c.DB, func(tx *database.Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(tx.Context(), `INSERT INTO search_misses (tenant_id, month, words, kind, searches) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (tenant_id, month, words, kind) DO UPDATE SET searches = search_misses.searches + excluded.searches`,
				k.tenantID, k.month, k.words, k.kind, counts[k]); err != nil {
				return fmt.Errorf("count missed search: %w", err)
			}
		}
		return deleteClosedMisses(tx, month, oldest)
	})
	if err != nil {
		c.misses.mu.Lock()
		if c.misses.counts == nil {
			c.misses.counts = map[missKey]int{}
		}
		for k, n := range counts {
			c.misses.counts[k] += n
		}
		c.misses.mu.Unlock()
		return fmt.Errorf("flush missed searches: %w", err)
	}
	c.misses.swept.Store(month)
	return nil
}

// sweepMisses deletes what must not be kept (see FlushMisses) when no
// counts are buffered, once per month and instance.
func (c *Catalog) sweepMisses(ctx context.Context, month, oldest string) error {
	err := database.WithTx(ctx, c.DB, func(tx *database.Tx) error { return deleteClosedMisses(tx, month, oldest) })
	if err != nil {
		return fmt.Errorf("sweep missed searches: %w", err)
	}
	c.misses.swept.Store(month)
	return nil
}

// deleteClosedMisses deletes the rows of months before month whose words
// counted fewer than MinMissSearches searches (both kinds together), and
// every row before oldest.
func deleteClosedMisses(tx *database.Tx, month, oldest string) error {
	if _, err := tx.ExecContext(tx.Context(), `DELETE FROM search_misses WHERE month < $1`, oldest); err != nil {
		return fmt.Errorf("delete old missed searches: %w", err)
	}
	if _, err := tx.ExecContext(tx.Context(), `DELETE FROM search_misses WHERE month < $1 AND (tenant_id, month, words) IN (
		SELECT tenant_id, month, words FROM search_misses WHERE month < $1
		GROUP BY tenant_id, month, words HAVING SUM(searches) < $2)`, month, MinMissSearches); err != nil {
		return fmt.Errorf("delete rare missed searches: %w", err)
	}
	return nil
}

// Miss is one row of the missed-searches report.
type Miss struct {
	Month     string `json:"month"`
	Words     string `json:"words"`
	None      int    `json:"none"`      // searches that found nothing
	Abandoned int    `json:"abandoned"` // searches given up
}

// Misses lists the tenant's missed searches of the last months, most
// frequent first, leaving out words with fewer than MinMissSearches
// searches in a month. Catalog editors (form managers, admins) only.
func (c *Catalog) Misses(ctx context.Context, p identity.Principal, tenantID int64) ([]Miss, error) {
	if err := p.Require(tenantID, editorRoles...); err != nil {
		return nil, err
	}
	since := c.now().UTC().AddDate(0, -missMonths, 0).Format("2006-01")
	rows, err := c.DB.R.QueryContext(ctx, `SELECT month, words,
		SUM(CASE WHEN kind = 'none' THEN searches ELSE 0 END), SUM(CASE WHEN kind = 'abandoned' THEN searches ELSE 0 END)
		FROM search_misses WHERE tenant_id = $1 AND month >= $2
		GROUP BY month, words HAVING SUM(searches) >= $3
		ORDER BY month DESC, SUM(searches) DESC, words LIMIT 200`, tenantID, since, MinMissSearches)
	if err != nil {
		return nil, fmt.Errorf("missed searches: %w", err)
	}
	defer rows.Close()
	out := []Miss{}
	for rows.Next() {
		var m Miss
		if err := rows.Scan(&m.Month, &m.Words, &m.None, &m.Abandoned); err != nil {
			return nil, fmt.Errorf("missed searches: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MaxPhraseBytes bounds a phrase staff add to a service.
const MaxPhraseBytes = 100

// AddPhrase adds words citizens use to a service's keywords, so the finder
// finds the service by them: a new version of the service like any edit
// (kept in service_versions, audited as "catalog.phrase"), and the catalog
// revision is bumped, so every instance rebuilds its finder on its next
// search. Catalog editors only; a phrase the service already has changes
// nothing.
func (c *Catalog) AddPhrase(ctx context.Context, p identity.Principal, tenantID int64, ref, phrase string) (*StoredService, error) {
	if err := p.See(tenantID, editorRoles...); err != nil {
		return nil, err
	}
	phrase = strings.Join(strings.Fields(phrase), " ")
	var v fault.Validation
	switch {
	case phrase == "":
		v.Add("phrase", "required")
	case len(phrase) > MaxPhraseBytes:
		v.Add("phrase", "too_long", "max", MaxPhraseBytes)
	case MissWords(phrase) == "":
		v.Add("phrase", "invalid")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *StoredService
	err := database.WithTx(ctx, c.DB, func(tx *database.Tx) error {
		old, err := getStored(tx.Context(), tx, tenantID, NormalizeRef(ref), tx.DB.ForUpdate())
		if err != nil {
			return err
		}
		for _, k := range old.Keywords {
			if strings.EqualFold(k, phrase) {
				out = old
				return nil
			}
		}
		s := old.Service
		s.Keywords = append(append([]string{}, s.Keywords...), phrase)
		if err := replaceService(tx, tenantID, old, s, ChangeEdit, p.Ref); err != nil {
			return err
		}
		if err := bumpRevision(tx, tenantID); err != nil {
			return err
		}
		if err := audit.Append(tx, audit.Event{TenantID: tenantID, Actor: p.Ref, Action: "catalog.phrase", ObjectType: "service", ObjectRef: s.ID,
			After: map[string]any{"phrase": phrase, "version": old.Version + 1}}); err != nil {
			return err
		}
		out, err = getStored(tx.Context(), tx, tenantID, s.ID, "")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("add phrase to %s: %w", ref, err)
	}
	return out, nil
}
