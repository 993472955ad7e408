//go:build unix || windows

package sockerr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
)

// timeoutErr is an error whose Timeout method reports true, as a TLS
// handshake timeout or a *net.DNSError is.
type timeoutErr struct{}

func (timeoutErr) Error() string { return "handshake timed out" }
func (timeoutErr) Timeout() bool { return true }

func readErr(err error) error {
	return &net.OpError{Op: "read", Net: "tcp", Err: err}
}

func dialErr(err error) error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: err}
}

// TestClassifyGoErrors checks the rules that do not involve errno values,
// with the wrapping the net package and callers add.
func TestClassifyGoErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"nil", nil, Other},
		{"plain", errors.New("tls: bad certificate"), Other},
		{"EOF", io.EOF, PeerClosed},
		{"wrapped EOF", fmt.Errorf("read header: %w", io.EOF), PeerClosed},
		{"unexpected EOF", fmt.Errorf("read body: %w", io.ErrUnexpectedEOF), PeerClosed},
		{"ErrClosed", readErr(net.ErrClosed), LocalClosed},
		{"ErrDeadlineExceeded", readErr(os.ErrDeadlineExceeded), Deadline},
		{"context deadline", fmt.Errorf("request: %w", context.DeadlineExceeded), Deadline},
		{"context canceled", dialErr(context.Canceled), Canceled},
		{"Timeout method", fmt.Errorf("handshake: %w", timeoutErr{}), Deadline},
		{"closed wins over EOF", errors.Join(io.EOF, net.ErrClosed), LocalClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// TestWindowsCodes runs the Windows error codes, with their real numbers
// from winsock2.h and winerror.h, through the rules and the naming the
// Windows build uses, wrapped as the net package wraps them there.
func TestWindowsCodes(t *testing.T) {
	tests := []struct {
		code uint32
		name string
		want Kind
	}{
		{10054, "WSAECONNRESET", Reset},
		{10052, "WSAENETRESET", Reset},
		{64, "ERROR_NETNAME_DELETED", Reset},
		{10058, "WSAESHUTDOWN", BrokenPipe},
		{10061, "WSAECONNREFUSED", Refused},
		{1225, "ERROR_CONNECTION_REFUSED", Refused},
		{1234, "ERROR_PORT_UNREACHABLE", Refused},
		{10053, "WSAECONNABORTED", Aborted},
		{1236, "ERROR_CONNECTION_ABORTED", Aborted},
		{10060, "WSAETIMEDOUT", TimedOut},
		{121, "ERROR_SEM_TIMEOUT", TimedOut},
		{10050, "WSAENETDOWN", Unreachable},
		{10051, "WSAENETUNREACH", Unreachable},
		{10064, "WSAEHOSTDOWN", Unreachable},
		{10065, "WSAEHOSTUNREACH", Unreachable},
		{1231, "ERROR_NETWORK_UNREACHABLE", Unreachable},
		{1232, "ERROR_HOST_UNREACHABLE", Unreachable},
		{1233, "ERROR_PROTOCOL_UNREACHABLE", Unreachable},
		{10035, "WSAEWOULDBLOCK", WouldBlock},
		{10004, "WSAEINTR", Interrupted},
		{10103, "WSAECANCELLED", Canceled},
		{995, "ERROR_OPERATION_ABORTED", Canceled},
		{10013, "WSAEACCES", Other}, // Unreachable from connect only
		{10022, "WSAEINVAL", Other}, // Unreachable from connect only
		{10048, "", Other},          // WSAEADDRINUSE
		{0, "", Other},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			err := readErr(os.NewSyscallError("wsarecv", winErrno(tt.code)))
			if got := windowsErrnoName(err); got != tt.name {
				t.Errorf("windowsErrnoName(%d) = %q, want %q", tt.code, got, tt.name)
			}
			if got := classify(err, windowsErrnoName); got != tt.want {
				t.Errorf("classify(%v) = %v, want %v", err, got, tt.want)
			}
			if tt.name != "" && !dialNames[tt.name] {
				if k, ok := KindOfName(tt.name); !ok || k != tt.want {
					t.Errorf("KindOfName(%q) = %v, %v; want %v", tt.name, k, ok, tt.want)
				}
			}
		})
	}
	if len(tests)-2 != len(windowsErrnoNames) {
		t.Errorf("the test covers %d Windows codes, the table has %d", len(tests)-2, len(windowsErrnoNames))
	}
}

// TestKindOfName checks that the name table has no name that Classify can
// never reach, and that lookups ignore case.
func TestKindOfName(t *testing.T) {
	reachable := map[string]bool{
		// Aliases of numbers that already have a name.
		"EWOULDBLOCK":           true, // EAGAIN on Linux, macOS and the BSDs; 10035 is WSAEWOULDBLOCK
		"WSA_OPERATION_ABORTED": true, // 995, ERROR_OPERATION_ABORTED
	}
	for _, name := range windowsErrnoNames {
		reachable[name] = true
	}
	for _, name := range posixNames {
		reachable[name] = true
	}
	for name := range errnoKinds {
		if !reachable[name] {
			t.Errorf("KindOfName knows %s, but no errno of any platform is named so", name)
		}
	}
	for _, name := range windowsErrnoNames {
		if _, ok := errnoKinds[name]; !ok && !dialNames[name] {
			t.Errorf("Windows code %s has no kind", name)
		}
	}
	if k, ok := KindOfName("econnreset"); !ok || k != Reset {
		t.Errorf(`KindOfName("econnreset") = %v, %v`, k, ok)
	}
	if k, ok := KindOfName("EBADF"); ok {
		t.Errorf(`KindOfName("EBADF") = %v, true; want false`, k)
	}
}

// TestDataLossAndRetry checks MayHaveLostData and Retryable on every kind,
// on an established connection and during a connection attempt.
func TestDataLossAndRetry(t *testing.T) {
	tests := []struct {
		name              string
		err               error
		lost              bool
		retry, retryIdemp bool
	}{
		{"nil", nil, false, false, false},
		{"EOF", readErr(io.EOF), false, false, true},
		{"unexpected EOF", io.ErrUnexpectedEOF, true, false, true},
		{"reset", errnoErr("ECONNRESET"), true, false, true},
		{"reset during dial", dialErr(errnoErr("ECONNRESET")), false, true, true},
		{"broken pipe", errnoErr("EPIPE"), true, false, true},
		{"refused", dialErr(errnoErr("ECONNREFUSED")), false, true, true},
		{"aborted", errnoErr("ECONNABORTED"), true, false, true},
		{"timed out", errnoErr("ETIMEDOUT"), true, false, true},
		{"timed out during dial", dialErr(errnoErr("ETIMEDOUT")), false, true, true},
		{"unreachable", errnoErr("EHOSTUNREACH"), true, false, true},
		{"unreachable during dial", os.NewSyscallError("connect", errnoErr("ENETUNREACH")), false, true, true},
		{"local closed", readErr(net.ErrClosed), false, false, false},
		{"read deadline", readErr(os.ErrDeadlineExceeded), false, false, true},
		{"write deadline", &net.OpError{Op: "write", Net: "tcp", Err: os.ErrDeadlineExceeded}, true, false, true},
		{"deadline during dial", dialErr(context.DeadlineExceeded), false, true, true},
		{"would block", errnoErr("EAGAIN"), false, false, false},
		{"interrupted", errnoErr("EINTR"), false, false, false},
		{"canceled", fmt.Errorf("request: %w", context.Canceled), true, false, false},
		{"canceled during dial", dialErr(context.Canceled), false, false, false},
		{"other", errors.New("x509: unknown authority"), true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MayHaveLostData(tt.err); got != tt.lost {
				t.Errorf("MayHaveLostData(%v) = %v, want %v", tt.err, got, tt.lost)
			}
			if got := Retryable(tt.err, false); got != tt.retry {
				t.Errorf("Retryable(%v, false) = %v, want %v", tt.err, got, tt.retry)
			}
			if got := Retryable(tt.err, true); got != tt.retryIdemp {
				t.Errorf("Retryable(%v, true) = %v, want %v", tt.err, got, tt.retryIdemp)
			}
		})
	}
}
