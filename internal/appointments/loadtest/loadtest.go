// Package loadtest is the release-rush harness of appointments (`rathaus
// loadtest appointments`): it creates a scenario location through the
// staff API of a running installation — its slots released a few seconds
// after the start, with the protections the run asks for — then lets many
// clients fight for the few slots while others browse, and reports one
// JSON document. It talks HTTP only; the double-booking count is done by
// the caller on the database (appointments.DoubleBookingsQuery).
package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rathaus/rathaus/internal/appointments"
	"github.com/rathaus/rathaus/internal/platform/calendar"
)

// Config is one run.
type Config struct {
	URLs     []string      // base URLs of the instances (clients are spread over them)
	Clients  int           // concurrent clients
	Duration time.Duration // length of the rush after the release
	Token    string        // an admin's API token (creates the scenario location)
	// Protections: on — the location asks for proof of work and enforces
	// per-address limits; a share of the clients are bots hammering from
	// two addresses. off — the speed run.
	Protections  bool
	BotShare     float64       // share of bot clients when Protections (default 0.25)
	Slots        int           // slots released (default 40)
	ReleaseAfter time.Duration // release this long after the start (default 3 s)
	SearchShare  float64       // share of requests that are searches (default 0.3)
	// Lottery releases the slots by lot: every request of the first
	// minute after the release enters the draw (202); speed gives no
	// advantage. The caller waits for the draw and counts the winners.
	Lottery bool
	Log     io.Writer // progress (stderr)
}

// Result is the harness's JSON document.
type Result struct {
	Kind           string      `json:"kind"`
	Clients        int         `json:"clients"`
	Attempts       int64       `json:"attempts"`
	AttemptsPerS   float64     `json:"attempts_per_s"`
	Bookings       int64       `json:"bookings"`
	Conflicts      int64       `json:"conflicts"`
	RateLimited    int64       `json:"rate_limited"`
	Errors         int64       `json:"errors"`
	Searches       int64       `json:"searches"`
	DoubleBookings int64       `json:"double_bookings"`
	Protections    Protections `json:"protections"`
	LatencyMS      Latency     `json:"latency_ms"`

	// Not in the document: for the caller and the stderr summary.
	Location string        `json:"-"`
	DrawAt   time.Time     `json:"-"` // end of the lottery window
	Humans   Tally         `json:"-"`
	Bots     Tally         `json:"-"`
	PoWSolve time.Duration `json:"-"` // mean time to solve one challenge
}

// Protections says which protections were in force.
type Protections struct {
	PoW        bool `json:"pow"`
	RateLimits bool `json:"rate_limits"`
}

// Latency holds the percentiles of both request kinds.
type Latency struct {
	Booking Percentiles `json:"booking"`
	Search  Percentiles `json:"search"`
}

// Percentiles in milliseconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
}

// Tally counts one group's attempts.
type Tally struct{ Attempts, Bookings, Refused int64 }

type scenario struct {
	location string
	service  string
	day      calendar.Date
	release  time.Time
	starts   []time.Time
	prot     Protections
	pow      int
}

func (c *Config) defaults() {
	if c.Slots <= 0 {
		c.Slots = 40
	}
	if c.ReleaseAfter <= 0 {
		c.ReleaseAfter = 3 * time.Second
	}
	if c.SearchShare <= 0 {
		c.SearchShare = 0.3
	}
	if c.BotShare <= 0 {
		c.BotShare = 0.25
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// Run creates the scenario and runs the rush.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.defaults()
	if len(cfg.URLs) == 0 || cfg.Clients < 1 || cfg.Duration <= 0 || cfg.Token == "" {
		return nil, fmt.Errorf("loadtest: need --url, --clients > 0, --duration > 0 and --token")
	}
	admin := &http.Client{Timeout: 30 * time.Second}
	sc, err := createScenario(ctx, admin, cfg)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(cfg.Log, "scenario location %s: %d slots on %s released at %s; protections pow=%v rate_limits=%v\n",
		sc.location, len(sc.starts)*0+cfg.Slots, sc.day, sc.release.In(calendar.Berlin).Format("15:04:05"), sc.prot.PoW, sc.prot.RateLimits)
	res := &Result{Kind: "appointments", Clients: cfg.Clients, Protections: sc.prot, Location: sc.location}
	if cfg.Lottery {
		res.DrawAt = sc.release.Add(time.Minute)
	}
	end := sc.release.Add(cfg.Duration)
	var (
		mu                 sync.Mutex
		bookLat, searchLat []time.Duration
		solveTotal         atomic.Int64
		solves             atomic.Int64
	)
	var wg sync.WaitGroup
	run := strings.ReplaceAll(sc.location, "-", "")
	net16 := byte(1 + rand.IntN(250))
	bots := 0
	if cfg.Protections {
		bots = int(float64(cfg.Clients) * cfg.BotShare)
	}
	for i := 0; i < cfg.Clients; i++ {
		bot := i < bots
		wg.Go(func() {
			cl := newClient(cfg, i, bot, net16)
			defer cl.http.CloseIdleConnections()
			var bl, sl []time.Duration
			var free []time.Time
			rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			base := cfg.URLs[i%len(cfg.URLs)]
			n := 0
			// Before the release everyone refreshes the search.
			for time.Now().Before(sc.release) && ctx.Err() == nil {
				d, list, err := cl.search(ctx, base, sc)
				atomic.AddInt64(&res.Searches, 1)
				if err == nil {
					sl = append(sl, d)
					free = list
				}
				wait := time.Until(sc.release)
				if wait > 0 {
					time.Sleep(min(wait, time.Duration(100+rng.IntN(200))*time.Millisecond))
				}
			}
			entered := false // a person in the draw only browses on
			for time.Now().Before(end) && ctx.Err() == nil {
				if cfg.Protections && !bot {
					// With the protections on, people act like people: a
					// moment between clicks. Bots do not wait.
					time.Sleep(time.Duration(300+rng.IntN(600)) * time.Millisecond)
				}
				if entered || rng.Float64() < cfg.SearchShare {
					d, list, err := cl.search(ctx, base, sc)
					atomic.AddInt64(&res.Searches, 1)
					if err == nil {
						sl = append(sl, d)
						free = list
					}
					if entered {
						time.Sleep(time.Second)
					}
					continue
				}
				start := sc.starts[rng.IntN(len(sc.starts))]
				if len(free) > 0 {
					start = free[rng.IntN(len(free))]
				}
				n++
				pow := ""
				if sc.prot.PoW {
					t0 := time.Now()
					p, err := cl.solve(ctx, base, sc)
					if err != nil {
						atomic.AddInt64(&res.Errors, 1)
						atomic.AddInt64(&res.Attempts, 1)
						continue
					}
					solveTotal.Add(int64(time.Since(t0)))
					solves.Add(1)
					pow = p
				}
				who := "person"
				if bot {
					who = "bot"
				}
				email := fmt.Sprintf("lt-%s-%s-%d-%d@example.invalid", strings.ToLower(run), who, i, n)
				if cfg.Lottery && !bot {
					email = fmt.Sprintf("lt-%s-%s-%d@example.invalid", strings.ToLower(run), who, i) // a person enters once
				}
				d, status := cl.book(ctx, base, sc, start, email, pow)
				atomic.AddInt64(&res.Attempts, 1)
				bl = append(bl, d)
				refused := false
				switch {
				case status == 201 || status == 202:
					atomic.AddInt64(&res.Bookings, 1)
					free = slices.DeleteFunc(free, func(t time.Time) bool { return t.Equal(start) })
					if status == 202 && !bot {
						entered = true
					}
				case status == 409:
					atomic.AddInt64(&res.Conflicts, 1)
					free = slices.DeleteFunc(free, func(t time.Time) bool { return t.Equal(start) })
				case status == 429:
					atomic.AddInt64(&res.RateLimited, 1)
					refused = true
				default:
					atomic.AddInt64(&res.Errors, 1)
					refused = true
				}
				mu.Lock()
				t := &res.Humans
				if bot {
					t = &res.Bots
				}
				t.Attempts++
				if status == 201 || status == 202 {
					t.Bookings++
				}
				if refused {
					t.Refused++
				}
				mu.Unlock()
				if status == 429 {
					// Refused for the moment: a person waits a little, a bot
					// only briefly (the harness shares the machine with the
					// server, so bots do not burn it solving challenges for
					// nothing).
					time.Sleep(time.Second)
				}
			}
			mu.Lock()
			bookLat = append(bookLat, bl...)
			searchLat = append(searchLat, sl...)
			mu.Unlock()
		})
	}
	wg.Wait()
	secs := cfg.Duration.Seconds()
	res.AttemptsPerS = round1(float64(res.Attempts) / secs)
	res.LatencyMS.Booking = percentiles(bookLat)
	res.LatencyMS.Search = percentiles(searchLat)
	if n := solves.Load(); n > 0 {
		res.PoWSolve = time.Duration(solveTotal.Load() / n)
	}
	return res, ctx.Err()
}

func round1(x float64) float64 { return float64(int64(x*10+0.5)) / 10 }

func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(q float64) float64 {
		i := int(q * float64(len(ds)-1))
		return round1(float64(ds[i]) / float64(time.Millisecond))
	}
	return Percentiles{P50: at(0.50), P99: at(0.99)}
}

type client struct {
	http *http.Client
	cfg  Config
}

// newClient gives every client its own connection pool. With protections
// on, and the server on the loopback, people come from addresses of their
// own (127.0.0.10 …) and bots from two (127.0.0.2 and .3), so per-address
// limits see what they would see in the field.
func newClient(cfg Config, i int, bot bool, net16 byte) *client {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if cfg.Protections && loopback(cfg.URLs) {
		// A fresh /16 of the loopback net per run, so that the limits'
		// counts of an earlier run do not carry over.
		ip := net.IPv4(127, net16, byte(1+i/240), byte(10+i%240))
		if bot {
			ip = net.IPv4(127, net16, 0, byte(2+i%2))
		}
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConns: 4, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second, DisableCompression: true}
	return &client{http: &http.Client{Transport: tr, Timeout: 30 * time.Second}, cfg: cfg}
}

func loopback(urls []string) bool {
	for _, u := range urls {
		p, err := url.Parse(u)
		if err != nil || p.Hostname() != "127.0.0.1" {
			return false
		}
	}
	return true
}

type slotList struct {
	Days []struct {
		Status string `json:"status"`
		Slots  []struct {
			Start time.Time `json:"start"`
		} `json:"slots"`
	} `json:"days"`
}

func (c *client) search(ctx context.Context, base string, sc *scenario) (time.Duration, []time.Time, error) {
	u := base + "/api/v1/appointments/slots?location=" + sc.location + "&service=" + sc.service + "&from=" + sc.day.String() + "&to=" + sc.day.String()
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	t0 := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var l slotList
	err = json.NewDecoder(resp.Body).Decode(&l)
	d := time.Since(t0)
	if err != nil || resp.StatusCode != 200 {
		return d, nil, fmt.Errorf("search: %d %v", resp.StatusCode, err)
	}
	var out []time.Time
	for _, day := range l.Days {
		for _, s := range day.Slots {
			out = append(out, s.Start)
		}
	}
	return d, out, nil
}

func (c *client) solve(ctx context.Context, base string, sc *scenario) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/appointments/challenge?location="+sc.location, nil)
	resp, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var ch appointments.Challenge
	if err := json.NewDecoder(resp.Body).Decode(&ch); err != nil {
		return "", err
	}
	n, ok := appointments.Solve(ch)
	if !ok {
		return "", fmt.Errorf("challenge has no solution")
	}
	return ch.Encode(n), nil
}

func (c *client) book(ctx context.Context, base string, sc *scenario, start time.Time, email, pow string) (time.Duration, int) {
	body, _ := json.Marshal(appointments.BookingRequest{Location: sc.location, Services: []appointments.ServiceCount{{Service: sc.service, Count: 1}},
		Start: start, Email: email, PoW: pow})
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/appointments", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	t0 := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return time.Since(t0), 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return time.Since(t0), resp.StatusCode
}

// createScenario finds a service of the catalog and creates the location.
func createScenario(ctx context.Context, hc *http.Client, cfg Config) (*scenario, error) {
	base := cfg.URLs[0]
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/services?q=Personalausweis&limit=1", nil)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("loadtest: %s: %w", base, err)
	}
	var found struct {
		Results []struct {
			ID string `json:"id"`
		} `json:"results"`
	}
	err = json.NewDecoder(resp.Body).Decode(&found)
	resp.Body.Close()
	if err != nil || len(found.Results) == 0 {
		return nil, fmt.Errorf("loadtest: the catalog has no service to book (seed the demo city first): %v", err)
	}
	service := found.Results[0].ID
	release := time.Now().Add(cfg.ReleaseAfter).Truncate(time.Second).Add(time.Second)
	rl := release.In(calendar.Berlin)
	day := calendar.DateOf(rl, calendar.Berlin).AddDays(1)
	desks := 4
	units := (cfg.Slots + desks - 1) / desks
	if cfg.Slots < desks {
		desks, units = cfg.Slots, 1
	}
	st := appointments.DefaultSettings()
	st.SlotMinutes = 5
	st.HorizonDays = 1
	st.ReleaseTime = rl.Format("15:04:05")
	st.HoldMinutes = 15
	st.MaxPerPerson = 1
	st.Strategy = appointments.FirstCome
	if cfg.Lottery {
		st.Strategy, st.LotteryMinutes = appointments.Lottery, 1
	}
	st.Services = []appointments.LocationService{{Service: service, Minutes: 5, MaxCount: 1}}
	st.Rules = []appointments.Rule{}
	closes := time.Date(2000, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(units*5) * time.Minute).Format("15:04")
	st.Exceptions = []appointments.Exception{{Date: day.String(), Opens: "08:00", Closes: closes, Desks: desks, Note: "Lasttest"}}
	st.Protections = appointments.Protections{PoW: cfg.Protections, PoWDifficulty: 20000, RateLimits: cfg.Protections}
	if !cfg.Protections {
		st.Protections.PoWDifficulty = 0
	}
	st.Address = appointments.Address{Street: "Lastweg", HouseNumber: "1", Postcode: "00000", City: "Teststadt"}
	listed := false
	body, _ := json.Marshal(appointments.LocationInput{Name: "Lasttest " + rl.Format("2006-01-02 15:04:05"), Listed: &listed, Settings: st})
	req, _ = http.NewRequestWithContext(ctx, "POST", base+"/api/v1/appointments/locations", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+cfg.Token)
	resp, err = hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("loadtest: create scenario: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 {
		return nil, fmt.Errorf("loadtest: create scenario: %d %s", resp.StatusCode, raw)
	}
	var doc struct {
		ID        string      `json:"id"`
		Effective Protections `json:"effective_protections"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	sc := &scenario{location: doc.ID, service: service, day: day, release: release, prot: doc.Effective}
	first := time.Date(day.Year, day.Month, day.Day, 8, 0, 0, 0, calendar.Berlin)
	for u := 0; u < units; u++ {
		sc.starts = append(sc.starts, first.Add(time.Duration(u*5)*time.Minute))
	}
	return sc, nil
}
