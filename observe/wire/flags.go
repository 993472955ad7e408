package wire

import "strings"

// Flags are the TCP header's flag bits, with the header's own bit values.
type Flags uint8

// The TCP flags. ECE and CWR are the ECN flags; tcpdump shows them as E and W.
const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

// flagLetters is tcpdump's order and lettering, so that String matches what
// people see in tcpdump output: SYN-ACK is "S.", FIN-ACK "F.", RST "R".
var flagLetters = [...]struct {
	f Flags
	c byte
}{{FIN, 'F'}, {SYN, 'S'}, {RST, 'R'}, {PSH, 'P'}, {ACK, '.'}, {URG, 'U'}, {ECE, 'E'}, {CWR, 'W'}}

// String returns the flags as tcpdump prints them between brackets: "S",
// "S.", "F.", "R", "R.", "P.", "." and "none" when no flag is set.
func (f Flags) String() string {
	if f == 0 {
		return "none"
	}
	var b strings.Builder
	for _, l := range flagLetters {
		if f&l.f != 0 {
			b.WriteByte(l.c)
		}
	}
	return b.String()
}

// ParseFlags turns tcpdump letters (any of "FSRP.UEW", in any order, '.'
// standing for ACK) into Flags. It is the inverse of String, except that
// "none" is not accepted: an empty string means no flag.
func ParseFlags(letters string) (Flags, error) {
	var f Flags
	for i := 0; i < len(letters); i++ {
		g, ok := letterFlag(letters[i])
		if !ok {
			return 0, &FlagsError{Letters: letters, Index: i}
		}
		f |= g
	}
	return f, nil
}

// FlagsError reports a letter that names no TCP flag.
type FlagsError struct {
	Letters string // the whole input
	Index   int    // the byte offset of the bad letter
}

func (e *FlagsError) Error() string {
	return "tcp flags " + quote(e.Letters) + ": " + quote(e.Letters[e.Index:e.Index+1]) +
		" is not a flag letter (expected one of F S R P . U E W)"
}

func quote(s string) string { return `"` + s + `"` }

func letterFlag(c byte) (Flags, bool) {
	for _, l := range flagLetters {
		if l.c == c {
			return l.f, true
		}
	}
	return 0, false
}

// Has reports whether every flag named in letters is set, letters being
// tcpdump's ("SFRPU." with '.' for ACK, also E and W). Other flags may be set
// too: Has("R") is true for an RST-ACK. A letter that names no flag makes
// Has false, so a typo never matches.
func (f Flags) Has(letters string) bool {
	want, err := ParseFlags(letters)
	return err == nil && f&want == want
}
