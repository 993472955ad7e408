package analyze

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/teardown-net/teardown/observe/wire"
)

// pkt is a packet for the hand-made captures of these tests.
type pkt struct {
	at       time.Duration
	src, dst string
	flags    wire.Flags
	seq, ack uint32
	data     int
	ttl      uint8
}

// capture builds a pcap file (link type RAW, IPv4) from ps.
func capture(ps []pkt) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0xa1b2c3d4)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = append(b, make([]byte, 8)...)
	b = binary.LittleEndian.AppendUint32(b, 65535)
	b = binary.LittleEndian.AppendUint32(b, 101)
	t0 := time.Unix(1700000000, 0)
	for _, p := range ps {
		src, dst := netip.MustParseAddrPort(p.src), netip.MustParseAddrPort(p.dst)
		ttl := p.ttl
		if ttl == 0 {
			ttl = 64
		}
		ip := make([]byte, 40+p.data)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
		ip[8], ip[9] = ttl, 6
		s, d := src.Addr().As4(), dst.Addr().As4()
		copy(ip[12:], s[:])
		copy(ip[16:], d[:])
		binary.BigEndian.PutUint16(ip[20:], src.Port())
		binary.BigEndian.PutUint16(ip[22:], dst.Port())
		binary.BigEndian.PutUint32(ip[24:], p.seq)
		binary.BigEndian.PutUint32(ip[28:], p.ack)
		ip[32] = 5 << 4
		ip[33] = byte(p.flags)
		binary.BigEndian.PutUint16(ip[34:], 512)
		t := t0.Add(p.at)
		b = binary.LittleEndian.AppendUint32(b, uint32(t.Unix()))
		b = binary.LittleEndian.AppendUint32(b, uint32(t.Nanosecond()/1000))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(ip)))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(ip)))
		b = append(b, ip...)
	}
	return b
}

// withICMP is capture(ps) with an ICMP destination unreachable with code
// from 198.18.0.254 at time at, quoting ps[quote], after the packets
// before it.
func withICMP(ps []pkt, at time.Duration, quote int, code uint8) []byte {
	i := 0
	for i < len(ps) && ps[i].at <= at {
		i++
	}
	b := capture(ps[:i])
	q := capture(ps[quote : quote+1])[24+16:][:28] // its IP header and the first 8 bytes of TCP
	ip := make([]byte, 28, 28+len(q))
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(28+len(q)))
	ip[8], ip[9] = 64, 1
	copy(ip[12:], []byte{198, 18, 0, 254})
	copy(ip[16:], q[12:16]) // to the quoted segment's sender
	ip[20], ip[21] = 3, code
	ip = append(ip, q...)
	t := time.Unix(1700000000, 0).Add(at)
	b = binary.LittleEndian.AppendUint32(b, uint32(t.Unix()))
	b = binary.LittleEndian.AppendUint32(b, uint32(t.Nanosecond()/1000))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(ip)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(ip)))
	b = append(b, ip...)
	return append(b, capture(ps[i:])[24:]...)
}

// TestICMPVerdicts checks when an ICMP error is how a connection ended.
func TestICMPVerdicts(t *testing.T) {
	data := append(append([]pkt{}, handshake...),
		pkt{3 * time.Millisecond, cli, srv, wire.PSH | wire.ACK, 101, 501, 1, 0},
		pkt{4 * time.Millisecond, srv, cli, wire.ACK, 501, 102, 0, 0},
		pkt{10 * time.Millisecond, cli, srv, wire.PSH | wire.ACK, 102, 501, 4, 0},
		pkt{210 * time.Millisecond, cli, srv, wire.PSH | wire.ACK, 102, 501, 4, 0})
	for _, tc := range []struct {
		name                 string
		pkts                 []pkt
		code                 uint8
		how, cause, conf     string
		origErrno, respErrno string
	}{
		{
			name: "retransmissions unanswered after the error",
			pkts: data, code: 1,
			how: HowICMP, cause: CauseUnreachable, conf: ConfidenceHigh, origErrno: "EHOSTUNREACH", respErrno: ErrnoNone,
		},
		{
			name: "fragmentation needed is no error to TCP",
			pkts: data, code: 4,
			how: HowTimeout, cause: CauseVanished, conf: ConfidenceMedium, origErrno: "ETIMEDOUT", respErrno: ErrnoNone,
		},
		{
			name: "the path came back: the error told the program nothing",
			pkts: append(append([]pkt{}, data...), pkt{211 * time.Millisecond, srv, cli, wire.ACK, 501, 106, 0, 0}), code: 1,
			how: HowOpen, cause: CauseOpen, conf: ConfidenceHigh, origErrno: ErrnoNone, respErrno: ErrnoNone,
		},
		{
			name: "the server's RST long after the client gave up",
			pkts: append(append([]pkt{}, data...), pkt{3 * time.Second, srv, cli, wire.RST | wire.ACK, 501, 102, 0, 0}), code: 1,
			how: HowICMP, cause: CauseUnreachable, conf: ConfidenceMedium, origErrno: "EHOSTUNREACH", respErrno: ErrnoNone,
		},
		{
			name: "the server's RST answering a retransmission",
			pkts: append(append([]pkt{}, data...), pkt{211 * time.Millisecond, srv, cli, wire.RST | wire.ACK, 501, 102, 0, 0}), code: 1,
			how: HowRST, cause: CauseCloseUnread, conf: ConfidenceMedium, origErrno: "ECONNRESET", respErrno: ErrnoNone,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conns := analyzeBytes(t, withICMP(tc.pkts, 11*time.Millisecond, 6, tc.code), Options{})
			if len(conns) != 1 {
				t.Fatalf("%d connections, want 1", len(conns))
			}
			v := conns[0].Verdict()
			if v.How != tc.how || v.Cause.ID != tc.cause || v.Cause.Confidence != tc.conf || v.OrigErrno != tc.origErrno || v.RespErrno != tc.respErrno {
				t.Errorf("got %s, cause %s (%s), errno %s/%s; want %s, cause %s (%s), errno %s/%s (%s)", v.How, v.Cause.ID, v.Cause.Confidence,
					v.OrigErrno, v.RespErrno, tc.how, tc.cause, tc.conf, tc.origErrno, tc.respErrno, strings.Join(v.Cause.Evidence, "; "))
			}
		})
	}
}

func analyzeBytes(t testing.TB, file []byte, opts Options) []*Conn {
	t.Helper()
	r, err := wire.NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	var conns []*Conn
	tr := NewTracker(opts, func(c *Conn) { conns = append(conns, c.Clone()) })
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		tr.Add(rec)
	}
	tr.Close()
	return conns
}

const (
	cli = "198.18.0.1:40000"
	srv = "198.18.0.2:80"
)

var handshake = []pkt{
	{0, cli, srv, wire.SYN, 100, 0, 0, 0},
	{time.Millisecond, srv, cli, wire.SYN | wire.ACK, 500, 101, 0, 0},
	{2 * time.Millisecond, cli, srv, wire.ACK, 101, 501, 0, 0},
}

// TestVerdicts checks the causes that the lab's catalog cannot produce on
// loopback, or produces with timers of seconds: a middlebox's RST, an idle
// timeout, a SYN that nobody answers, keepalive probes nobody answers.
func TestVerdicts(t *testing.T) {
	for _, tc := range []struct {
		name                       string
		pkts                       []pkt
		state, how, by, cause      string
		origErrno, respErrno, text string
		idle                       time.Duration
	}{
		{
			name: "middlebox RST",
			pkts: append(append([]pkt{}, handshake...),
				pkt{3 * time.Millisecond, cli, srv, wire.PSH | wire.ACK, 101, 501, 10, 0},
				pkt{4 * time.Millisecond, srv, cli, wire.RST | wire.ACK, 501, 111, 0, 250}),
			state: "RSTR", how: HowRST, by: ByMiddlebox, cause: CauseMiddlebox,
			origErrno: "ECONNRESET", respErrno: ErrnoNone, text: "TTL 250",
		},
		{
			name: "client resets a response it acknowledged",
			pkts: append(append([]pkt{}, handshake...),
				pkt{3 * time.Millisecond, cli, srv, wire.PSH | wire.ACK, 101, 501, 10, 0},
				pkt{4 * time.Millisecond, srv, cli, wire.PSH | wire.ACK, 501, 111, 1000, 0},
				pkt{5 * time.Millisecond, cli, srv, wire.ACK, 111, 1501, 0, 0},
				pkt{time.Second, cli, srv, wire.RST | wire.ACK, 111, 1501, 0, 0}),
			state: "RSTO", how: HowRST, by: ByOrig, cause: CauseCloseUnread,
			origErrno: ErrnoNone, respErrno: "ECONNRESET", text: "up to 1000 bytes",
		},
		{
			// The server closed after its response: its socket is gone,
			// and the client's RST tells it nothing.
			name: "client resets a response it left unread, after the server's FIN",
			pkts: append(append([]pkt{}, handshake...),
				pkt{3 * time.Millisecond, cli, srv, wire.PSH | wire.ACK, 101, 501, 10, 0},
				pkt{4 * time.Millisecond, srv, cli, wire.PSH | wire.ACK, 501, 111, 1000, 0},
				pkt{5 * time.Millisecond, srv, cli, wire.FIN | wire.ACK, 1501, 111, 0, 0},
				pkt{6 * time.Millisecond, cli, srv, wire.ACK, 111, 1502, 0, 0},
				pkt{time.Second, cli, srv, wire.RST | wire.ACK, 111, 1502, 0, 0}),
			state: "RSTO", how: HowRST, by: ByOrig, cause: CauseCloseUnread,
			origErrno: ErrnoNone, respErrno: ErrnoNone, text: "had sent its FIN before it",
		},
		{
			name: "idle then RST",
			pkts: append(append([]pkt{}, handshake...),
				pkt{400 * time.Second, cli, srv, wire.PSH | wire.ACK, 101, 501, 10, 0},
				pkt{400*time.Second + time.Millisecond, srv, cli, wire.RST, 501, 0, 0, 0}),
			state: "RSTRH", how: HowRST, by: ByResp, cause: CauseIdleTimeout,
			origErrno: "ECONNRESET", respErrno: ErrnoNone, text: "idle 6m40s", idle: 400 * time.Second,
		},
		{
			name: "SYN retransmitted, no answer",
			pkts: []pkt{
				{0, cli, srv, wire.SYN, 100, 0, 0, 0},
				{time.Second, cli, srv, wire.SYN, 100, 0, 0, 0},
				{3 * time.Second, cli, srv, wire.SYN, 100, 0, 0, 0},
			},
			state: "S0", how: HowSYNTimeout, by: ByNone, cause: CauseNoAnswer,
			origErrno: "ETIMEDOUT", respErrno: ErrnoNone, text: "3 SYN",
		},
		{
			name: "keepalive probes unanswered",
			pkts: append(append([]pkt{}, handshake...),
				pkt{3 * time.Millisecond, cli, srv, wire.PSH | wire.ACK, 101, 501, 10, 0},
				pkt{4 * time.Millisecond, srv, cli, wire.ACK, 501, 111, 0, 0},
				pkt{60 * time.Second, cli, srv, wire.ACK, 110, 501, 0, 0},
				pkt{61 * time.Second, cli, srv, wire.ACK, 110, 501, 0, 0}),
			state: "S1", how: HowTimeout, by: ByNone, cause: CauseKeepalive,
			origErrno: "ETIMEDOUT", respErrno: ErrnoNone, text: "last 2 segments were keepalive probes",
		},
		{
			name: "keepalive probes unanswered, then the prober's RST",
			pkts: append(append([]pkt{}, handshake...),
				pkt{60 * time.Second, cli, srv, wire.ACK, 100, 501, 0, 0},
				pkt{61 * time.Second, cli, srv, wire.RST | wire.ACK, 101, 501, 0, 0}),
			state: "RSTO", how: HowRST, by: ByOrig, cause: CauseKeepalive,
			origErrno: "ETIMEDOUT", respErrno: ErrnoNone, text: "last 1 segments before it were keepalive probes",
		},
		{
			// The server closes (RST, data unread) long after the client
			// gave up on its unanswered data: the RST is not what the
			// client was told.
			name: "retransmissions given up, a late RST",
			pkts: append(append([]pkt{}, handshake...),
				pkt{3 * time.Millisecond, cli, srv, wire.PSH | wire.ACK, 101, 501, 1, 0},
				pkt{103 * time.Millisecond, cli, srv, wire.PSH | wire.ACK, 102, 501, 4, 0},
				pkt{303 * time.Millisecond, cli, srv, wire.PSH | wire.ACK, 102, 501, 4, 0},
				pkt{703 * time.Millisecond, cli, srv, wire.PSH | wire.ACK, 102, 501, 4, 0},
				pkt{4 * time.Second, srv, cli, wire.RST | wire.ACK, 501, 102, 0, 0}),
			state: "RSTR", how: HowTimeout, by: ByNone, cause: CauseVanished,
			origErrno: "ETIMEDOUT", respErrno: ErrnoNone, text: "it had given up",
		},
		{
			// The same RST answering the third retransmission at once is
			// what the client is told.
			name: "retransmissions answered by an RST",
			pkts: append(append([]pkt{}, handshake...),
				pkt{3 * time.Millisecond, cli, srv, wire.PSH | wire.ACK, 101, 501, 1, 0},
				pkt{103 * time.Millisecond, cli, srv, wire.PSH | wire.ACK, 102, 501, 4, 0},
				pkt{303 * time.Millisecond, cli, srv, wire.PSH | wire.ACK, 102, 501, 4, 0},
				pkt{703 * time.Millisecond, cli, srv, wire.PSH | wire.ACK, 102, 501, 4, 0},
				pkt{704 * time.Millisecond, srv, cli, wire.RST | wire.ACK, 501, 102, 0, 0}),
			state: "RSTR", how: HowRST, by: ByResp, cause: CauseCloseUnread,
			origErrno: "ECONNRESET", respErrno: ErrnoNone, text: "up to 5 bytes",
		},
		{
			name: "a probe answered is no end",
			pkts: append(append([]pkt{}, handshake...),
				pkt{60 * time.Second, cli, srv, wire.ACK, 100, 501, 0, 0},
				pkt{60*time.Second + time.Millisecond, srv, cli, wire.ACK, 501, 101, 0, 0}),
			state: "S1", how: HowOpen, by: ByNone, cause: CauseOpen,
			origErrno: ErrnoNone, respErrno: ErrnoNone, text: "still open",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conns := analyzeBytes(t, capture(tc.pkts), Options{})
			if len(conns) == 0 {
				t.Fatal("no connection")
			}
			// After 5 minutes idle Zeek starts a new connection: the
			// verdict is the last one's.
			c := conns[len(conns)-1]
			v := c.Verdict()
			ev := v.Cause.Text + " " + strings.Join(v.Cause.Evidence, " ")
			if c.ConnState() != tc.state || v.How != tc.how || v.By != tc.by || v.Cause.ID != tc.cause ||
				v.OrigErrno != tc.origErrno || v.RespErrno != tc.respErrno || !strings.Contains(ev, tc.text) {
				t.Errorf("got %s %s by %s, cause %s (%s), errno %s/%s; want %s %s by %s, cause %s mentioning %q, errno %s/%s",
					c.ConnState(), v.How, v.By, v.Cause.ID, ev, v.OrigErrno, v.RespErrno,
					tc.state, tc.how, tc.by, tc.cause, tc.text, tc.origErrno, tc.respErrno)
			}
			if tc.idle != 0 && v.Idle.Round(time.Second) != tc.idle {
				t.Errorf("idle %v, want %v", v.Idle, tc.idle)
			}
		})
	}
}

// TestPortReuse checks that a new SYN on a 4-tuple whose connection is over
// starts a second connection.
func TestPortReuse(t *testing.T) {
	ps := append(append([]pkt{}, handshake...),
		pkt{3 * time.Millisecond, cli, srv, wire.FIN | wire.ACK, 101, 501, 0, 0},
		pkt{4 * time.Millisecond, srv, cli, wire.FIN | wire.ACK, 501, 102, 0, 0},
		pkt{5 * time.Millisecond, cli, srv, wire.ACK, 102, 502, 0, 0},
		pkt{time.Second, cli, srv, wire.SYN, 9000, 0, 0, 0},
		pkt{time.Second + time.Millisecond, srv, cli, wire.RST | wire.ACK, 0, 9001, 0, 0})
	conns := analyzeBytes(t, capture(ps), Options{})
	var got []string
	for _, c := range conns {
		got = append(got, c.ConnState()+" "+c.History()+" "+c.Verdict().How)
	}
	if want := "SF ShAFf fin-both|REJ Sr refused"; strings.Join(got, "|") != want {
		t.Errorf("connections %q, want %q", strings.Join(got, "|"), want)
	}
}

func TestFilter(t *testing.T) {
	o, r := netip.MustParseAddrPort(cli), netip.MustParseAddrPort(srv)
	for _, tc := range []struct {
		expr string
		want bool
		err  string
	}{
		{"", true, ""},
		{"port 80", true, ""},
		{"src port 80", false, ""},
		{"dst port 80 and host 198.18.0.1", true, ""},
		{"net 198.19.0.0/16 or port 443", false, ""},
		{"not (port 443 or port 22)", true, ""},
		{"host 198.18.0.9", false, ""},
		{"port", false, `"port" needs a value`},
		{"host example.com", false, "not an IP address"},
		{"port 80 port 81", false, `unexpected "port"`},
		{"(port 80", false, "missing )"},
		{"proto tcp", false, "expected host, net, port"},
	} {
		f, err := ParseFilter(tc.expr)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseFilter(%q): %v, want an error containing %q", tc.expr, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tc.expr, err)
			continue
		}
		if got := f.Match(o, r); got != tc.want {
			t.Errorf("%q matches %v > %v: %v, want %v", tc.expr, o, r, got, tc.want)
		}
	}
}

func FuzzFilter(f *testing.F) {
	f.Add("not (src host 198.18.0.1 and port 80) or net 2001:db8::/32")
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := ParseFilter(s)
		if err == nil {
			fl.Match(netip.MustParseAddrPort(cli), netip.MustParseAddrPort(srv))
		}
	})
}

// FuzzTracker feeds whatever the reader makes of the input through the
// tracker and the verdicts: no panic, and every connection gets a verdict
// from the lists.
func FuzzTracker(f *testing.F) {
	f.Add(capture(append(append([]pkt{}, handshake...), pkt{3 * time.Millisecond, srv, cli, wire.RST, 501, 0, 0, 0})))
	f.Add(cutHeaders(capture(handshake), 0, 1))
	if b, err := os.ReadFile(filepath.Join(parityDir, "traces", "tcp__retransmit-fast009.pcap")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := wire.NewReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		// The times seen so far: a connection's idle time lies within them.
		var first, last time.Time
		tr := NewTracker(Options{Checksums: len(b)%2 == 0}, func(c *Conn) {
			v := c.Verdict()
			ok := false
			for _, h := range Hows {
				ok = ok || h == v.How
			}
			if !ok || v.Cause.ID == "" || c.ConnState() == "" {
				t.Fatalf("verdict %+v, state %q", v, c.ConnState())
			}
			if v.Idle < 0 || v.Idle > last.Sub(first) {
				t.Fatalf("idle %v, with the packets seen %v apart", v.Idle, last.Sub(first))
			}
			var buf bytes.Buffer
			if err := WriteJSON(&buf, c); err != nil {
				t.Fatal(err)
			}
		})
		for {
			rec, err := r.Next()
			if err != nil {
				break
			}
			if first.IsZero() || rec.Time.Before(first) {
				first = rec.Time
			}
			if rec.Time.After(last) {
				last = rec.Time
			}
			tr.Add(rec)
		}
		tr.Close()
	})
}

// benchCapture is a capture of n connections of 20 packets each, 100 open
// at once.
func benchCapture(n int) []byte {
	var ps []pkt
	at := time.Duration(0)
	for base := 0; base < n; base += 100 {
		for step := range 20 {
			for i := base; i < base+100 && i < n; i++ {
				at += 20 * time.Microsecond
				c := fmt.Sprintf("198.18.%d.%d:%d", i>>8&0xff, i&0xff, 1024+i%50000)
				s := "198.19.0.1:443"
				var p pkt
				switch {
				case step == 0:
					p = pkt{at, c, s, wire.SYN, 1000, 0, 0, 0}
				case step == 1:
					p = pkt{at, s, c, wire.SYN | wire.ACK, 5000, 1001, 0, 0}
				case step == 2:
					p = pkt{at, c, s, wire.ACK | wire.PSH, 1001, 5001, 200, 0}
				case step < 17:
					k := uint32(step - 3)
					if step%2 == 1 {
						p = pkt{at, s, c, wire.ACK, 5001 + k*1000, 1201, 1000, 0}
					} else {
						p = pkt{at, c, s, wire.ACK, 1201, 5001 + k*1000, 0, 0}
					}
				case step == 17:
					p = pkt{at, s, c, wire.FIN | wire.ACK, 20001, 1201, 0, 0}
				case step == 18:
					p = pkt{at, c, s, wire.FIN | wire.ACK, 1201, 20002, 0, 0}
				default:
					p = pkt{at, s, c, wire.ACK, 20002, 1202, 0, 0}
				}
				ps = append(ps, p)
			}
		}
	}
	return capture(ps)
}

// BenchmarkAnalyze measures the whole path, reading to verdicts, per
// packet:
//
//	go test -run - -bench Analyze ./analyze
func BenchmarkAnalyze(b *testing.B) {
	file := benchCapture(5000)
	const pkts = 5000 * 20
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += pkts {
		r, err := wire.NewReader(bytes.NewReader(file))
		if err != nil {
			b.Fatal(err)
		}
		tr := NewTracker(Options{}, func(c *Conn) {})
		for {
			rec, err := r.Next()
			if err != nil {
				break
			}
			tr.Add(rec)
		}
		tr.Close()
	}
}

// TestContentGap checks that data acknowledged without being seen is a
// content gap (G) in the history, and that data seen out of order is not.
func TestContentGap(t *testing.T) {
	ps := append(append([]pkt{}, handshake...),
		pkt{3 * time.Millisecond, cli, srv, wire.ACK, 111, 501, 10, 0}, // 101-111 missing
		pkt{4 * time.Millisecond, cli, srv, wire.ACK, 101, 501, 10, 0}, // out of order: no gap
		pkt{5 * time.Millisecond, srv, cli, wire.ACK, 501, 121, 0, 0},  // acks what was seen
		pkt{6 * time.Millisecond, srv, cli, wire.ACK, 501, 141, 0, 0},  // acks 121-141, never seen
		pkt{7 * time.Millisecond, cli, srv, wire.FIN | wire.ACK, 141, 501, 0, 0},
		pkt{8 * time.Millisecond, srv, cli, wire.FIN | wire.ACK, 501, 142, 0, 0})
	conns := analyzeBytes(t, capture(ps), Options{})
	if len(conns) != 1 || conns[0].History() != "ShADTaGFf" {
		var h []string
		for _, c := range conns {
			h = append(h, c.History())
		}
		t.Errorf("histories %q, want ShADTaGFf", h)
	}
}

// TestCloneOutlivesReuse checks that a connection kept with Clone still
// says what it said in the done function after the Tracker has reused its
// memory for the connections after it, and that the memory is reused.
func TestCloneOutlivesReuse(t *testing.T) {
	// Connections 10 s apart, so that each has ended (and its memory is
	// free) before the next two start; some reset, some with data.
	var ps []pkt
	for i := range 40 {
		at := time.Duration(i) * 10 * time.Second
		c := fmt.Sprintf("198.18.1.%d:%d", i, 40000+i)
		for _, p := range handshake {
			p.at += at
			if p.src == cli {
				p.src, p.dst = c, srv
			} else {
				p.src, p.dst = srv, c
			}
			ps = append(ps, p)
		}
		if i%2 == 0 {
			ps = append(ps, pkt{at + 3*time.Millisecond, c, srv, wire.ACK | wire.PSH, 101, 501, i, 0})
		}
		end := uint32(101 + (i+1)%2*i)
		if i%3 == 0 {
			ps = append(ps, pkt{at + 4*time.Millisecond, srv, c, wire.RST | wire.ACK, 501, end, 0, 0})
		} else {
			ps = append(ps, pkt{at + 4*time.Millisecond, c, srv, wire.FIN | wire.ACK, end, 501, 0, 0},
				pkt{at + 5*time.Millisecond, srv, c, wire.FIN | wire.ACK, 501, end + 1, 0, 0})
		}
	}
	r, err := wire.NewReader(bytes.NewReader(capture(ps)))
	if err != nil {
		t.Fatal(err)
	}
	var kept []*Conn
	var said []string
	seen := map[*Conn]bool{}
	reused := 0
	line := func(c *Conn) string {
		var b bytes.Buffer
		WriteJSON(&b, c)
		return c.ConnState() + " " + c.History() + " " + b.String()
	}
	tr := NewTracker(Options{}, func(c *Conn) {
		if seen[c] {
			reused++
		}
		seen[c] = true
		kept = append(kept, c.Clone())
		said = append(said, line(c))
	})
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		tr.Add(rec)
	}
	tr.Close()
	if len(kept) != 40 || reused < 30 {
		t.Fatalf("%d connections, %d of them in reused memory; want 40, most reused", len(kept), reused)
	}
	for i, c := range kept {
		if got := line(c); got != said[i] {
			t.Fatalf("connection %d kept: %s\nin done: %s", i, got, said[i])
		}
	}
}
