package sockerr_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/teardown-net/teardown/sockerr"
)

// A connection attempt to a port where nothing listens is refused: nothing
// was sent, so nothing was lost and a retry is safe.
func ExampleClassify() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	_, err = net.Dial("tcp", addr)
	fmt.Println(sockerr.Classify(err), sockerr.MayHaveLostData(err), sockerr.Retryable(err, false))
	// Output: refused false true
}

// A server that resets the connection after reading the request may or may
// not have carried it out: only an idempotent request may be sent again.
func ExampleRetryable() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	go func() {
		s, err := ln.Accept()
		if err != nil {
			return
		}
		bufio.NewReader(s).ReadString('\n')
		sockerr.AbortiveClose(s)
	}()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /orders\n")
	_, err = c.Read(make([]byte, 512))
	fmt.Println("kind:", sockerr.Classify(err))
	fmt.Println("retry the POST:", sockerr.Retryable(err, false))
	fmt.Println("retry a GET:", sockerr.Retryable(err, true))
	// Output:
	// kind: reset
	// retry the POST: false
	// retry a GET: true
}

// The server answers and closes gracefully: the client reads the whole
// answer and then EOF, never a reset.
func ExampleGracefulClose() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	closed := make(chan error)
	go func() {
		s, err := ln.Accept()
		if err != nil {
			closed <- err
			return
		}
		bufio.NewReader(s).ReadString('\n')
		fmt.Fprintf(s, "200 done\n")
		closed <- sockerr.GracefulClose(s, 5*time.Second)
	}()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	fmt.Fprintf(c, "DELETE /session\n")
	answer, err := io.ReadAll(c) // until the server's FIN
	fmt.Printf("client read %q, error %v\n", answer, err)
	c.Close() // the server's drain ends at this FIN
	fmt.Println("GracefulClose:", <-closed)
	// Output:
	// client read "200 done\n", error <nil>
	// GracefulClose: <nil>
}

// AbortiveClose resets the connection on purpose: the peer's next read
// fails with a reset instead of reading EOF. (The server reads a line first:
// a reset before the client's connect completes fails the dial itself.)
func ExampleAbortiveClose() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	go func() {
		s, err := ln.Accept()
		if err != nil {
			return
		}
		bufio.NewReader(s).ReadString('\n')
		if err := sockerr.AbortiveClose(s); err != nil {
			fmt.Println(err)
		}
	}()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "hello\n")
	_, err = c.Read(make([]byte, 1))
	fmt.Println(sockerr.Classify(err), sockerr.MayHaveLostData(err))
	// Output: reset true
}

// KindOfName answers for any platform's errno names, whatever the platform
// the program runs on.
func ExampleKindOfName() {
	for _, name := range []string{"ECONNRESET", "WSAECONNRESET", "ERROR_NETNAME_DELETED", "EPIPE", "ENETUNREACH", "EBADF"} {
		k, ok := sockerr.KindOfName(name)
		fmt.Println(name, k, ok)
	}
	// Output:
	// ECONNRESET reset true
	// WSAECONNRESET reset true
	// ERROR_NETNAME_DELETED reset true
	// EPIPE broken-pipe true
	// ENETUNREACH unreachable true
	// EBADF other false
}
