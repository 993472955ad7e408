package sockerr

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// TestCloseUnsupported checks that a connection without half-close or
// SO_LINGER is still closed, with an error saying so.
func TestCloseUnsupported(t *testing.T) {
	tests := []struct {
		name  string
		close func(net.Conn) error
	}{
		{"GracefulClose", func(c net.Conn) error { return GracefulClose(c, time.Second) }},
		{"AbortiveClose", AbortiveClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := net.Pipe()
			defer b.Close()
			if err := tt.close(a); !errors.Is(err, errors.ErrUnsupported) {
				t.Errorf("%s(net.Pipe): %v, want errors.ErrUnsupported", tt.name, err)
			}
			if _, err := b.Read(make([]byte, 1)); err != io.EOF {
				t.Errorf("peer read: %v, want EOF: the pipe was not closed", err)
			}
		})
	}
}
