// Package mo reads GNU gettext message catalogs (.mo files).
//
// explain's generator uses it to take glibc's translations of error messages
// from Debian's libc-l10n package instead of typing them in. Only what the
// generator needs is read: the original and translated strings of each
// message. Plural forms are returned with their variants joined by NUL, as
// they are stored; contexts stay part of the key ("ctx\x04msgid").
package mo

import (
	"encoding/binary"
	"errors"
	"fmt"
)

const (
	magicLE = 0x950412de
	magicBE = 0xde120495
)

// ErrFormat is wrapped by every error Parse returns for a malformed catalog.
var ErrFormat = errors.New("not a valid .mo file")

// Parse reads a .mo catalog and returns its translations keyed by original
// string. The header entry (empty msgid) is kept under the key "".
func Parse(b []byte) (map[string]string, error) {
	if len(b) < 28 {
		return nil, fmt.Errorf("%w: %d bytes, need at least 28 for the header", ErrFormat, len(b))
	}
	var order binary.ByteOrder
	switch binary.LittleEndian.Uint32(b) {
	case magicLE:
		order = binary.LittleEndian
	case magicBE:
		order = binary.BigEndian
	default:
		return nil, fmt.Errorf("%w: magic %#08x", ErrFormat, binary.LittleEndian.Uint32(b))
	}
	if major := order.Uint32(b[4:]) >> 16; major > 1 {
		return nil, fmt.Errorf("%w: unsupported major revision %d", ErrFormat, major)
	}
	n := order.Uint32(b[8:])
	origTab := order.Uint32(b[12:])
	transTab := order.Uint32(b[16:])
	// Each table entry is 8 bytes; bounding n by the file size keeps a
	// forged count from making us allocate or loop far beyond the data.
	if uint64(n)*8 > uint64(len(b)) {
		return nil, fmt.Errorf("%w: %d messages cannot fit in %d bytes", ErrFormat, n, len(b))
	}
	str := func(tab uint32, i uint32) (string, error) {
		off := uint64(tab) + uint64(i)*8
		if off+8 > uint64(len(b)) {
			return "", fmt.Errorf("%w: string table entry %d at %d is outside the file", ErrFormat, i, off)
		}
		l := uint64(order.Uint32(b[off:]))
		p := uint64(order.Uint32(b[off+4:]))
		if p+l > uint64(len(b)) {
			return "", fmt.Errorf("%w: string %d (%d bytes at %d) is outside the file", ErrFormat, i, l, p)
		}
		return string(b[p : p+l]), nil
	}
	m := make(map[string]string, n)
	for i := uint32(0); i < n; i++ {
		k, err := str(origTab, i)
		if err != nil {
			return nil, err
		}
		v, err := str(transTab, i)
		if err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, nil
}
