package scenario

import (
	"fmt"
	"net/netip"
	"path"
	"strings"
)

// AddressKind says what family a literal bind address belongs to.
type AddressKind int

const (
	// AddressIP is an IPv4 or IPv6 address and a port.
	AddressIP AddressKind = iota + 1
	// AddressPath is a unix socket path, relative to the run's directory.
	AddressPath
	// AddressAbstract is a name in Linux's abstract unix namespace, written
	// with a leading '@'.
	AddressAbstract
)

// BindAddress is a literal address of "bind "ADDRESS"", parsed.
type BindAddress struct {
	Kind AddressKind
	// IP is the address and port of AddressIP; an IPv4 address written as
	// IPv4 stays one (the socket's family decides what the kernel makes of
	// it).
	IP netip.AddrPort
	// Name is the path of AddressPath and the name (without '@') of
	// AddressAbstract.
	Name string
}

// maxUnixPath is the most bytes a relative path may have: sun_path holds
// 108 with the run's directory in front, so a longer one is refused here
// rather than by the kernel with a reason the scenario did not write.
const maxUnixPath = 64

// ParseBindAddress reads the literal address of a bind: "127.0.0.1:8080",
// "[::1]:0", "0.0.0.0:80" and "[::]:80" (an IP address and a port), a
// relative path such as "a.sock", or "@name" in the abstract namespace.
// Paths are relative to the run's directory and may not leave it, so that
// a run never creates a file elsewhere.
func ParseBindAddress(s string) (BindAddress, error) {
	const expected = `expected an IP address and port such as "127.0.0.1:8080" or "[::1]:0", a relative unix path such as "a.sock", or "@name"`
	switch {
	case s == "":
		return BindAddress{}, fmt.Errorf("empty bind address, %s", expected)
	case strings.HasPrefix(s, "@"):
		if len(s) < 2 || len(s) > maxUnixPath {
			return BindAddress{}, fmt.Errorf("abstract name %q must have 1 to %d bytes after '@'", s, maxUnixPath-1)
		}
		return BindAddress{Kind: AddressAbstract, Name: s[1:]}, nil
	case looksIP(s):
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return BindAddress{}, fmt.Errorf("invalid bind address %q (%v), %s", s, unwrapParse(err), expected)
		}
		if ap.Addr().Zone() != "" {
			return BindAddress{}, fmt.Errorf("bind address %q has a zone, expected an address without %%zone", s)
		}
		return BindAddress{Kind: AddressIP, IP: ap}, nil
	case strings.HasPrefix(s, "/"):
		return BindAddress{}, fmt.Errorf("absolute path %q: paths are relative to the run's directory, so that the run leaves nothing behind; %s", s, expected)
	}
	clean := path.Clean(s)
	if clean == ".." || strings.HasPrefix(clean, "../") || clean == "." {
		return BindAddress{}, fmt.Errorf("path %q leaves the run's directory, expected a path inside it such as \"a.sock\"", s)
	}
	if len(s) > maxUnixPath || strings.ContainsRune(s, 0) {
		return BindAddress{}, fmt.Errorf("path %q is longer than %d bytes or holds a NUL byte, expected a short relative path", s, maxUnixPath)
	}
	return BindAddress{Kind: AddressPath, Name: s}, nil
}

// looksIP reports whether s is meant as an IP address and port: it starts
// with '[', ':' or a digit (a path that does can be written "./1.sock").
func looksIP(s string) bool {
	return s[0] == '[' || s[0] == ':' || s[0] >= '0' && s[0] <= '9'
}

// unwrapParse shortens netip's message, which repeats the input.
func unwrapParse(err error) string {
	m := err.Error()
	if i := strings.LastIndex(m, ": "); i >= 0 {
		return m[i+2:]
	}
	return m
}
