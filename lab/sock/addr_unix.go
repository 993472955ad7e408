//go:build darwin || freebsd || linux

package sock

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

// NameOf is fd's TCP address as get (unix.Getsockname or
// unix.Getpeername) gives it, an IPv4-mapped address unmapped, whatever its
// port and even the wildcard; the zero AddrPort when get fails or the
// address is not TCP's. Both runners read their sockets' addresses with it.
func NameOf(fd int, get func(int) (unix.Sockaddr, error)) netip.AddrPort {
	sa, err := get(fd)
	if err != nil {
		return netip.AddrPort{}
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr).Unmap(), uint16(a.Port))
	}
	return netip.AddrPort{}
}
