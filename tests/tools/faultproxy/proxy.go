package main

// proxy.go - the fault-injecting reverse proxy.
//
// Every request that is not spared (see --spare) is first delayed by the
// current --delay, then one roll of the dice decides its fate:
//   - fail (probability --fail-rate): answered here, never forwarded, with
//     429 or 500 (even odds), Retry-After: 1 and a Kubernetes Status body,
//     so the client knows the server never acted on it only from the code;
//   - reset (probability --reset-rate): forwarded, then the client's TCP
//     connection is torn down with an RST part-way through the response (at
//     the first body bytes, or after a random time up to --reset-within for
//     a stream that stays quiet). The upstream may well have acted on the
//     request: the client cannot tell, which is the case worth testing.
//     Under HTTP/2 every request multiplexed on that connection dies with
//     it, watches included, as when a load balancer drops a connection;
//   - otherwise forwarded untouched. Watches stream through unbuffered.
//
// Independently, watch streams whose path matches --watch-lag-match go
// through a delaying writer: every chunk is held back by the current
// --watch-lag (order kept), and not delivered at all while the control
// endpoint's watch-hold is on (delivered, in order, when it goes off). The
// client's view of those objects then trails the server - as behind a
// loaded API server's watch cache - so it sees even its own writes late.
// The settings change at run time through the control listener, so a test
// can stop the faults and watch the client converge on the same connection.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type faultSettings struct {
	Delay       time.Duration `json:"-"`
	DelayText   string        `json:"delay"`
	WatchLag    time.Duration `json:"-"`
	LagText     string        `json:"watchLag"`
	WatchHold   bool          `json:"watchHold"`
	FailRate    float64       `json:"failRate"`
	ResetRate   float64       `json:"resetRate"`
	ResetWithin time.Duration `json:"-"`
}

type fate int

const (
	fatePass fate = iota
	fateFail429
	fateFail500
	fateReset
)

type stats struct {
	requests, spared, watches, delayed     atomic.Int64
	fail429, fail500, resets, upstreamErrs atomic.Int64

	mu       sync.Mutex
	byMethod map[string]int64 // requests received, by method
	faulted  map[string]int64 // requests failed or reset, by method
}

func (st *stats) count(m map[string]int64, method string) {
	st.mu.Lock()
	m[method]++
	st.mu.Unlock()
}

type proxy struct {
	upstream *url.URL
	rp       *httputil.ReverseProxy
	spare    *regexp.Regexp
	lagMatch *regexp.Regexp
	verbose  bool

	mu  sync.Mutex
	cur faultSettings
	rnd *rand.Rand

	st stats
}

type connKey struct{}

// connContext remembers each accepted connection in its requests' context,
// so a handler can reset the connection its request arrived on.
func connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

func newProxy(upstream *url.URL, transport http.RoundTripper, spare, lagMatch *regexp.Regexp, s faultSettings,
	seed uint64, verbose bool) *proxy {
	p := &proxy{upstream: upstream, spare: spare, lagMatch: lagMatch, verbose: verbose, cur: s,
		rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	p.st.byMethod = map[string]int64{}
	p.st.faulted = map[string]int64{}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upstream)
			pr.Out.Host = upstream.Host
		},
		Transport:     transport,
		FlushInterval: -1, // watches: every chunk goes out as it arrives
		ErrorLog:      log.New(io.Discard, "", 0),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, errCut) || r.Context().Err() != nil {
				return // our own reset, or the client went away
			}
			p.st.upstreamErrs.Add(1)
			if p.verbose {
				log.Printf("upstream error: %s %s: %v", r.Method, r.URL.RequestURI(), err)
			}
			http.Error(w, "faultproxy: upstream unreachable", http.StatusBadGateway)
		},
	}
	return p
}

func (p *proxy) settings() faultSettings {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

// roll decides a request's fate and, for a reset, after how long a quiet
// stream is cut.
func (p *proxy) roll() (fate, time.Duration, faultSettings) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.cur
	x := p.rnd.Float64()
	switch {
	case x < s.FailRate:
		if p.rnd.IntN(2) == 0 {
			return fateFail429, 0, s
		}
		return fateFail500, 0, s
	case x < s.FailRate+s.ResetRate:
		var after time.Duration
		if s.ResetWithin > 0 {
			after = time.Duration(p.rnd.Int64N(int64(s.ResetWithin)))
		}
		return fateReset, after, s
	}
	return fatePass, 0, s
}

func isWatch(r *http.Request) bool {
	w := r.URL.Query().Get("watch")
	return w == "true" || w == "1"
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.st.requests.Add(1)
	p.st.count(p.st.byMethod, r.Method)
	if isWatch(r) {
		p.st.watches.Add(1)
		if p.lagMatch != nil && p.lagMatch.MatchString(r.URL.Path) {
			lw := newLagWriter(w, p.settings)
			defer lw.drain()
			w = lw
		}
	}
	if p.spare.MatchString(r.URL.Path) {
		p.st.spared.Add(1)
		p.rp.ServeHTTP(w, r)
		return
	}
	f, resetAfter, s := p.roll()
	if s.Delay > 0 {
		t := time.NewTimer(s.Delay)
		select {
		case <-t.C:
			p.st.delayed.Add(1)
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if f != fatePass {
		p.st.count(p.st.faulted, r.Method)
	}
	switch f {
	case fateFail429, fateFail500:
		p.fail(w, r, f)
	case fateReset:
		p.reset(w, r, resetAfter)
	default:
		p.rp.ServeHTTP(w, r)
	}
}

func (p *proxy) fail(w http.ResponseWriter, r *http.Request, f fate) {
	code, reason := http.StatusTooManyRequests, "TooManyRequests"
	if f == fateFail500 {
		code, reason = http.StatusInternalServerError, "InternalError"
		p.st.fail500.Add(1)
	} else {
		p.st.fail429.Add(1)
	}
	if p.verbose {
		log.Printf("fail %d: %s %s", code, r.Method, r.URL.RequestURI())
	}
	body, _ := json.Marshal(map[string]any{
		"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{},
		"status": "Failure", "reason": reason, "code": code,
		"message": fmt.Sprintf("faultproxy: injected %d", code),
		"details": map[string]any{"retryAfterSeconds": 1},
	})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Retry-After", "1")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

var errCut = errors.New("faultproxy: connection reset on purpose")

// cutWriter passes the response through until its first body bytes, sends
// half of them and then resets the connection.
type cutWriter struct {
	http.ResponseWriter
	cut func()
}

func (c *cutWriter) Write(b []byte) (int, error) {
	if n := len(b) / 2; n > 0 {
		_, _ = c.ResponseWriter.Write(b[:n])
		_ = http.NewResponseController(c.ResponseWriter).Flush()
	}
	c.cut()
	return 0, errCut
}

func (c *cutWriter) FlushError() error {
	return http.NewResponseController(c.ResponseWriter).Flush()
}

func (p *proxy) reset(w http.ResponseWriter, r *http.Request, after time.Duration) {
	conn, _ := r.Context().Value(connKey{}).(net.Conn)
	var once sync.Once
	cut := func() {
		once.Do(func() {
			p.st.resets.Add(1)
			if p.verbose {
				log.Printf("reset: %s %s", r.Method, r.URL.RequestURI())
			}
			resetConn(conn)
		})
	}
	if after > 0 {
		t := time.AfterFunc(after, cut)
		defer t.Stop()
	}
	p.rp.ServeHTTP(&cutWriter{ResponseWriter: w, cut: cut}, r)
}

// lagWriter delivers each body chunk the current watch lag after it was
// written, in order, and none while the watch hold is on, from a goroutine
// of its own; drain waits until everything went out (the ResponseWriter
// must not be used once the handler returns).
type lagWriter struct {
	http.ResponseWriter
	settings func() faultSettings
	chunks   chan lagChunk
	done     chan struct{}
}

type lagChunk struct {
	due  time.Time
	data []byte
}

func newLagWriter(w http.ResponseWriter, settings func() faultSettings) *lagWriter {
	lw := &lagWriter{ResponseWriter: w, settings: settings, chunks: make(chan lagChunk, 4096),
		done: make(chan struct{})}
	go func() {
		defer close(lw.done)
		rc := http.NewResponseController(w)
		for c := range lw.chunks {
			time.Sleep(time.Until(c.due))
			for lw.settings().WatchHold {
				time.Sleep(20 * time.Millisecond)
			}
			if _, err := w.Write(c.data); err != nil {
				for range lw.chunks {
				}
				return
			}
			_ = rc.Flush()
		}
	}()
	return lw
}

func (lw *lagWriter) Write(b []byte) (int, error) {
	lw.chunks <- lagChunk{due: time.Now().Add(lw.settings().WatchLag), data: append([]byte(nil), b...)}
	return len(b), nil
}

// FlushError: the delivering goroutine flushes after every chunk.
func (lw *lagWriter) FlushError() error { return nil }

func (lw *lagWriter) drain() {
	close(lw.chunks)
	<-lw.done
}

// resetConn closes the TCP connection under c with SO_LINGER 0, so the peer
// sees an RST rather than an orderly TLS close.
func resetConn(c net.Conn) {
	type netConner interface{ NetConn() net.Conn }
	for {
		inner, ok := c.(netConner)
		if !ok {
			break
		}
		c = inner.NetConn()
	}
	if tcp, ok := c.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	if c != nil {
		_ = c.Close()
	}
}

// control serves GET /stats (one "name value" line per counter; method_X
// and faulted_X count requests received and faulted by HTTP method) and
// POST /faults?delay=&fail-rate=&reset-rate=&watch-lag=&watch-hold= (any subset; answers the
// settings now in force).
func (p *proxy) control() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		st := &p.st
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "requests %d\nwatches %d\nspared %d\ndelayed %d\nfail_429 %d\nfail_500 %d\nresets %d\nupstream_errors %d\n",
			st.requests.Load(), st.watches.Load(), st.spared.Load(), st.delayed.Load(),
			st.fail429.Load(), st.fail500.Load(), st.resets.Load(), st.upstreamErrs.Load())
		st.mu.Lock()
		defer st.mu.Unlock()
		for _, m := range []struct {
			prefix string
			counts map[string]int64
		}{{"method_", st.byMethod}, {"faulted_", st.faulted}} {
			names := make([]string, 0, len(m.counts))
			for k := range m.counts {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				fmt.Fprintf(w, "%s%s %d\n", m.prefix, k, m.counts[k])
			}
		}
	})
	mux.HandleFunc("/faults", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if err := p.update(r.URL.Query()); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		s := p.settings()
		s.DelayText = s.Delay.String()
		s.LagText = s.WatchLag.String()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s)
	})
	return mux
}

func (p *proxy) update(q url.Values) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.cur
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"delay", &s.Delay}, {"watch-lag", &s.WatchLag}} {
		if v := q.Get(d.name); v != "" {
			x, err := time.ParseDuration(v)
			if err != nil || x < 0 {
				return fmt.Errorf("%s: want a duration such as 200ms, got %q", d.name, v)
			}
			*d.dst = x
		}
	}
	for _, rate := range []struct {
		name string
		dst  *float64
	}{{"fail-rate", &s.FailRate}, {"reset-rate", &s.ResetRate}} {
		if v := q.Get(rate.name); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				return fmt.Errorf("%s: want a fraction from 0 to 1, got %q", rate.name, v)
			}
			*rate.dst = f
		}
	}
	if v := q.Get("watch-hold"); v != "" {
		h, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("watch-hold: want true or false, got %q", v)
		}
		s.WatchHold = h
	}
	if s.FailRate+s.ResetRate > 1 {
		return fmt.Errorf("fail-rate + reset-rate must not exceed 1")
	}
	p.cur = s
	return nil
}
