package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
)

// Bounds on what a scenario's source may hold, so that any input is read
// and parsed with bounded memory and work.
const (
	// MaxSource is the size of a scenario file, in bytes.
	MaxSource = 32 << 20
	// MaxText is the length of quoted text once decoded, in bytes: the
	// largest write a scenario may make (as DATA's byte count).
	MaxText = maxBytes
	// MaxWord is the length of any other token (a name, a number, a
	// label), in bytes.
	MaxWord = 256
	// MaxLines is the number of lines of a scenario.
	MaxLines = 100_000
)

// checkLines refuses a source of more than MaxLines lines before any of
// it is parsed.
func checkLines(file string, src []byte) error {
	if n := bytes.Count(src, []byte("\n")); n > MaxLines || n == MaxLines && !bytes.HasSuffix(src, []byte("\n")) {
		return ErrorList{{Pos: Pos{File: file, Line: MaxLines + 1, Col: 1}, Msg: fmt.Sprintf("more than %d lines, the most a scenario may have", MaxLines)}}
	}
	return nil
}

// ErrTooLarge is wrapped by ReadSource when the input is larger than
// MaxSource.
var ErrTooLarge = errors.New("scenario source too large")

// ErrNotRegular is wrapped by ReadSource when the path names something
// other than a regular file (a FIFO, a device, a directory): reading such
// a thing may block or never end.
var ErrNotRegular = errors.New("not a regular file")

// ReadSource reads the scenario source at path, which must be a regular
// file (after links) of at most MaxSource bytes.
func ReadSource(path string) ([]byte, error) {
	// Stat first: opening a FIFO for reading blocks until a writer comes.
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	if err := regular(path, st); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	defer f.Close()
	// The path may have been replaced between the two looks.
	if st, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	if err := regular(path, st); err != nil {
		return nil, err
	}
	return ReadSourceFrom(path, f)
}

// ReadSourceFrom reads a scenario source from r (stdin, say), which name
// describes in errors, refusing more than MaxSource bytes.
func ReadSourceFrom(name string, r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxSource+1))
	if err != nil {
		return nil, fmt.Errorf("read scenario %s: %w", name, err)
	}
	if len(b) > MaxSource {
		return nil, fmt.Errorf("read scenario %s: %w: more than %d bytes (%d MiB), the most a scenario may have", name, ErrTooLarge, MaxSource, MaxSource>>20)
	}
	return b, nil
}

func regular(path string, st fs.FileInfo) error {
	m := st.Mode()
	if m.IsRegular() {
		if st.Size() > MaxSource {
			return fmt.Errorf("read scenario %s: %w: %d bytes, expected at most %d (%d MiB)", path, ErrTooLarge, st.Size(), MaxSource, MaxSource>>20)
		}
		return nil
	}
	var what string
	switch {
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO), whose reading may block"
	case m&fs.ModeCharDevice != 0:
		what = "a character device, whose reading may never end"
	case m&fs.ModeDevice != 0:
		what = "a device"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	default:
		what = "not a regular file (mode " + m.String() + ")"
	}
	return fmt.Errorf("read scenario %s: %w: it is %s; expected a regular file, or - for stdin", path, ErrNotRegular, what)
}

// Quote quotes s for a message, cut to its first 40 bytes when longer, so
// that a message never repeats a huge input.
func Quote(s string) string {
	const keep = 40
	if len(s) <= keep {
		return strconv.Quote(s)
	}
	cut := keep
	// Cut at a rune boundary.
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return strconv.Quote(s[:cut]) + "… (" + strconv.Itoa(len(s)) + " bytes)"
}
