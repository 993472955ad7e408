package sockerr

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// HTTP/2 frame types (RFC 9113, section 6) the test server uses.
const (
	frameHeaders   = 0x1
	frameRSTStream = 0x3
	frameSettings  = 0x4
	frameGoAway    = 0x7
)

// writeFrame writes one HTTP/2 frame.
func writeFrame(w io.Writer, typ, flags byte, stream uint32, payload []byte) error {
	h := make([]byte, 9, 9+len(payload))
	h[0], h[1], h[2] = byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
	h[3], h[4] = typ, flags
	binary.BigEndian.PutUint32(h[5:], stream&0x7fffffff)
	_, err := w.Write(append(h, payload...))
	return err
}

// h2Server is a minimal HTTP/2 server over cleartext TCP (prior
// knowledge): it reads the client's preface and frames, and when the
// client opens a stream, calls onStream with its id. It speaks just
// enough HTTP/2 to end streams and connections the ways real servers do.
func h2Server(t *testing.T, onStream func(c net.Conn, stream uint32)) string {
	t.Helper()
	return rawServer(t, func(c *net.TCPConn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		preface := make([]byte, len("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
		if _, err := io.ReadFull(br, preface); err != nil {
			return
		}
		if writeFrame(c, frameSettings, 0, 0, nil) != nil {
			return
		}
		h := make([]byte, 9)
		for {
			if _, err := io.ReadFull(br, h); err != nil {
				return
			}
			n := int(h[0])<<16 | int(h[1])<<8 | int(h[2])
			if _, err := io.CopyN(io.Discard, br, int64(n)); err != nil {
				return
			}
			typ, flags, stream := h[3], h[4], binary.BigEndian.Uint32(h[5:])&0x7fffffff
			switch {
			case typ == frameSettings && flags&1 == 0:
				writeFrame(c, frameSettings, 1, 0, nil) // ACK
			case typ == frameHeaders:
				onStream(c, stream)
				return
			}
		}
	})
}

// h2Post sends a POST over cleartext HTTP/2 whose body cannot be replayed,
// so that net/http reports the stream's end instead of retrying it.
func h2Post(t *testing.T, addr string) error {
	t.Helper()
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(tr.CloseIdleConnections)
	req, err := http.NewRequest("POST", "http://"+addr+"/", io.NopCloser(strings.NewReader("order=1")))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("request succeeded (%s)", resp.Proto)
	}
	return err
}

func TestHTTP2Ends(t *testing.T) {
	goAway := func(last uint32, code uint32) []byte {
		p := make([]byte, 8)
		binary.BigEndian.PutUint32(p, last)
		binary.BigEndian.PutUint32(p[4:], code)
		return p
	}
	rst := func(code uint32) []byte {
		p := make([]byte, 4)
		binary.BigEndian.PutUint32(p, code)
		return p
	}
	tests := []struct {
		name     string
		onStream func(c net.Conn, stream uint32)
		want     Kind
		retry    bool // Retryable(err, false)
		lost     bool
	}{
		// GOAWAY naming a last stream below ours: ours was never
		// processed, a retry of any request is safe.
		{"goaway unprocessed", func(c net.Conn, stream uint32) {
			writeFrame(c, frameGoAway, 0, 0, goAway(0, h2NoError))
			time.Sleep(50 * time.Millisecond)
		}, PeerClosed, true, false},
		// GOAWAY that includes our stream, then the connection closes
		// with no response: the request may have been processed.
		{"goaway processed", func(c net.Conn, stream uint32) {
			writeFrame(c, frameGoAway, 0, 0, goAway(stream, h2NoError))
		}, PeerClosed, false, true},
		{"refused stream", func(c net.Conn, stream uint32) {
			writeFrame(c, frameRSTStream, 0, stream, rst(h2RefusedStream))
			time.Sleep(50 * time.Millisecond)
		}, Refused, true, false},
		{"stream reset", func(c net.Conn, stream uint32) {
			writeFrame(c, frameRSTStream, 0, stream, rst(0x2)) // INTERNAL_ERROR
			time.Sleep(50 * time.Millisecond)
		}, Reset, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h2Post(t, h2Server(t, tt.onStream))
			t.Logf("%v", err)
			if got := Classify(err); got != tt.want {
				t.Errorf("Classify(%v) = %v, want %v", err, got, tt.want)
			}
			if got := Retryable(err, false); got != tt.retry {
				t.Errorf("Retryable(%v, false) = %v, want %v", err, got, tt.retry)
			}
			if got := MayHaveLostData(err); got != tt.lost {
				t.Errorf("MayHaveLostData(%v) = %v, want %v", err, got, tt.lost)
			}
		})
	}
}
