//go:build linux

package tcpstate

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// message builds a netlink datagram holding one inet_diag_msg with a
// tcp_info attribute, followed by NLMSG_DONE.
func message(seq uint32) []byte {
	ne := binary.NativeEndian
	body := make([]byte, sizeofDiagMsg)
	body[0], body[1] = unix.AF_INET6, uint8(FinWait2)
	copy(body[4:], []byte{0x9c, 0x40, 0x04, 0xd2})
	body[4+4+15], body[4+20+15] = 1, 1
	attr := make([]byte, 4+104)
	ne.PutUint16(attr[0:], uint16(len(attr)))
	ne.PutUint16(attr[2:], attrInfo)
	ne.PutUint32(attr[4+infoUnacked:], 3)
	body = append(body, attr...)
	hdr := func(typ uint16, n int) []byte {
		h := make([]byte, unix.SizeofNlMsghdr)
		ne.PutUint32(h[0:], uint32(unix.SizeofNlMsghdr+n))
		ne.PutUint16(h[4:], typ)
		ne.PutUint32(h[8:], seq)
		return h
	}
	b := append(hdr(unix.SOCK_DIAG_BY_FAMILY, len(body)), body...)
	return append(b, append(hdr(unix.NLMSG_DONE, 4), 0, 0, 0, 0)...)
}

func TestParseMessages(t *testing.T) {
	socks, done, err := parseMessages(nil, message(7), 7)
	if err != nil || !done || len(socks) != 1 {
		t.Fatalf("parseMessages = %v, %t, %v; want one socket and done", socks, done, err)
	}
	s := socks[0]
	if s.Local.String() != "[::1]:40000" || s.Remote.String() != "[::1]:1234" || s.State != FinWait2 || !s.Orphan || !s.Info || s.Unacked != 3 {
		t.Errorf("parsed %+v", s)
	}
	// A message of another sequence number is skipped.
	if socks, done, err := parseMessages(nil, message(6), 7); err != nil || done || len(socks) != 0 {
		t.Errorf("stale message gave %v, %t, %v", socks, done, err)
	}
}

func FuzzParseMessages(f *testing.F) {
	f.Add(message(1))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseMessages(nil, b, 1)
	})
}
