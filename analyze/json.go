package analyze

import (
	"encoding/binary"
	"math"
	"net/netip"
	"strconv"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// appendJSON appends l as encoding/json would encode it with HTML escaping
// off, and a newline. It is written by hand because reflection was the most
// expensive part of writing a connection; TestJSONAgrees checks that the
// bytes are the same as encoding/json's. When c is not nil, l is c's line
// and the addresses and history are taken from c, not from l.
func (l *Line) appendJSON(b []byte, c *Conn) []byte {
	b = append(b, `{"schema":`...)
	b = strconv.AppendInt(b, int64(l.Schema), 10)
	b = append(b, `,"ts":`...)
	b = appendFloat(b, l.TS)
	b = append(b, `,"orig_h":`...)
	if c != nil {
		b = appendAddr(b, c.Orig().Addr())
	} else {
		b = appendString(b, l.OrigH)
	}
	b = append(b, `,"orig_p":`...)
	b = strconv.AppendUint(b, uint64(l.OrigP), 10)
	b = append(b, `,"resp_h":`...)
	if c != nil {
		b = appendAddr(b, c.Resp().Addr())
	} else {
		b = appendString(b, l.RespH)
	}
	b = append(b, `,"resp_p":`...)
	b = strconv.AppendUint(b, uint64(l.RespP), 10)
	b = append(b, `,"zeek":{"conn_state":`...)
	b = appendString(b, l.Zeek.ConnState)
	b = append(b, `,"history":`...)
	if c != nil {
		// History letters are plain ASCII.
		b = append(b, '"')
		b = append(b, c.z.history...)
		b = append(b, '"')
	} else {
		b = appendString(b, l.Zeek.History)
	}
	b = append(b, `},"orig_bytes":`...)
	b = strconv.AppendUint(b, l.OrigB, 10)
	b = append(b, `,"resp_bytes":`...)
	b = strconv.AppendUint(b, l.RespB, 10)
	b = append(b, `,"packets":`...)
	b = strconv.AppendInt(b, int64(l.Packets), 10)
	b = append(b, `,"duration":`...)
	b = appendFloat(b, l.Duration)
	b = append(b, `,"idle":`...)
	b = appendFloat(b, l.Idle)
	b = append(b, `,"ended_how":`...)
	b = appendString(b, l.EndedHow)
	b = append(b, `,"ended_by":`...)
	b = appendString(b, l.EndedBy)
	b = append(b, `,"errno":{"orig":`...)
	b = appendString(b, l.Errno.Orig)
	b = append(b, `,"resp":`...)
	b = appendString(b, l.Errno.Resp)
	b = append(b, `},"cause":{"id":`...)
	b = appendString(b, l.Cause.ID)
	b = append(b, `,"text":`...)
	b = appendString(b, l.Cause.Text)
	b = append(b, `,"evidence":`...)
	b = appendStrings(b, l.Cause.Evidence)
	b = append(b, `,"confidence":`...)
	b = appendString(b, l.Cause.Confidence)
	if l.Cause.Scenario != "" {
		b = append(b, `,"scenario":`...)
		b = appendString(b, l.Cause.Scenario)
	}
	b = append(b, '}')
	if len(l.Explain) > 0 {
		b = append(b, `,"explain":`...)
		b = appendStrings(b, l.Explain)
	}
	return append(b, "}\n"...)
}

// appendAddr appends the address as a JSON string, as appendString would
// its String form: its digits, dots and colons need no escape, a zone
// might.
func appendAddr(b []byte, a netip.Addr) []byte {
	if a.Zone() != "" {
		return appendString(b, a.String())
	}
	b = append(b, '"')
	b = a.AppendTo(b)
	return append(b, '"')
}

// appendStrings appends a list of strings, null for a nil one.
func appendStrings(b []byte, l []string) []byte {
	if l == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendFloat formats f as encoding/json does: the shortest decimal that
// reads back the same, in exponent form only for very large or small
// values, with a one-digit exponent written without padding.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		// encoding/json refuses these; no field here can hold one, but
		// a number is always written.
		return append(b, '0')
	}
	abs := math.Abs(f)
	fmt := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmt = 'e'
	}
	if fmt == 'f' && !math.Signbit(f) {
		if m, k, ok := shortFixed(f); ok {
			return appendFixed(b, m, k)
		}
	}
	b = strconv.AppendFloat(b, f, fmt, -1, 64)
	if fmt == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// pow10 holds the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// shortFixed finds the shortest decimal m×10⁻ᵏ that reads back as f, when
// one of at most 15 significant digits exists (durations and idle times
// in seconds nearly always have one): the same digits strconv's shortest
// formatting gives, found in a few multiplications instead of its general
// algorithm, which was a third of the cost of writing a connection.
//
// Why it is exact: m < 10¹⁵ and 10ᵏ (k ≤ 22) are exact float64s, so
// m/10ᵏ computed in float64 is the correctly rounded value of the decimal,
// which is what parsing it gives; at most one m of 15 digits or fewer rounds
// to f for a given k (their spacing is more than f's ulp), and round(f×10ᵏ)
// is off from it by less than a quarter, so it is that m when one exists.
// The first k that gives one is the shortest. f must be positive or zero.
func shortFixed(f float64) (m uint64, k int, ok bool) {
	for k = range len(pow10) {
		s := f * pow10[k]
		if s >= 1e15 {
			return 0, 0, false
		}
		r := math.Round(s)
		if r/pow10[k] == f {
			return uint64(r), k, true
		}
	}
	return 0, 0, false
}

// appendFixed appends m×10⁻ᵏ with k decimals.
func appendFixed(b []byte, m uint64, k int) []byte {
	var d [24]byte
	digits := strconv.AppendUint(d[:0], m, 10)
	if k == 0 {
		return append(b, digits...)
	}
	if len(digits) <= k {
		b = append(b, '0', '.')
		for range k - len(digits) {
			b = append(b, '0')
		}
		return append(b, digits...)
	}
	point := len(digits) - k
	b = append(b, digits[:point]...)
	b = append(b, '.')
	return append(b, digits[point:]...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json does
// with HTML escaping off: quote, backslash and control characters, invalid
// UTF-8 as U+FFFD, and U+2028 and U+2029, which JavaScript cannot hold in a
// string literal.
func appendString(b []byte, s string) []byte {
	if plainString(s) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if plainByte(c) {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainString reports whether every byte of s is ASCII that a JSON string
// holds as it is, as most strings here are from end to end: eight bytes
// at a time, the last eight overlapping those before (through a byte view
// of s, read only: the conversion would copy it).
func plainString(s string) bool {
	bs := unsafe.Slice(unsafe.StringData(s), len(s))
	if len(bs) < 8 {
		for _, c := range bs {
			if !plainByte(c) {
				return false
			}
		}
		return true
	}
	for i := 0; i+8 <= len(bs); i += 8 {
		if !plain8(binary.LittleEndian.Uint64(bs[i:])) {
			return false
		}
	}
	return plain8(binary.LittleEndian.Uint64(bs[len(bs)-8:]))
}

// plainByte reports whether c is ASCII that a JSON string holds as it is.
func plainByte(c byte) bool { return c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\' }

// plain8 reports whether the 8 bytes of w are all ASCII that a JSON string
// holds as it is (no control character, quote or backslash), testing them
// at once in a word: the texts are long and nearly always plain, and
// testing them byte by byte was most of the time spent writing a
// connection. A byte x has its high bit set in (x - 1) &^ x only when x is
// zero, x being a byte of w, or of w xor a repeated quote or backslash;
// w - 0x20 repeated sets it for the bytes below 0x20; w itself for those
// above ASCII.
func plain8(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q, bs := w^'"'*ones, w^'\\'*ones
	bad := w | (w - 0x20*ones) | (q-ones)&^q | (bs-ones)&^bs
	return bad&highs == 0
}

// jsonBufs holds the buffers WriteJSON encodes into, so that writing a
// connection allocates no buffer.
var jsonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}
