package sockerr

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http/httptrace"
	"net/url"
	"reflect"
	"strings"
	"sync"
)

// The HTTP rules. net/http reports one cause, a server that ended a
// connection the client had chosen for a request, in five ways: a reset,
// a broken pipe, io.EOF, "http: server closed idle connection" and "use
// of closed network connection". They are one kind here, PeerClosed.
// HTTP/2 frames (RST_STREAM, GOAWAY) and TLS handshakes are classified
// too. The rules match net/http's and golang.org/x/net/http2's error
// types by name and shape, not by import, so that sockerr depends on
// the standard library alone.

// httpEnd says how an HTTP request ended, as far as the error tells.
type httpEnd uint8

const (
	httpNone httpEnd = iota // not an HTTP client error, or nothing special
	// httpUnsent: no byte of the request reached the server's
	// application: the connection was known closed before it was used,
	// the TLS handshake failed, the stream was refused or came after a
	// GOAWAY's last stream.
	httpUnsent
	// httpEnded: the server ended the connection after the request was
	// (maybe partly) sent and before the response.
	httpEnded
)

// HTTP/2 error codes (RFC 9113, section 7) that change the answer.
const (
	h2NoError       = 0x0
	h2RefusedStream = 0x7
	h2Cancel        = 0x8
)

// Texts of net/http errors that have no exported type or value.
const (
	errServerClosedIdle   = "http: server closed idle connection"
	errTLSHandshakeTimout = "net/http: TLS handshake timeout"
	errReadOnClosedBody   = "http: read on closed response body"
	errH2ConnLost         = "http2: client connection lost"
	errH2GotGoAway        = "http2: Transport received Server's graceful shutdown GOAWAY"
)

// classifyHTTP applies the HTTP rules to err, whose kind by the general
// rules is base, and reports the kind they give, if any, and how the
// request ended.
func classifyHTTP(err error, base Kind) (Kind, httpEnd, bool) {
	var found Kind
	end := httpNone
	ok := false
	walk(err, func(e error) bool {
		if code, isStream := h2StreamCode(e); isStream {
			switch code {
			case h2RefusedStream:
				found, end = Refused, httpUnsent
			case h2Cancel:
				found = Canceled
			default:
				found = Reset
			}
			ok = true
			return false
		}
		if isH2GoAway(e) {
			found, end, ok = PeerClosed, httpEnded, true
			return false
		}
		msg := e.Error()
		switch {
		case strings.Contains(msg, errServerClosedIdle), strings.Contains(msg, errH2GotGoAway):
			// The transport knew the connection closed before it wrote
			// the request on it. (net/http's HTTP/2 client reports this
			// and stream errors inside "cannot retry err [...]", as
			// text.)
			found, end, ok = PeerClosed, httpUnsent, true
			return false
		}
		if code, isStream := h2StreamCodeText(msg); isStream {
			switch code {
			case "REFUSED_STREAM":
				found, end = Refused, httpUnsent
			case "CANCEL":
				found = Canceled
			default:
				found = Reset
			}
			ok = true
			return false
		}
		switch msg {
		case errH2ConnLost:
			found, end, ok = PeerClosed, httpEnded, true
			return false
		case errTLSHandshakeTimout:
			found, end, ok = Deadline, httpUnsent, true
			return false
		case errReadOnClosedBody:
			found, ok = LocalClosed, true
			return false
		}
		return true
	})
	if ok {
		return found, end, true
	}
	if isTLSHandshake(err) {
		return base, httpUnsent, base != Other
	}
	var ue *url.Error
	if errors.As(err, &ue) && !duringDial(err) {
		switch base {
		case Reset, BrokenPipe, PeerClosed, LocalClosed:
			return PeerClosed, httpEnded, true
		}
	}
	return Other, httpNone, false
}

// walk calls f on err and every error it wraps, depth first, until f
// returns false.
func walk(err error, f func(error) bool) bool {
	if err == nil {
		return true
	}
	if !f(err) {
		return false
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return walk(u.Unwrap(), f)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if !walk(e, f) {
				return false
			}
		}
	}
	return true
}

// h2StreamCode reports the error code of an HTTP/2 stream error:
// net/http's bundled http2StreamError or golang.org/x/net/http2's
// StreamError, both structs with an unsigned Code field.
func h2StreamCode(e error) (uint64, bool) {
	v := reflect.ValueOf(e)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct || !strings.HasSuffix(v.Type().Name(), "StreamError") {
		return 0, false
	}
	c := v.FieldByName("Code")
	if !c.IsValid() || c.Kind() != reflect.Uint32 {
		return 0, false
	}
	return c.Uint(), true
}

// h2StreamCodeText finds an HTTP/2 stream error in a message, as
// net/http's http2StreamError prints it ("stream error: stream ID 1;
// REFUSED_STREAM; received from peer"), and returns its code's name.
func h2StreamCodeText(msg string) (string, bool) {
	const prefix = "stream error: stream ID "
	i := strings.Index(msg, prefix)
	if i < 0 {
		return "", false
	}
	rest := msg[i+len(prefix):]
	j := strings.Index(rest, "; ")
	if j < 0 {
		return "", false
	}
	code := rest[j+2:]
	if k := strings.IndexAny(code, ";] "); k >= 0 {
		code = code[:k]
	}
	return code, code != ""
}

// isH2GoAway reports whether e is net/http's http2GoAwayError or
// golang.org/x/net/http2's GoAwayError: the server sent GOAWAY and closed
// the connection with the request outstanding.
func isH2GoAway(e error) bool {
	v := reflect.ValueOf(e)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	return v.Kind() == reflect.Struct && strings.HasSuffix(v.Type().Name(), "GoAwayError") && v.FieldByName("LastStreamID").IsValid()
}

// isTLSHandshake reports whether err is one that only a TLS handshake
// gives: an alert, a certificate error, a record that is not TLS.
func isTLSHandshake(err error) bool {
	var alert tls.AlertError
	var rec tls.RecordHeaderError
	var cert *tls.CertificateVerificationError
	return errors.As(err, &alert) || errors.As(err, &rec) || errors.As(err, &cert)
}

// A Request follows one HTTP request through net/http's client with
// net/http/httptrace, so that its errors can be judged with what the
// error alone cannot say: whether a byte of the request was written,
// whether the connection was a reused one, whether a response began. A
// failure during the TLS handshake, or before the request was written,
// then counts as unsent: retryable for any request, with no data lost.
//
//	ctx, tr := sockerr.TraceRequest(ctx)
//	req, _ := http.NewRequestWithContext(ctx, "POST", url, body)
//	resp, err := client.Do(req)
//	if err != nil && tr.Retryable(err, false) { ... }
//
// A Request is safe for concurrent use; it describes the last attempt of
// the request when net/http retries it.
type Request struct {
	mu       sync.Mutex
	reused   bool
	wrote    bool
	response bool
}

// TraceRequest returns a context that traces the request made with it,
// and the Request that records the trace.
func TraceRequest(ctx context.Context) (context.Context, *Request) {
	r := &Request{}
	trace := &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			r.mu.Lock()
			r.reused, r.wrote, r.response = info.Reused, false, false
			r.mu.Unlock()
		},
		WroteHeaderField: func(string, []string) {
			r.mu.Lock()
			r.wrote = true
			r.mu.Unlock()
		},
		GotFirstResponseByte: func() {
			r.mu.Lock()
			r.response = true
			r.mu.Unlock()
		},
	}
	return httptrace.WithClientTrace(ctx, trace), r
}

// Reused reports whether the request's connection had served another
// request before: a reset, EOF or broken pipe on a reused connection
// before the response is the keep-alive race.
func (r *Request) Reused() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reused
}

// end is how the traced request ended with err.
func (r *Request) end(err error) httpEnd {
	_, end, _ := classifyHTTP(err, classifyBase(err, errnoName))
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case end == httpUnsent:
		return httpUnsent
	case !r.wrote && !r.response:
		// The transport reports a request it never began writing as
		// the connection's failure; no byte of it left this host.
		return httpUnsent
	}
	return end
}

// MayHaveLostData is MayHaveLostData for the traced request: false also
// when no byte of the request was written.
func (r *Request) MayHaveLostData(err error) bool {
	if err == nil {
		return false
	}
	if r.end(err) == httpUnsent {
		return false
	}
	return MayHaveLostData(err)
}

// Retryable is Retryable for the traced request: true for any request
// that no byte of was written, idempotent or not.
func (r *Request) Retryable(err error, idempotent bool) bool {
	if err == nil {
		return false
	}
	switch Classify(err) {
	case Canceled, LocalClosed:
		return false
	}
	if r.end(err) == httpUnsent {
		return true
	}
	return Retryable(err, idempotent)
}
