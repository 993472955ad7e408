package sockerr

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawServer accepts connections on loopback and hands each to serve.
func rawServer(t *testing.T, serve func(c *net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c.(*net.TCPConn))
			}()
		}
	}()
	return ln.Addr().String()
}

// readRequest reads one HTTP request, body included.
func readRequest(br *bufio.Reader) error {
	req, err := http.ReadRequest(br)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, req.Body)
	return err
}

const okResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

// keepAliveRace makes the keep-alive race for real: the server answers a
// first request on a kept-alive connection, then ends the connection as
// end says while the client sends a second one on it. It returns the
// second request's trace and error.
func keepAliveRace(t *testing.T, end func(c *net.TCPConn, br *bufio.Reader)) (*Request, error) {
	t.Helper()
	addr := rawServer(t, func(c *net.TCPConn) {
		br := bufio.NewReader(c)
		if readRequest(br) != nil {
			return
		}
		if _, err := io.WriteString(c, okResponse); err != nil {
			return
		}
		end(c, br)
	})
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	post := func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/", strings.NewReader("order=1"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil
	}
	if err := post(context.Background()); err != nil {
		t.Fatalf("first request: %v", err)
	}
	ctx, trace := TraceRequest(context.Background())
	return trace, post(ctx)
}

// TestKeepAliveRace checks that the race gives one answer however the
// server's end reaches the client: PeerClosed, maybe data lost (the server
// discarded the request it never read), retryable when idempotent only.
func TestKeepAliveRace(t *testing.T) {
	ends := map[string]func(c *net.TCPConn, br *bufio.Reader){
		// The server read the request, then closed: the client reads EOF.
		"eof": func(c *net.TCPConn, br *bufio.Reader) {
			readRequest(br)
		},
		// The server reset the connection as the request arrived.
		"reset": func(c *net.TCPConn, br *bufio.Reader) {
			br.Peek(1)
			c.SetLinger(0)
		},
		// The server closed with the request unread: its kernel answers
		// the request with RST.
		"unread": func(c *net.TCPConn, br *bufio.Reader) {
			br.Peek(1)
		},
	}
	for name, end := range ends {
		t.Run(name, func(t *testing.T) {
			trace, err := keepAliveRace(t, end)
			if err == nil {
				t.Fatal("second request succeeded")
			}
			if k := Classify(err); k != PeerClosed {
				t.Errorf("Classify(%v) = %v, want peer-closed", err, k)
			}
			if !MayHaveLostData(err) || !trace.MayHaveLostData(err) {
				t.Errorf("MayHaveLostData(%v) = false, want true: the server discarded the request", err)
			}
			if !Retryable(err, true) || Retryable(err, false) {
				t.Errorf("Retryable(%v) = %v (idempotent), %v (not); want true, false", err, Retryable(err, true), Retryable(err, false))
			}
			if !trace.Reused() {
				t.Error("trace: the connection was not reused")
			}
		})
	}
}

// TestKeepAliveRaceLoop lets the race run as it does in production: the
// server closes right after answering, the client sends at once. Whatever
// the client sees (EOF, a reset, a broken pipe, "server closed idle
// connection", "use of closed network connection"), the answer is one.
func TestKeepAliveRaceLoop(t *testing.T) {
	seen := map[string]int{}
	for i := range 60 {
		// Close at moments spread around the client's next request.
		delay := time.Duration(i%12) * 100 * time.Microsecond
		_, err := keepAliveRace(t, func(*net.TCPConn, *bufio.Reader) { time.Sleep(delay) })
		if err == nil {
			continue
		}
		text := err.Error()
		seen[text[strings.LastIndex(text, ": ")+2:]]++
		if k := Classify(err); k != PeerClosed || !Retryable(err, true) {
			t.Errorf("%v: %v, retryable %v; want peer-closed, retryable when idempotent", err, k, Retryable(err, true))
		}
	}
	t.Logf("errors seen: %v", seen)
}

// TestTLSHandshakeFailure: a server that ends the connection after the
// ClientHello, or never answers it, was sent no request byte.
func TestTLSHandshakeFailure(t *testing.T) {
	ends := map[string]func(c *net.TCPConn){
		"reset": func(c *net.TCPConn) {
			c.Read(make([]byte, 1))
			c.SetLinger(0)
		},
		"eof": func(c *net.TCPConn) {
			// Read the whole ClientHello record, so that the close is a FIN.
			hdr := make([]byte, 5)
			if _, err := io.ReadFull(c, hdr); err != nil {
				return
			}
			io.ReadFull(c, make([]byte, int(hdr[3])<<8|int(hdr[4])))
		},
		"timeout": func(c *net.TCPConn) {
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			io.Copy(io.Discard, c)
		},
	}
	for name, end := range ends {
		t.Run(name, func(t *testing.T) {
			addr := rawServer(t, end)
			tr := &http.Transport{TLSHandshakeTimeout: 200 * time.Millisecond, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
			t.Cleanup(tr.CloseIdleConnections)
			ctx, trace := TraceRequest(context.Background())
			req, _ := http.NewRequestWithContext(ctx, "POST", "https://"+addr+"/", strings.NewReader("order=1"))
			_, err := (&http.Client{Transport: tr}).Do(req)
			if err == nil {
				t.Fatal("request succeeded")
			}
			if !trace.Retryable(err, false) {
				t.Errorf("trace.Retryable(%v, false) = false, want true: no request byte was sent", err)
			}
			if trace.MayHaveLostData(err) {
				t.Errorf("trace.MayHaveLostData(%v) = true, want false", err)
			}
			if name == "timeout" {
				// The error alone says it: no trace needed.
				if k := Classify(err); k != Deadline || !Retryable(err, false) || MayHaveLostData(err) {
					t.Errorf("%v: %v, retryable %v, lost %v; want deadline, true, false", err, k, Retryable(err, false), MayHaveLostData(err))
				}
			}
		})
	}
}

// TestHTTP2StreamReset: an HTTP/2 handler that aborts resets its stream
// (RST_STREAM INTERNAL_ERROR); the connection goes on.
func TestHTTP2StreamReset(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/abort" {
			panic(http.ErrAbortHandler)
		}
		io.WriteString(w, "ok")
	}))
	ts.EnableHTTP2 = true
	ts.Config.ErrorLog = nil
	ts.StartTLS()
	t.Cleanup(ts.Close)
	client := ts.Client()
	resp, err := client.Get(ts.URL + "/abort")
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		t.Fatalf("aborted request succeeded (%s)", resp.Proto)
	}
	if k := Classify(err); k != Reset {
		t.Errorf("Classify(%v) = %v, want reset", err, k)
	}
	if Retryable(err, false) || !Retryable(err, true) {
		t.Errorf("Retryable(%v): %v (not idempotent), %v; want false, true", err, Retryable(err, false), Retryable(err, true))
	}
	resp, err = client.Get(ts.URL + "/")
	if err != nil {
		t.Fatalf("the connection did not go on: %v", err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Errorf("protocol %s, want HTTP/2", resp.Proto)
	}
}

// TestReadDeadlineIntact: a read deadline leaves the connection usable
// and loses nothing.
func TestReadDeadlineIntact(t *testing.T) {
	client, server, err := dialLoopback()
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	defer server.Close()
	client.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err = client.Read(make([]byte, 1))
	if k := Classify(err); k != Deadline {
		t.Fatalf("Classify(%v) = %v, want deadline", err, k)
	}
	if MayHaveLostData(err) || !Intact(err) {
		t.Errorf("%v: lost %v, intact %v; want false, true", err, MayHaveLostData(err), Intact(err))
	}
	client.SetReadDeadline(time.Time{})
	server.Write([]byte("x"))
	if _, err := client.Read(make([]byte, 1)); err != nil {
		t.Errorf("read after the deadline: %v", err)
	}
	client.SetWriteDeadline(time.Now().Add(-time.Second))
	_, err = client.Write([]byte("y"))
	if !Intact(err) || !MayHaveLostData(err) {
		t.Errorf("write deadline %v: intact %v, lost %v; want true, true", err, Intact(err), MayHaveLostData(err))
	}
}

func dialLoopback() (client, server net.Conn, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	server, err = ln.Accept()
	if err != nil {
		client.Close()
	}
	return client, server, err
}

// TestLocalCloses: io.ErrClosedPipe and a read on a closed response body
// are this program's own closes.
func TestLocalCloses(t *testing.T) {
	a, b := net.Pipe()
	a.Close()
	_, err := a.Write([]byte("x"))
	b.Close()
	if !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("write on closed pipe: %v", err)
	}
	if k := Classify(err); k != LocalClosed {
		t.Errorf("Classify(%v) = %v, want local-closed", err, k)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", 1<<16))
	}))
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, err = resp.Body.Read(make([]byte, 10))
	if k := Classify(err); k != LocalClosed || Retryable(err, true) {
		t.Errorf("read on closed body %v: %v, retryable %v; want local-closed, false", err, k, Retryable(err, true))
	}
}

// TestTraceDial: a request whose connection was never made sent nothing.
func TestTraceDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, trace := TraceRequest(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/", strings.NewReader("x"))
	_, err = http.DefaultClient.Do(req)
	if Classify(err) != Refused || !trace.Retryable(err, false) || trace.MayHaveLostData(err) {
		t.Errorf("%v: %v, retryable %v, lost %v", err, Classify(err), trace.Retryable(err, false), trace.MayHaveLostData(err))
	}
	var nilErr error
	if trace.Retryable(nilErr, true) || trace.MayHaveLostData(nilErr) || Intact(nilErr) {
		t.Error("nil error judged")
	}
}
