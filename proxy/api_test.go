package proxy

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func httpDo(t testing.TB, h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Host = "localhost:8474"
	req.Header.Set("User-Agent", "teardown-test")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func httpGet(t *testing.T, s *Server, path string) string {
	rec := httpDo(t, s.Handler(), "GET", path, "")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// checkError checks that a response is a JSON error of Toxiproxy's shape.
func checkError(t testing.TB, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status %d, want %d; body %s", rec.Code, status, rec.Body)
		return
	}
	var e struct {
		Error  string `json:"error"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" || e.Status != status {
		t.Errorf("error body %q (%v), want {\"error\": ..., \"status\": %d}", rec.Body, err, status)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
}

func TestBadInput(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	h := s.Handler()
	if rec := httpDo(t, h, "POST", "/proxies", `{"name":"p","listen":"127.0.0.1:0","upstream":"127.0.0.1:9"}`); rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	if rec := httpDo(t, h, "POST", "/proxies/p/toxics", `{"type":"latency","name":"lat"}`); rec.Code != http.StatusOK {
		t.Fatalf("add toxic: %d %s", rec.Code, rec.Body)
	}
	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/proxies", `{`, 400},
		{"POST", "/proxies", `[]`, 400},
		{"POST", "/proxies", `{"name":"x"}`, 400},
		{"POST", "/proxies", `{"upstream":"127.0.0.1:9"}`, 400},
		{"POST", "/proxies", `{"name":"x","upstream":"nohostport"}`, 400},
		{"POST", "/proxies", `{"name":"x","upstream":"127.0.0.1:9","listen":"bad::addr::"}`, 400},
		{"POST", "/proxies", `{"name":"x","upstream":"127.0.0.1:9","enabled":"yes"}`, 400},
		{"POST", "/proxies", `{"name":"p","upstream":"127.0.0.1:9"}`, 409},
		{"POST", "/proxies", `{"name":"x","upstream":"127.0.0.1:9"} trailing`, 400},
		{"POST", "/populate", `{"name":"x"}`, 400},
		{"POST", "/populate", `[{"name":"x"}]`, 400},
		{"POST", "/populate", `[{"upstream":"127.0.0.1:9"}]`, 400},
		{"GET", "/proxies/nope", ``, 404},
		{"PATCH", "/proxies/p", `{"enabled":1}`, 400},
		{"PATCH", "/proxies/p", `{"listen":"::bad::"}`, 400},
		{"PATCH", "/proxies/nope", `{}`, 404},
		{"DELETE", "/proxies/nope", ``, 404},
		{"GET", "/proxies/nope/toxics", ``, 404},
		{"POST", "/proxies/p/toxics", `not json`, 400},
		{"POST", "/proxies/p/toxics", `{}`, 400},
		{"POST", "/proxies/p/toxics", `{"type":"nope"}`, 400},
		{"POST", "/proxies/p/toxics", `{"type":"latency","stream":"sideways"}`, 400},
		{"POST", "/proxies/p/toxics", `{"type":"latency","toxicity":2}`, 400},
		{"POST", "/proxies/p/toxics", `{"type":"latency","toxicity":-0.5}`, 400},
		{"POST", "/proxies/p/toxics", `{"type":"latency","attributes":{"latency":-1}}`, 400},
		{"POST", "/proxies/p/toxics", `{"type":"latency","attributes":{"latency":"1s"}}`, 400},
		{"POST", "/proxies/p/toxics", `{"type":"latency","attributes":[]}`, 400},
		{"POST", "/proxies/p/toxics", `{"type":"reset","attributes":{"after_bytes":-5}}`, 400},
		{"POST", "/proxies/p/toxics", `{"type":"latency","name":"lat"}`, 409},
		{"POST", "/proxies/nope/toxics", `{"type":"latency"}`, 404},
		{"GET", "/proxies/p/toxics/nope", ``, 404},
		{"PATCH", "/proxies/p/toxics/nope", `{}`, 404},
		{"PATCH", "/proxies/p/toxics/lat", `{"attributes":{"latency":"x"}}`, 400},
		{"PATCH", "/proxies/p/toxics/lat", `{"toxicity":7}`, 400},
		{"PATCH", "/proxies/p/toxics/lat", `{`, 400},
		{"DELETE", "/proxies/p/toxics/nope", ``, 404},
		{"GET", "/nowhere", ``, 404},
		{"PUT", "/proxies", ``, 405},
		{"DELETE", "/reset", ``, 405},
	} {
		rec := httpDo(t, h, tc.method, tc.path, tc.body)
		t.Run(tc.method+" "+tc.path+" "+tc.body, func(t *testing.T) { checkError(t, rec, tc.status) })
	}
	// Nothing above changed the proxy or its toxic.
	var p Info
	json.Unmarshal([]byte(httpGet(t, s, "/proxies/p")), &p)
	if len(p.Toxics) != 1 || p.Toxics[0].Name != "lat" || p.Toxics[0].Toxicity != 1 {
		t.Errorf("proxy after bad input: %+v", p)
	}
}

func TestBrowserRefused(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	req := httptest.NewRequest("GET", "/proxies", nil)
	req.Host = "localhost:8474"
	req.Header.Set("User-Agent", "Mozilla/5.0")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	checkError(t, rec, http.StatusForbidden)
}

func TestVersion(t *testing.T) {
	s := NewServer(Options{Version: "v9"})
	defer s.Close()
	var v struct{ Version string }
	if err := json.Unmarshal([]byte(httpGet(t, s, "/version")), &v); err != nil || v.Version != "v9" {
		t.Errorf("version = %+v, %v", v, err)
	}
}

// FuzzAPI sends arbitrary requests to the JSON handlers: none may panic,
// every error must be a JSON error with a 4xx status (5xx only for
// listening failures), and every success must be JSON.
func FuzzAPI(f *testing.F) {
	for _, seed := range []struct{ method, path, body string }{
		{"POST", "/proxies", `{"name":"a","upstream":"127.0.0.1:9","listen":"127.0.0.1:0","enabled":false}`},
		{"POST", "/populate", `[{"name":"a","upstream":"127.0.0.1:9","enabled":false}]`},
		{"POST", "/proxies/a/toxics", `{"type":"latency","attributes":{"latency":5}}`},
		{"POST", "/proxies/a/toxics", `{"type":"reset","stream":"upstream","toxicity":0.5,"attributes":{"after_bytes":3}}`},
		{"PATCH", "/proxies/a/toxics/latency_downstream", `{"attributes":{"jitter":2},"toxicity":0.1}`},
		{"PATCH", "/proxies/a", `{"enabled":false,"upstream":"127.0.0.1:10"}`},
		{"DELETE", "/proxies/a/toxics/latency_downstream", ``},
		{"GET", "/proxies", ``},
		{"POST", "/reset", ``},
		{"POST", "/proxies/a/toxics", `{"type":"latency","attributes":{"latency":9300000000000,"jitter":4611686018427387904}}`},
		{"POST", "/proxies/a/toxics", `{"type":"slicer","attributes":{"average_size":1,"size_variation":9223372036854775807,"delay":-1}}`},
		{"POST", "/proxies/a/toxics", `{"type":"timeout","stream":"UpStream","attributes":{"timeout":9223372036854775807}}`},
		{"POST", "/proxies/a/toxics", `{"type":"bandwidth","attributes":{"rate":1e300}}`},
	} {
		f.Add(seed.method, seed.path, seed.body)
	}
	f.Fuzz(func(t *testing.T, method, path, body string) {
		switch method {
		case "GET", "POST", "PATCH", "DELETE":
		default:
			return
		}
		if u, err := url.ParseRequestURI(path); err != nil || u.Path != path || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t") {
			return
		}
		s := NewServer(Options{})
		defer s.Close()
		h := s.Handler()
		// Proxies stay disabled so that fuzzing opens no sockets.
		httpDo(t, h, "POST", "/proxies", `{"name":"a","upstream":"127.0.0.1:9","enabled":false}`)
		if mayListen(method, path, body) {
			return
		}
		rec := httpDo(t, h, method, path, body)
		switch {
		case rec.Code == http.StatusNoContent:
		case rec.Code >= 300 && rec.Code < 400:
			// ServeMux redirects unclean paths ("/.", "//x") to their clean form.
		case rec.Code >= 400:
			if rec.Code >= 500 {
				t.Errorf("%s %s %q: status %d: %s", method, path, body, rec.Code, rec.Body)
			}
			checkError(t, rec, rec.Code)
		case path == "/metrics":
		default:
			if !json.Valid(rec.Body.Bytes()) {
				t.Errorf("%s %s %q: status %d, body not JSON: %s", method, path, body, rec.Code, rec.Body)
			}
		}
	})
}

// mayListen reports whether a request could enable a proxy on an address
// other than the fuzz proxy's loopback one.
func mayListen(method, path, body string) bool {
	switch {
	case method == "POST" && path == "/proxies":
		var spec ProxySpec
		return json.Unmarshal([]byte(body), &spec) == nil && spec.enabled()
	case method == "POST" && path == "/populate":
		var specs []ProxySpec
		if json.Unmarshal([]byte(body), &specs) != nil {
			return false
		}
		for _, s := range specs {
			if s.enabled() {
				return true
			}
		}
	case (method == "POST" || method == "PATCH") && strings.HasPrefix(path, "/proxies/") && strings.Count(path, "/") == 2:
		var in struct{ Enabled *bool }
		return json.Unmarshal([]byte(body), &in) == nil && in.Enabled != nil && *in.Enabled
	}
	return false
}
