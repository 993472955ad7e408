package explain

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxLine bounds the bytes of one log line that Lines reads; the rest of
// a longer line is skipped, and the line counted as cut.
const MaxLine = 64 << 10

// A LineResult is what explain says about one line of a log.
type LineResult struct {
	// N is the line number, from 1.
	N int
	// Findings are the entries the line mentions, best first.
	Findings []Finding
	// Tied lists the ids that rank first together; see Tied.
	Tied []string
	// Cut is set when the line was longer than MaxLine.
	Cut bool
}

// A Summary is what the errors of a whole log add up to.
type Summary struct {
	// Lines is the number of lines read; Errors of those that hold an
	// error; Cut of those longer than MaxLine.
	Lines, Errors, Cut int
	// Counts are the lines per first-ranked entry, most first.
	Counts []Count
	// Causes are the causes the lines point to, best supported first.
	Causes []CauseCount
	// Scenarios are the lab scenarios to run first: the top cause's, or
	// those of the most frequent error.
	Scenarios []string
}

// A Count is how many lines an entry ranked first on.
type Count struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Kind  string `json:"kind"`
	Lines int    `json:"lines"`
}

// A CauseCount is a cause with the number of lines that point to it.
type CauseCount struct {
	Cause *Cause
	Lines int
}

// Lines explains a log line by line, as it reads it: each line that holds
// an error is passed to each, in order, and the summary of the whole log
// is returned at the end. A JSON line (an object) is read as its fields,
// "key=value" each, so that escapes inside its strings do not hide
// messages. Memory stays bounded whatever the log's size: one line at a
// time, at most MaxLine bytes of it, and one counter per entry and
// cause. An error from each stops the reading and is returned.
func (b *Base) Lines(r io.Reader, opt Options, each func(LineResult) error) (Summary, error) {
	br := bufio.NewReaderSize(r, MaxLine)
	counts := map[string]int{}
	causes := map[string]int{}
	var sum Summary
	var flat []byte
	for {
		line, cut, raw, err := readLine(br)
		if raw == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return sum, err
		}
		sum.Lines++
		if cut {
			sum.Cut++
		}
		text := line
		if t := bytes.TrimLeft(line, " \t"); len(t) > 0 && t[0] == '{' {
			if f, ok := flattenJSON(t, flat[:0]); ok {
				flat = f
				text = f
			}
		}
		fs := b.Match(string(text), opt)
		if len(fs) > 0 {
			sum.Errors++
			tied := Tied(fs)
			if tied != nil {
				// A line that supports two answers equally counts for
				// neither alone.
				counts[strings.Join(tied, "|")]++
			} else {
				counts[fs[0].ID]++
			}
			for _, c := range b.lineCauses(fs, text) {
				causes[c]++
			}
			if each != nil {
				if err := each(LineResult{N: sum.Lines, Findings: fs, Tied: tied, Cut: cut}); err != nil {
					return sum, err
				}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return sum, err
		}
	}
	for id, n := range counts {
		c := Count{ID: id, Lines: n}
		if e, ok := b.byID[id]; ok {
			c.Title, c.Kind = e.Title, e.Kind
		} else {
			var kinds []string
			for _, one := range strings.Split(id, "|") {
				kinds = appendNew(kinds, b.byID[one].Kind)
			}
			c.Title, c.Kind = "equally likely, the lines do not tell them apart", strings.Join(kinds, "|")
		}
		sum.Counts = append(sum.Counts, c)
	}
	sort.Slice(sum.Counts, func(i, j int) bool {
		if sum.Counts[i].Lines != sum.Counts[j].Lines {
			return sum.Counts[i].Lines > sum.Counts[j].Lines
		}
		return sum.Counts[i].ID < sum.Counts[j].ID
	})
	for _, c := range b.Causes {
		if n := causes[c.ID]; n > 0 {
			sum.Causes = append(sum.Causes, CauseCount{Cause: c, Lines: n})
		}
	}
	sort.SliceStable(sum.Causes, func(i, j int) bool { return sum.Causes[i].Lines > sum.Causes[j].Lines })
	switch {
	case len(sum.Causes) > 0 && len(sum.Causes[0].Cause.Scenarios) > 0:
		sum.Scenarios = sum.Causes[0].Cause.Scenarios
	case len(sum.Counts) > 0:
		if e, ok := b.byID[strings.Split(sum.Counts[0].ID, "|")[0]]; ok {
			sum.Scenarios = e.Scenarios
		}
	}
	return sum, nil
}

// readLine returns the next line without its end of line, at most MaxLine
// bytes of it, whether it was longer, and how many bytes it read (0 at
// the end of the input). The slice is valid until the next call.
func readLine(br *bufio.Reader) (line []byte, cut bool, raw int, err error) {
	line, err = br.ReadSlice('\n')
	raw = len(line)
	if errors.Is(err, bufio.ErrBufferFull) {
		// Keep the first MaxLine bytes (copied: ReadSlice's buffer is
		// reused) and skip the rest of the line.
		line = append([]byte(nil), line...)
		cut = true
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = br.ReadSlice('\n')
		}
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return line, cut, raw, err
}

// lineCauses lists the causes a line points to: a cause's tell-tale text
// matched, or its first finding is one of the cause's entries and the
// line holds one of its words (or the cause has none).
func (b *Base) lineCauses(fs []Finding, line []byte) []string {
	var out []string
	for _, x := range fs[0].Evidence {
		out = appendNew(out, x.causes...)
	}
	var folded string
	for _, c := range b.Causes {
		for _, id := range c.Entries {
			if id != fs[0].ID {
				continue
			}
			if len(c.Words) == 0 {
				out = appendNew(out, c.ID)
				continue
			}
			if folded == "" {
				folded = fold(string(line))
			}
			for _, w := range c.Words {
				if strings.Contains(folded, w) {
					out = appendNew(out, c.ID)
					break
				}
			}
		}
	}
	return out
}

// flattenJSON appends the fields of a JSON object to dst as "key=value"
// separated by spaces, strings unescaped, in the order they appear; nested
// objects and arrays are flattened too. It reports false for a line that
// is not a JSON object. It checks what flattening needs (balanced
// brackets, terminated strings), not every rule of JSON: a log line that
// is almost JSON is still worth reading as fields.
func flattenJSON(line, dst []byte) ([]byte, bool) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return dst, false
	}
	depth := 0
	start := len(dst)
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == '{' || c == '[':
			depth++
			i++
		case c == '}' || c == ']':
			depth--
			i++
			if depth < 0 {
				return dst, false
			}
			if depth == 0 && len(bytes.TrimSpace(line[i:])) > 0 {
				return dst, false
			}
		case c == ',' || c == ':' || c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '"':
			var ok bool
			dst, i, ok = appendJSONString(dst, line, i+1)
			if !ok {
				return dst, false
			}
			k := i
			for k < len(line) && (line[k] == ' ' || line[k] == '\t') {
				k++
			}
			if k < len(line) && line[k] == ':' {
				dst = append(dst, '=')
			} else {
				dst = append(dst, ' ')
			}
		default:
			// A number, true, false or null, as written.
			k := i
			for k < len(line) && !strings.ContainsRune(",:]} \t\r\n", rune(line[k])) {
				k++
			}
			dst = append(dst, line[i:k]...)
			dst = append(dst, ' ')
			i = k
		}
	}
	return dst, depth == 0 && len(dst) > start
}

// appendJSONString appends the JSON string starting at line[i] (after its
// opening quote), unescaped, and returns the index after its closing
// quote.
func appendJSONString(dst, line []byte, i int) ([]byte, int, bool) {
	for i < len(line) {
		c := line[i]
		switch {
		case c == '"':
			return dst, i + 1, true
		case c != '\\':
			dst = append(dst, c)
			i++
		case i+1 >= len(line):
			return dst, i, false
		default:
			e := line[i+1]
			i += 2
			switch e {
			case 'n':
				dst = append(dst, '\n')
			case 't':
				dst = append(dst, '\t')
			case 'r':
				dst = append(dst, '\r')
			case 'b', 'f':
				dst = append(dst, ' ')
			case 'u':
				if i+4 > len(line) {
					return dst, i, false
				}
				r, err := strconv.ParseUint(string(line[i:i+4]), 16, 16)
				if err != nil {
					return dst, i, false
				}
				i += 4
				ru := rune(r)
				if utf16.IsSurrogate(ru) && i+6 <= len(line) && line[i] == '\\' && line[i+1] == 'u' {
					if r2, err := strconv.ParseUint(string(line[i+2:i+6]), 16, 16); err == nil {
						ru = utf16.DecodeRune(ru, rune(r2))
						i += 6
					}
				}
				dst = utf8.AppendRune(dst, ru)
			default:
				dst = append(dst, e)
			}
		}
	}
	return dst, i, false
}
