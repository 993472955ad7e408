package main

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
)

// canForward says whether forwarders run here.
const canForward = true

// forward is the main of a forwarder child: it listens on a free port of
// 127.0.0.1, prints the address, and forwards every connection to upstream
// in mode, until it is killed.
func forward(mode, upstream string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "forwarder: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintf(os.Stderr, "forwarder: %v\n", err)
			os.Exit(1)
		}
		u, err := net.Dial("tcp", upstream)
		if err != nil {
			fmt.Fprintf(os.Stderr, "forwarder: %v\n", err)
			os.Exit(1)
		}
		a, b := rawFD(c), rawFD(u)
		if mode == forwardSpin {
			go spinPair(a, b)
			continue
		}
		ended := new(atomic.Int32)
		go blockCopy(a, b, ended)
		go blockCopy(b, a, ended)
	}
}

// rawFD takes c's socket away from the Go runtime's poller: a descriptor of
// its own, in blocking mode, with TCP_NODELAY kept from c.
func rawFD(c net.Conn) int {
	f, err := c.(*net.TCPConn).File()
	c.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "forwarder: %v\n", err)
		os.Exit(1)
	}
	fd, err := syscall.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "forwarder: %v\n", err)
		os.Exit(1)
	}
	syscall.SetNonblock(fd, false)
	return fd
}

// blockCopy forwards src to dst on an OS thread of its own until src's FIN,
// which it passes on; the second direction to end, counted in ended,
// closes both sockets.
func blockCopy(src, dst int, ended *atomic.Int32) {
	runtime.LockOSThread()
	buf := make([]byte, 64<<10)
	for {
		n, err := syscall.Read(src, buf)
		if n <= 0 || err != nil {
			break
		}
		if !writeAll(dst, buf[:n]) {
			break
		}
	}
	syscall.Shutdown(dst, syscall.SHUT_WR)
	if ended.Add(1) == 2 {
		syscall.Close(src)
		syscall.Close(dst)
	}
}

// spinPair forwards both directions of a connection from one OS thread
// that never sleeps, until both have ended.
func spinPair(a, b int) {
	runtime.LockOSThread()
	defer syscall.Close(a)
	defer syscall.Close(b)
	syscall.SetNonblock(a, true)
	syscall.SetNonblock(b, true)
	buf := make([]byte, 64<<10)
	open := [2]bool{true, true}
	pairs := [2][2]int{{a, b}, {b, a}}
	for open[0] || open[1] {
		for i, p := range pairs {
			if !open[i] {
				continue
			}
			n, err := syscall.Read(p[0], buf)
			switch {
			case err == syscall.EAGAIN:
			case n > 0 && writeAll(p[1], buf[:n]):
			default:
				open[i] = false
				syscall.Shutdown(p[1], syscall.SHUT_WR)
			}
		}
	}
}

// writeAll writes b to fd, blocking or not, and reports whether it could.
func writeAll(fd int, b []byte) bool {
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err == syscall.EAGAIN {
			continue
		}
		if err != nil {
			return false
		}
		b = b[n:]
	}
	return true
}
