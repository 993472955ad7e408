package analyze

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/teardown-net/teardown/observe/wire"
)

var update = flag.Bool("update", false, "rewrite testdata files from what the code gives")

// parityDir holds Zeek's traces and the conn_state and history Zeek logged
// for them (see its README).
const parityDir = "../../shared/zeek-parity"

// analyzeFile runs the tracker over one capture and returns its
// connections in the order they ended.
func analyzeFile(t testing.TB, name string, opts Options) ([]*Conn, wire.Stats) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := wire.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	r.Checksums = opts.Checksums
	var conns []*Conn
	tr := NewTracker(opts, func(c *Conn) { conns = append(conns, c.Clone()) })
	// As teardown analyze reads.
	r.Each(func(rec *wire.Record) bool { tr.Add(rec); return true })
	tr.Close()
	return conns, r.Stats()
}

// TestZeekParity checks conn_state and history against Zeek's own results
// for every TCP connection of ../shared/zeek-parity, and where Zeek's
// baseline kept them, the payload bytes of each side, the duration (to the
// microsecond Zeek writes) and the start (to the microsecond the trace
// gives). Rows that differ today are listed, with what we give, in
// testdata/zeek-parity-differences.txt (go test -run ZeekParity -update
// rewrites it); the test fails when a row not listed there differs, or a
// listed one is fixed without the list being updated.
func TestZeekParity(t *testing.T) {
	exp, err := os.ReadFile(filepath.Join(parityDir, "expected.tsv"))
	if err != nil {
		t.Skipf("Zeek parity traces not found (%v): they live in the project's shared folder, ../shared/zeek-parity beside the repository", err)
	}
	src, err := os.ReadFile(filepath.Join(parityDir, "sources.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	flags, settings := map[string]string{}, map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(src)), "\n")[1:] {
		f := strings.Split(l, "\t")
		flags[f[0]], settings[f[0]] = f[4], f[5]
	}
	type row struct{ tuple, state, history, ts, origBytes, respBytes, duration string }
	rows := map[string][]row{}
	var traces []string
	total := 0
	for _, l := range strings.Split(strings.TrimSpace(string(exp)), "\n")[1:] {
		f := strings.Split(l, "\t")
		if _, ok := rows[f[0]]; !ok {
			traces = append(traces, f[0])
		}
		rows[f[0]] = append(rows[f[0]], row{tuple: f[2] + ":" + f[3] + " " + f[4] + ":" + f[5], state: f[6], history: f[7],
			ts: f[1], origBytes: f[8], respBytes: f[9], duration: f[11]})
		total++
	}
	var diffs []string
	pass, sized, sizedPass := 0, 0, 0
	for _, tr := range traces {
		opts := Options{Checksums: !strings.Contains(flags[tr], "-C")}
		if strings.Contains(flags[tr], "-b") {
			opts.ServerPort = bareServerPorts(settings[tr])
		}
		conns, _ := analyzeFile(t, filepath.Join(parityDir, "traces", tr), opts)
		got := map[string][]*Conn{}
		for _, c := range conns {
			k := c.Orig().Addr().String() + ":" + fmt.Sprint(c.Orig().Port()) + " " + c.Resp().Addr().String() + ":" + fmt.Sprint(c.Resp().Port())
			got[k] = append(got[k], c)
		}
		for _, r := range rows[tr] {
			var gs, gh string
			var c *Conn
			if l := got[r.tuple]; len(l) > 0 {
				c = l[0]
				gs, gh = c.ConnState(), c.History()
				got[r.tuple] = l[1:]
			} else {
				gs, gh = "(none)", "(none)"
			}
			same := (r.state == "-" || r.state == gs) && r.history == gh
			if same {
				pass++
			}
			var zs, os []string // the sizes and times that differ: Zeek's, ours
			if c != nil && (r.ts != "-" || r.origBytes != "-" || r.duration != "-") {
				sized++
				if o, rb := c.Bytes(); r.origBytes != "-" && (r.origBytes != strconv.FormatUint(o, 10) || r.respBytes != strconv.FormatUint(rb, 10)) {
					zs, os = append(zs, "bytes "+r.origBytes+"/"+r.respBytes), append(os, fmt.Sprintf("bytes %d/%d", o, rb))
				}
				if zd, err := strconv.ParseFloat(r.duration, 64); err == nil && math.Abs(zd-c.Duration().Seconds()) > 1.0000001e-6 {
					zs, os = append(zs, "duration "+r.duration), append(os, fmt.Sprintf("duration %.6f", c.Duration().Seconds()))
				}
				if us := c.Start().UnixMicro(); r.ts != "-" && r.ts != fmt.Sprintf("%d.%06d", us/1e6, us%1e6) {
					zs, os = append(zs, "ts "+r.ts), append(os, fmt.Sprintf("ts %d.%06d", us/1e6, us%1e6))
				}
				if len(zs) == 0 {
					sizedPass++
				}
			}
			if same && len(zs) == 0 {
				continue
			}
			d := fmt.Sprintf("%s\t%s\tzeek %s %s\tours %s %s", tr, r.tuple, r.state, r.history, gs, gh)
			if len(zs) > 0 {
				d += "\tzeek " + strings.Join(zs, " ") + "\tours " + strings.Join(os, " ")
			}
			diffs = append(diffs, d)
		}
	}
	t.Logf("Zeek parity: %d of %d connections match conn_state and history; %d of the %d with a start, payload bytes or a duration in Zeek's baseline match those", pass, total, sizedPass, sized)
	sort.Strings(diffs)
	known := filepath.Join("testdata", "zeek-parity-differences.txt")
	text := strings.Join(diffs, "\n") + "\n"
	if *update {
		if err := os.WriteFile(known, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, _ := os.ReadFile(known)
	if string(want) != text {
		t.Errorf("differences from Zeek changed (%d of %d match); go test -run ZeekParity -update rewrites %s. Now:\n%s", pass, total, known, text)
	}
}

// bareProtocolPorts are the TCP ports that Zeek's protocol scripts register
// their analyzers for (Analyzer::register_for_ports in
// scripts/base/protocols/*/main.zeek, as of a13de64fbb; POP3's is
// registered by its analyzer), which make up likely_server_ports in bare
// mode (-b), where only loaded scripts count.
var bareProtocolPorts = map[string][]uint16{
	"dce-rpc":    {135},
	"dnp3":       {20000},
	"dns":        {53},
	"finger":     {79},
	"ftp":        {21, 2811},
	"http":       {80, 81, 631, 1080, 3128, 8000, 8080, 8888},
	"imap":       {143},
	"irc":        {6666, 6667, 6668, 6669},
	"krb":        {88},
	"ldap":       {389, 3268},
	"modbus":     {502},
	"mqtt":       {1883},
	"mysql":      {1434, 3306},
	"pop3":       {110},
	"postgresql": {5432},
	"rdp":        {3389},
	"redis":      {6379},
	"smb":        {139, 445},
	"smtp":       {25, 587},
	"socks":      {1080},
	"ssh":        {22},
	"ssl":        {443, 465, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223},
	"syslog":     {514},
	"xmpp":       {5222, 5269},
}

// bareAlsoLoads are the other protocol scripts a protocol's scripts load
// (FTP's gridftp.zeek loads SSL's, WebSocket's main.zeek HTTP's).
var bareAlsoLoads = map[string][]string{
	"ftp":       {"ssl"},
	"websocket": {"http"},
}

var redefPorts = regexp.MustCompile(`likely_server_ports \+= \{([^}]*)\}`)

// bareServerPorts is likely_server_ports for a bare-mode run whose test
// loaded the scripts named in settings (sources.tsv's settings column).
func bareServerPorts(settings string) func(uint16) bool {
	m := map[uint16]bool{}
	// A test may add ports itself: redef likely_server_ports += { 524/tcp }.
	for _, g := range redefPorts.FindAllStringSubmatch(settings, -1) {
		for _, p := range strings.Split(g[1], ",") {
			if n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(p), "/tcp"), 10, 16); err == nil {
				m[uint16(n)] = true
			}
		}
	}
	for _, part := range strings.Split(settings, ";") {
		part = strings.TrimSpace(part)
		if proto, ok := strings.CutPrefix(part, "@load base/protocols/"); ok {
			// Any script of a protocol's directory loads its main.
			proto, _, _ = strings.Cut(proto, "/")
			for _, q := range append([]string{proto}, bareAlsoLoads[proto]...) {
				for _, p := range bareProtocolPorts[q] {
					m[p] = true
				}
			}
		}
	}
	return func(p uint16) bool { return m[p] }
}

// TestDefaultServerPortHasZeeks checks that the likely server ports of a
// run without -b, which loads every protocol script, are all in
// DefaultServerPort.
func TestDefaultServerPortHasZeeks(t *testing.T) {
	for proto, ports := range bareProtocolPorts {
		for _, p := range ports {
			if !DefaultServerPort(p) {
				t.Errorf("DefaultServerPort(%d) is false; Zeek's %s script registers it", p, proto)
			}
		}
	}
}

// TestBareServerPorts checks likely_server_ports for bare-mode settings.
func TestBareServerPorts(t *testing.T) {
	tests := []struct {
		settings string
		yes, no  []uint16
	}{
		{"-", nil, []uint16{80, 443, 22}},
		{"@load base/protocols/http", []uint16{80, 8080}, []uint16{443}},
		{"@load base/protocols/ldap/main; @load base/protocols/krb", []uint16{389, 3268, 88}, []uint16{80}},
		{"@load base/protocols/ftp/gridftp", []uint16{21, 2811, 443}, []uint16{80}},
		{"@load base/protocols/websocket", []uint16{80, 8080}, []uint16{22}},
		{"@load base/protocols/conn; redef likely_server_ports += { 524/tcp, 1234/tcp }", []uint16{524, 1234}, []uint16{80}},
	}
	for _, tt := range tests {
		f := bareServerPorts(tt.settings)
		for _, p := range tt.yes {
			if !f(p) {
				t.Errorf("%q: port %d not a server port", tt.settings, p)
			}
		}
		for _, p := range tt.no {
			if f(p) {
				t.Errorf("%q: port %d a server port", tt.settings, p)
			}
		}
	}
}
