package catalog

import (
	"sync"
	"sync/atomic"
)

// Index holds the current Finder of a catalog and swaps it atomically when
// the catalog changes, so searches never wait for a rebuild. The zero
// value is an empty index.
type Index struct {
	p atomic.Pointer[Finder]
}

// Set rebuilds the finder from services and makes it current. Callers
// serialise Set themselves (it is called after a catalog transaction).
func (x *Index) Set(services []Service) {
	x.p.Store(NewFinder(services))
}

// Finder returns the current finder (an empty one before the first Set).
func (x *Index) Finder() *Finder {
	if f := x.p.Load(); f != nil {
		return f
	}
	return emptyFinder()
}

// emptyFinder is built on first use (it compiles the synonym table), not at
// program start.
var emptyFinder = sync.OnceValue(func() *Finder { return NewFinder(nil) })
