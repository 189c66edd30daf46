// faultproxy - a loopback HTTPS reverse proxy in front of a Kubernetes API
// server that makes it slow and unreliable on purpose, for the fault tests
// (tests/integration/test_faults.sh builds and starts it).
//
// It terminates TLS with a certificate from a CA generated at startup (the CA
// is written to --ca-out for the client's kubeconfig), forwards to the real
// API server authenticating with the given client certificate, and injects
// faults as described in proxy.go. Watches stream through unbuffered, over
// HTTP/2 like the real server unless --http1.
//
// Never faulted (--spare, a regexp on the path): /healthz, /livez, /readyz,
// /version and /openapi. No reconcile goes through them, and a client or a
// human checking "is the server up" through the proxy must get a true
// answer, not a dice roll; everything a controller does - lists, watches,
// gets, applies, status patches, deletes, events, leases - is fair game. The
// control listener (plain HTTP, loopback only) is separate and never faulted.
//
// The proxy acts upstream with the identity it was given, so it listens on
// loopback only; with --client-ca it also demands a client certificate
// signed by that CA, like the API server it stands in for.
//
// Usage:
//
//	faultproxy --upstream https://127.0.0.1:6443 --upstream-ca ca.crt \
//	  --client-cert admin.crt --client-key admin.key --ca-out proxy-ca.pem \
//	  [--listen 127.0.0.1:0] [--control 127.0.0.1:0] [--delay 100ms]
//	  [--fail-rate 0.2] [--reset-rate 0.02] [--reset-within 2s] [--seed N]
//	  [--watch-lag 2s --watch-lag-match /devservers]
//
// On startup it prints one line:
//
//	faultproxy listening on https://HOST:PORT control http://HOST:PORT
//
// Control: GET /stats; POST /faults?delay=0s&fail-rate=0&reset-rate=0&watch-lag=0s&watch-hold=false
// (watch-hold=true stops delivering the matching watches until set false).
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"time"
)

const defaultSpare = `^/(healthz|livez|readyz|version|openapi)(/|$)`

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve HTTPS on (loopback)")
	controlAddr := flag.String("control", "127.0.0.1:0", "address of the plain-HTTP control listener")
	upstreamURL := flag.String("upstream", "", "the real API server, https://HOST:PORT")
	upstreamCA := flag.String("upstream-ca", "", "PEM CA bundle to verify the upstream")
	clientCert := flag.String("client-cert", "", "client certificate (PEM) presented upstream")
	clientKey := flag.String("client-key", "", "its key (PEM)")
	clientCA := flag.String("client-ca", "", "if set, require client certificates signed by this CA (PEM)")
	caOut := flag.String("ca-out", "", "write the proxy's generated CA certificate (PEM) here")
	delay := flag.Duration("delay", 0, "latency added to every faultable request")
	failRate := flag.Float64("fail-rate", 0, "fraction of requests answered 429 or 500 with Retry-After: 1")
	resetRate := flag.Float64("reset-rate", 0, "fraction of requests whose connection is reset mid-response")
	resetWithin := flag.Duration("reset-within", 2*time.Second, "a quiet stream chosen for a reset is cut within this time")
	spare := flag.String("spare", defaultSpare, "regexp: paths that are never faulted")
	watchLag := flag.Duration("watch-lag", 0, "hold back every chunk of a matching watch stream this long")
	lagMatch := flag.String("watch-lag-match", "", "regexp: paths of the watches that --watch-lag and watch-hold apply to (none when empty)")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "random seed (printed, for replaying a run)")
	http1 := flag.Bool("http1", false, "serve HTTP/1.1 only (no HTTP/2)")
	verbose := flag.Bool("v", false, "log every injected fault to stderr")
	flag.Parse()

	log.SetFlags(log.Ltime | log.Lmicroseconds)
	log.SetPrefix("faultproxy: ")
	if err := run(*listen, *controlAddr, *upstreamURL, *upstreamCA, *clientCert, *clientKey, *clientCA, *caOut,
		*spare, *lagMatch, *seed, *http1, *verbose,
		faultSettings{Delay: *delay, FailRate: *failRate, ResetRate: *resetRate, ResetWithin: *resetWithin,
			WatchLag: *watchLag}); err != nil {
		log.Fatal(err)
	}
}

func loadPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return pool, nil
}

func run(listen, controlAddr, upstreamURL, upstreamCA, clientCert, clientKey, clientCA, caOut, spare, lagMatch string,
	seed uint64, http1, verbose bool, s faultSettings) error {
	if upstreamURL == "" || upstreamCA == "" || clientCert == "" || clientKey == "" {
		return fmt.Errorf("--upstream, --upstream-ca, --client-cert and --client-key are required")
	}
	if s.FailRate < 0 || s.ResetRate < 0 || s.FailRate+s.ResetRate > 1 {
		return fmt.Errorf("--fail-rate and --reset-rate are fractions whose sum is at most 1")
	}
	up, err := url.Parse(upstreamURL)
	if err != nil || up.Scheme != "https" || up.Host == "" {
		return fmt.Errorf("--upstream: want https://HOST:PORT, got %q", upstreamURL)
	}
	spareRe, err := regexp.Compile(spare)
	if err != nil {
		return fmt.Errorf("--spare: %w", err)
	}
	var lagRe *regexp.Regexp
	if lagMatch != "" {
		if lagRe, err = regexp.Compile(lagMatch); err != nil {
			return fmt.Errorf("--watch-lag-match: %w", err)
		}
	}
	upPool, err := loadPool(upstreamCA)
	if err != nil {
		return fmt.Errorf("--upstream-ca: %w", err)
	}
	ident, err := tls.LoadX509KeyPair(clientCert, clientKey)
	if err != nil {
		return fmt.Errorf("client certificate: %w", err)
	}
	transport := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: upPool, Certificates: []tls.Certificate{ident}},
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 64,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		TLSHandshakeTimeout: 5 * time.Second,
	}

	serving, caPEM, err := newServingCert()
	if err != nil {
		return err
	}
	if caOut != "" {
		if err := writeFileAtomic(caOut, caPEM); err != nil {
			return fmt.Errorf("--ca-out: %w", err)
		}
	}
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{serving}, MinVersion: tls.VersionTLS12}
	if clientCA != "" {
		pool, err := loadPool(clientCA)
		if err != nil {
			return fmt.Errorf("--client-ca: %w", err)
		}
		tlsCfg.ClientCAs = pool
		tlsCfg.ClientAuth = tls.RequireAndVerifyClientCert
	}

	p := newProxy(up, transport, spareRe, lagRe, s, seed, verbose)
	srv := &http.Server{Handler: p, TLSConfig: tlsCfg, ConnContext: connContext,
		ErrorLog: log.New(os.Stderr, "faultproxy: server: ", log.Ltime)}
	if http1 {
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	cln, err := net.Listen("tcp", controlAddr)
	if err != nil {
		return err
	}
	csrv := &http.Server{Handler: p.control(), ReadHeaderTimeout: 5 * time.Second}

	errc := make(chan error, 2)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	go func() { errc <- csrv.Serve(cln) }()
	fmt.Printf("faultproxy listening on https://%s control http://%s\n", ln.Addr(), cln.Addr())
	log.Printf("upstream %s, delay %s, fail-rate %g, reset-rate %g, seed %d", up, s.Delay, s.FailRate, s.ResetRate, seed)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case err := <-errc:
		return err
	case <-sig:
		log.Printf("stopping")
		return nil
	}
}
