//go:build !linux

package link

import "net"

// isDead cannot ask the kernel outside Linux; the fast path then blames the
// sender for errors other than EPIPE.
func isDead(*net.TCPConn) bool { return false }

// waitUnread cannot peek portably without reading; the socket is closed at
// once, which gives RST only if the peer had already sent unread bytes.
func waitUnread(*net.TCPConn, <-chan struct{}) {}
