package analyze

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"text/tabwriter"
)

// SchemaVersion is the version of the JSON objects Line describes; it
// changes when a field changes meaning or goes away.
const SchemaVersion = 1

// Line is one connection as --json writes it, one object per line.
type Line struct {
	Schema   int       `json:"schema"`
	TS       float64   `json:"ts"`
	OrigH    string    `json:"orig_h"`
	OrigP    uint16    `json:"orig_p"`
	RespH    string    `json:"resp_h"`
	RespP    uint16    `json:"resp_p"`
	Zeek     ZeekState `json:"zeek"`
	OrigB    uint64    `json:"orig_bytes"`
	RespB    uint64    `json:"resp_bytes"`
	Packets  int       `json:"packets"`
	Duration float64   `json:"duration"`
	Idle     float64   `json:"idle"`
	EndedHow string    `json:"ended_how"`
	EndedBy  string    `json:"ended_by"`
	Errno    Errnos    `json:"errno"`
	Cause    Cause     `json:"cause"`
	Explain  []string  `json:"explain,omitempty"`
}

// ZeekState is what Zeek's conn.log would say.
type ZeekState struct {
	ConnState string `json:"conn_state"`
	History   string `json:"history"`
}

// Errnos is the errno each side's application most likely got.
type Errnos struct {
	Orig string `json:"orig"`
	Resp string `json:"resp"`
}

// LineOf is c as a Line.
func LineOf(c *Conn) Line {
	var explain [2]string
	l := lineOf(c, &explain)
	l.OrigH, l.RespH = c.Orig().Addr().String(), c.Resp().Addr().String()
	l.Zeek.History = c.History()
	l.Explain = slices.Clone(l.Explain)
	return l
}

// lineOf is LineOf without the strings that appendJSON can take from c
// itself (the addresses and the history), and with its Explain list in
// explain: writing a connection then allocates nothing.
func lineOf(c *Conn, explain *[2]string) Line {
	v := c.v
	if v == nil {
		v = new(Verdict) // not ended yet
	}
	ob, rb := c.Bytes()
	l := Line{
		Schema: SchemaVersion,
		TS:     unixSeconds(c.z.start),
		OrigP:  c.Orig().Port(), RespP: c.Resp().Port(),
		Zeek:  ZeekState{ConnState: c.ConnState()},
		OrigB: ob, RespB: rb, Packets: c.Packets(),
		Duration: c.Duration().Seconds(),
		Idle:     v.Idle.Seconds(),
		EndedHow: v.How, EndedBy: v.By,
		Errno: Errnos{v.OrigErrno, v.RespErrno},
		Cause: v.Cause,
	}
	n := 0
	for _, e := range [2]string{v.OrigErrno, v.RespErrno} {
		if inExplain[e] && (n == 0 || explain[0] != e) {
			explain[n] = e
			n++
		}
	}
	if n > 0 {
		l.Explain = explain[:n]
	}
	return l
}

// WriteJSON writes c as one line of JSON. Evidence quotes packets as
// "A > B", so HTML escaping, which would make that "\u003e", is off.
func WriteJSON(w io.Writer, c *Conn) error {
	bp := jsonBufs.Get().(*[]byte)
	*bp = AppendJSON((*bp)[:0], c)
	_, err := w.Write(*bp)
	jsonBufs.Put(bp)
	return err
}

// AppendJSON appends the line WriteJSON writes to b, for a caller that
// keeps its own buffer.
func AppendJSON(b []byte, c *Conn) []byte {
	var explain [2]string
	l := lineOf(c, &explain)
	return l.appendJSON(b, c)
}

// Table writes connections as a text table, one per line. Columns are
// aligned in blocks of tableBlock lines, so that memory stays bounded and
// lines come out while a long capture is read.
type Table struct {
	tw *tabwriter.Writer
	n  int
}

const tableBlock = 256

// NewTable starts a table on w with its header.
func NewTable(w io.Writer) *Table {
	t := &Table{tw: tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)}
	fmt.Fprintln(t.tw, "START\tORIGINATOR\tRESPONDER\tSTATE\tHISTORY\tENDED\tBY\tERRNO orig/resp\tCAUSE")
	return t
}

// Add writes one connection.
func (t *Table) Add(c *Conn) {
	v := c.Verdict()
	fmt.Fprintf(t.tw, "%s\t%v\t%v\t%s\t%s\t%s\t%s\t%s/%s\t%s\n",
		c.Start().UTC().Format("15:04:05.000000"), c.Orig(), c.Resp(), c.ConnState(), c.History(),
		v.How, v.By, v.OrigErrno, v.RespErrno, v.Cause.Text)
	if t.n++; t.n%tableBlock == 0 {
		t.tw.Flush()
	}
}

// Flush writes out what is buffered.
func (t *Table) Flush() error { return t.tw.Flush() }

// Summary counts connections by how they ended and by cause.
type Summary struct {
	Conns int
	how   [len(Hows)]int // by index in Hows
	// causes are counted in the order they first came: a cause's count
	// is found by a look along a list of a few dozen at most, shorter
	// than a map's hash of its name, and the last one found is tried
	// first.
	causes []causeCount
	last   int
}

type causeCount struct {
	id, scenario string // a scenario that reproduces it
	n            int
}

// Add counts c.
func (s *Summary) Add(c *Conn) {
	v := c.v
	if v == nil {
		v = new(Verdict) // not ended yet
	}
	s.Conns++
	if i := slices.Index(Hows[:], v.How); i >= 0 {
		s.how[i]++
	}
	if s.last < len(s.causes) && s.causes[s.last].id == v.Cause.ID {
		s.causes[s.last].n++
		return
	}
	i := slices.IndexFunc(s.causes, func(cc causeCount) bool { return cc.id == v.Cause.ID })
	if i < 0 {
		i = len(s.causes)
		s.causes = append(s.causes, causeCount{id: v.Cause.ID, scenario: v.Cause.Scenario})
	}
	s.causes[i].n++
	s.last = i
}

// Write prints the summary.
func (s *Summary) Write(w io.Writer) {
	fmt.Fprintf(w, "\nconnections: %d\n", s.Conns)
	for i, h := range Hows {
		if n := s.how[i]; n > 0 {
			fmt.Fprintf(w, "  %-16s %d\n", h, n)
		}
	}
	if len(s.causes) > 0 {
		fmt.Fprintln(w, "causes:")
		l := slices.Clone(s.causes)
		slices.SortStableFunc(l, func(a, b causeCount) int { return b.n - a.n })
		for _, cc := range l {
			extra := ""
			if cc.scenario != "" {
				extra = "  (teardown lab run " + cc.scenario + ")"
			}
			fmt.Fprintf(w, "  %-16s %s%s\n", cc.id, strconv.Itoa(cc.n), extra)
		}
	}
}

// unixSeconds is a time in nanoseconds since the epoch as seconds: the
// whole seconds and the fraction apart, as Zeek makes its ts of a pcap
// record's two fields, so that the value is the float64 nearest the time.
// Dividing the nanoseconds at once rounded them to 256 ns first (a
// float64 holds 53 bits), and a capture's 0.000050 came out as
// 0.0000498.
func unixSeconds(ns int64) float64 {
	return float64(ns/1e9) + float64(ns%1e9)/1e9
}
