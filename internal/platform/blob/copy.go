package blob

import (
	"context"
	"errors"
	"fmt"
)

// CopyReport counts what Copy did.
type CopyReport struct {
	Total   int      `json:"total"`   // blobs in the source
	Copied  int      `json:"copied"`  // copied and verified at the target
	Present int      `json:"present"` // already at the target and verified there (a resumed run)
	Bytes   int64    `json:"bytes"`   // bytes copied
	Failed  []string `json:"failed"`  // "key: reason" (corrupt at the source, refused by the target)
}

// Copy copies every blob of from into to and verifies each one at the
// target by reading it back and re-hashing it. A blob already at the target
// and intact is not copied again, so an interrupted run (ctx cancelled)
// resumes where it stopped; a blob the target holds in altered form is
// copied again. Each Put is atomic, so an interruption leaves no partial
// blob. progress, if set, is called after each blob.
func Copy(ctx context.Context, from, to Store, progress func(r CopyReport)) (CopyReport, error) {
	r := CopyReport{Failed: []string{}}
	err := from.Walk(ctx, func(key string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.Total++
		defer func() {
			if progress != nil {
				progress(r)
			}
		}()
		if _, err := to.Stat(ctx, key); err == nil {
			f, err := to.Open(ctx, key)
			if err == nil {
				f.Close()
				r.Present++
				return nil
			}
			if !errors.Is(err, ErrCorrupt) {
				return fmt.Errorf("verify %s at the target: %w", key, err)
			}
		} else if !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("look up %s at the target: %w", key, err)
		}
		src, err := from.Open(ctx, key)
		if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotFound) {
			r.Failed = append(r.Failed, key+": "+err.Error())
			return nil
		}
		if err != nil {
			return err
		}
		got, n, err := to.Put(ctx, src)
		src.Close()
		if err != nil {
			return fmt.Errorf("copy %s: %w", key, err)
		}
		if got != key {
			r.Failed = append(r.Failed, fmt.Sprintf("%s: arrived as %s", key, got))
			return nil
		}
		f, err := to.Open(ctx, key)
		if err != nil {
			r.Failed = append(r.Failed, key+": verify at the target: "+err.Error())
			return nil
		}
		f.Close()
		r.Copied++
		r.Bytes += n
		return nil
	})
	return r, err
}
