package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestAPIUnderConnectFlood runs every API call that closes or reopens a
// proxy's listener (disable and enable, a new listen address, a refuse
// toxic, delete and create) in a loop while clients connect as fast as they
// can. Every call must answer within a second. On a hang the test reports
// it and leaves the server as it is, so that it ends by itself.
func TestAPIUnderConnectFlood(t *testing.T) {
	s := NewServer(Options{Version: "test"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	api := "http://" + ln.Addr().String()
	hung := false
	defer func() {
		if !hung {
			s.Close()
		}
	}()
	up := startUpstream(t, echo)

	hc := &http.Client{Timeout: time.Second}
	call := func(method, path, body string) (string, error) {
		req, err := http.NewRequest(method, api+path, strings.NewReader(body))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return "", err
		}
		if resp.StatusCode >= 300 {
			return "", fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, b)
		}
		return string(b), nil
	}
	mustCall := func(method, path, body string) string {
		out, err := call(method, path, body)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				hung = true
				t.Fatalf("API hung under a connect flood: %v", err)
			}
			t.Fatal(err)
		}
		return out
	}
	listenOf := func(body string) string {
		i := strings.Index(body, `"listen":"`)
		if i < 0 {
			t.Fatalf("no listen address in %s", body)
		}
		rest := body[i+len(`"listen":"`):]
		return rest[:strings.IndexByte(rest, '"')]
	}
	create := `{"name":"flood","listen":"127.0.0.1:0","upstream":"` + up + `"}`

	var addr atomic.Value
	addr.Store(listenOf(mustCall("POST", "/proxies", create)))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var connected atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.DialTimeout("tcp", addr.Load().(string), time.Second)
				if err != nil {
					continue
				}
				connected.Add(1)
				c.SetDeadline(time.Now().Add(time.Second))
				c.Write([]byte("x"))
				c.Read(make([]byte, 1))
				c.Close()
			}
		}()
	}
	defer func() {
		close(stop)
		wg.Wait()
	}()

	steps := []func(){
		func() { mustCall("POST", "/proxies/flood", `{"enabled":false}`) },
		func() { mustCall("POST", "/proxies/flood", `{"enabled":true}`) },
		func() {
			addr.Store(listenOf(mustCall("POST", "/proxies/flood", `{"listen":"127.0.0.1:0"}`)))
		},
		func() { mustCall("POST", "/proxies/flood/toxics", `{"name":"r","type":"refuse"}`) },
		func() { mustCall("DELETE", "/proxies/flood/toxics/r", "") },
		func() {
			mustCall("POST", "/proxies/flood/toxics", `{"name":"l","type":"latency","attributes":{"latency":1}}`)
		},
		func() { mustCall("DELETE", "/proxies/flood/toxics/l", "") },
		func() { mustCall("DELETE", "/proxies/flood", "") },
		func() { addr.Store(listenOf(mustCall("POST", "/proxies", create))) },
		func() { mustCall("POST", "/reset", "") },
		func() { mustCall("GET", "/proxies", "") },
		func() { mustCall("GET", "/metrics", "") },
	}
	rounds := 0
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); rounds++ {
		for _, step := range steps {
			step()
		}
	}
	if connected.Load() == 0 {
		t.Errorf("no client connected in %d rounds: the flood did not run", rounds)
	}
	t.Logf("%d rounds of %d calls, %d client connections", rounds, len(steps), connected.Load())
}
