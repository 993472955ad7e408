package proxy

import (
	"bytes"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// apiError is an error with the HTTP status the API answers it with; it is
// written as Toxiproxy writes errors: {"error": "...", "status": 404}.
type apiError struct {
	Message string `json:"error"`
	Status  int    `json:"status"`
}

func (e *apiError) Error() string { return e.Message }

func apiErrorf(status int, format string, args ...any) *apiError {
	return &apiError{fmt.Sprintf(format, args...), status}
}

// The errors of Toxiproxy, with its messages.
var (
	errProxyNotFound = &apiError{"proxy not found", http.StatusNotFound}
	errProxyExists   = &apiError{"proxy already exists", http.StatusConflict}
	errToxicNotFound = &apiError{"toxic not found", http.StatusNotFound}
	errToxicExists   = &apiError{"toxic already exists", http.StatusConflict}
)

// maxBody bounds request bodies; the largest sensible one is a populate
// document of a few thousand proxies.
const maxBody = 4 << 20

// Handler returns the HTTP API: Toxiproxy's v2 endpoints and GET /metrics
// (Prometheus: the proxies' metrics, go_* and process_*).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /proxies", s.proxyIndex)
	mux.HandleFunc("POST /proxies", s.proxyCreate)
	mux.HandleFunc("POST /populate", s.populate)
	mux.HandleFunc("GET /proxies/{proxy}", s.proxyShow)
	mux.HandleFunc("POST /proxies/{proxy}", s.proxyUpdate)
	mux.HandleFunc("PATCH /proxies/{proxy}", s.proxyUpdate)
	mux.HandleFunc("DELETE /proxies/{proxy}", s.proxyDelete)
	mux.HandleFunc("GET /proxies/{proxy}/toxics", s.toxicIndex)
	mux.HandleFunc("POST /proxies/{proxy}/toxics", s.toxicCreate)
	mux.HandleFunc("GET /proxies/{proxy}/toxics/{toxic}", s.toxicShow)
	mux.HandleFunc("POST /proxies/{proxy}/toxics/{toxic}", s.toxicUpdate)
	mux.HandleFunc("PATCH /proxies/{proxy}/toxics/{toxic}", s.toxicUpdate)
	mux.HandleFunc("DELETE /proxies/{proxy}/toxics/{toxic}", s.toxicDelete)
	mux.HandleFunc("POST /reset", s.reset)
	mux.HandleFunc("GET /version", s.version)
	mux.Handle("GET /metrics", s.metricsHandler())
	for _, path := range []string{"/proxies", "/populate", "/proxies/{proxy}", "/proxies/{proxy}/toxics",
		"/proxies/{proxy}/toxics/{toxic}", "/reset", "/version", "/metrics"} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			writeError(w, apiErrorf(http.StatusMethodNotAllowed, "method %s not allowed on %s", r.Method, r.URL.Path))
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, apiErrorf(http.StatusNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Every answer names its request, as Toxiproxy's do.
		id := requestID()
		w.Header().Set("X-Toxiproxy-Request-Id", id)
		s.logger.Debug("API request", "request_id", id, "method", r.Method, "path", r.URL.Path, "client", r.RemoteAddr)
		// Like Toxiproxy, refuse browsers: a web page must not be able to
		// drive a local proxy.
		if strings.HasPrefix(r.UserAgent(), "Mozilla/") {
			writeError(w, apiErrorf(http.StatusForbidden, "User agent not allowed"))
			return
		}
		if !s.hostAllowed(r.Host) {
			writeError(w, apiErrorf(http.StatusForbidden,
				"host %q not allowed: the API answers to loopback names and IP addresses unless told otherwise (teardown proxy --allow-hosts)", r.Host))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		mux.ServeHTTP(w, r)
	})
}

// requestID returns a new request id: 20 characters, like Toxiproxy's.
func requestID() string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], rand.Uint64())
	binary.BigEndian.PutUint32(b[8:], rand.Uint32())
	return idEncoding.EncodeToString(b[:])
}

var idEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// hostAllowed reports whether the API answers a request with this Host
// header: a DNS rebinding page reaches a loopback API under a name of its
// own, which a name check stops; IP addresses and loopback names cannot be
// rebound.
func (s *Server) hostAllowed(hostport string) bool {
	if hostport == "" {
		return true // HTTP/1.0 without Host: not a browser
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	for _, a := range s.opts.AllowedHosts {
		if a == "*" || strings.EqualFold(strings.TrimSuffix(a, "."), host) {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		writeError(w, fmt.Errorf("encode response: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(data)
}

// writeError writes err as Toxiproxy does: its JSON and a newline.
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{err.Error(), http.StatusInternalServerError}
	}
	data, _ := json.Marshal(ae)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(ae.Status)
	w.Write(append(data, '\n'))
}

func readBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, apiErrorf(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", mb.Limit)
		}
		return nil, apiErrorf(http.StatusBadRequest, "bad request body: %v", err)
	}
	return data, nil
}

// decodeBody decodes one JSON value and nothing after it.
func decodeBody(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return apiErrorf(http.StatusBadRequest, "bad request body: %v", err)
	}
	if dec.More() {
		return apiErrorf(http.StatusBadRequest, "bad request body: trailing data after the JSON value")
	}
	return nil
}

func (s *Server) proxyIndex(w http.ResponseWriter, r *http.Request) {
	out := map[string]Info{}
	for _, info := range s.Proxies() {
		out[info.Name] = info
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) proxyCreate(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var spec ProxySpec
	if err := decodeBody(body, &spec); err != nil {
		writeError(w, err)
		return
	}
	info, err := s.CreateProxy(spec)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, info)
}

func (s *Server) populate(w http.ResponseWriter, r *http.Request) {
	infos, err := s.Populate(r.Body)
	if infos == nil {
		infos = []Info{}
	}
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{err.Error(), http.StatusInternalServerError}
		}
		writeJSON(w, ae.Status, struct {
			*apiError
			Proxies []Info `json:"proxies"`
		}{ae, infos})
		return
	}
	writeJSON(w, http.StatusCreated, struct {
		Proxies []Info `json:"proxies"`
	}{infos})
}

func (s *Server) proxyShow(w http.ResponseWriter, r *http.Request) {
	p, err := s.get(r.PathValue("proxy"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, p.Info())
}

func (s *Server) proxyUpdate(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	info, err := s.UpdateProxy(r.PathValue("proxy"), body)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) proxyDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.DeleteProxy(r.PathValue("proxy")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) toxicIndex(w http.ResponseWriter, r *http.Request) {
	p, err := s.get(r.PathValue("proxy"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, p.Info().Toxics)
}

func (s *Server) toxicCreate(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	t, err := s.AddToxic(r.Context(), r.PathValue("proxy"), body)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) toxicShow(w http.ResponseWriter, r *http.Request) {
	p, err := s.get(r.PathValue("proxy"))
	if err != nil {
		writeError(w, err)
		return
	}
	name := r.PathValue("toxic")
	for _, t := range p.Info().Toxics {
		if t.Name == name {
			writeJSON(w, http.StatusOK, t)
			return
		}
	}
	writeError(w, errToxicNotFound)
}

func (s *Server) toxicUpdate(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	t, err := s.UpdateToxic(r.Context(), r.PathValue("proxy"), r.PathValue("toxic"), body)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) toxicDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.RemoveToxic(r.Context(), r.PathValue("proxy"), r.PathValue("toxic")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	if err := s.Reset(r.Context()); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// version answers in Toxiproxy's exact format, {"version": "..."} and a
// newline, which its tests compare byte for byte.
func (s *Server) version(w http.ResponseWriter, r *http.Request) {
	v, _ := json.Marshal(s.opts.Version)
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	fmt.Fprintf(w, "{\"version\": %s}\n", v)
}

// metricsHandler serves the proxies' metrics with the Go runtime's and the
// process's, as Toxiproxy does with -proxy-metrics -runtime-metrics.
func (s *Server) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(s, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
