package explain

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/teardown-net/teardown/explain/internal/mo"
)

func load(t testing.TB) *Base {
	t.Helper()
	b, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return b
}

// The entries the knowledge base must hold, at least.
var required = []string{"EOF", "EPIPE", "ECONNRESET", "ECONNABORTED", "ECONNREFUSED", "ETIMEDOUT",
	"EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN", "ENOTCONN", "ESHUTDOWN", "EAGAIN", "EINTR",
	"EINPROGRESS", "EALREADY", "EISCONN", "EADDRINUSE", "EADDRNOTAVAIL", "EBADF", "EMFILE", "ENFILE",
	"ENOBUFS", "USE_OF_CLOSED", "DEADLINE", "TLS_NO_CLOSE_NOTIFY"}

func TestRequiredEntries(t *testing.T) {
	b := load(t)
	for _, id := range required {
		if _, ok := b.Entry(id); !ok {
			t.Errorf("entry %s is missing", id)
		}
	}
	if e, _ := b.Entry("EPIPE"); e != nil && !contains(e.Names["any"], "SIGPIPE") {
		t.Errorf("EPIPE does not name SIGPIPE")
	}
	if e, _ := b.Entry("EAGAIN"); e != nil && !contains(e.Names[Linux], "EWOULDBLOCK") {
		t.Errorf("EAGAIN does not name EWOULDBLOCK")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestValidateRejects feeds parse broken documents: the schema checks must
// catch each.
func TestValidateRejects(t *testing.T) {
	good := `{"id":"X","title":"t","kind":"reset","summary":"s","wire":{"event":"RST","detail":"d"},
		"data_loss":{"may":"yes","why":"w"},"action":{"retry":"r","close":"c"},
		"texts":[{"by":"go","text":"x","source":"s"}]`
	l10n := []byte(`{"messages":{}}`)
	if _, err := parse([]byte(`{"entries":[`+good+`}]}`), l10n); err != nil {
		t.Fatalf("valid document rejected: %v", err)
	}
	for name, doc := range map[string]string{
		"duplicate id":   `{"entries":[` + good + `},` + good + `}]}`,
		"bad kind":       `{"entries":[` + strings.Replace(good, `"reset"`, `"resett"`, 1) + `}]}`,
		"bad wire":       `{"entries":[` + strings.Replace(good, `"RST"`, `"RSTX"`, 1) + `}]}`,
		"bad may":        `{"entries":[` + strings.Replace(good, `"yes"`, `"perhaps"`, 1) + `}]}`,
		"no source":      `{"entries":[` + strings.Replace(good, `"source":"s"`, `"source":""`, 1) + `}]}`,
		"bad producer":   `{"entries":[` + strings.Replace(good, `"by":"go"`, `"by":"cobol"`, 1) + `}]}`,
		"bad related":    `{"entries":[` + good + `,"related":["NOPE"]}]}`,
		"bad number":     `{"entries":[` + good + `,"numbers":{"plan9":3}}]}`,
		"not json":       `{"entries":[`,
		"empty text":     `{"entries":[` + strings.Replace(good, `"text":"x",`, ``, 1) + `}]}`,
		"missing action": `{"entries":[` + strings.Replace(good, `"retry":"r"`, `"retry":""`, 1) + `}]}`,
	} {
		if _, err := parse([]byte(doc), l10n); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// goErrnoTable reads the errno numbers and texts of one GOOS from Go's own
// syscall tables, so that the base is checked against the toolchain's
// numbering for systems other than the one the test runs on.
func goErrnoTable(t *testing.T, goos string) (map[string]int, map[int]string) {
	t.Helper()
	root, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("go env GOROOT: %v", err)
	}
	path := filepath.Join(strings.TrimSpace(string(root)), "src", "syscall", "zerrors_"+goos+"_amd64.go")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("Go source not available: %v", err)
	}
	nums := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^\s+(E[A-Z0-9]+)\s+= Errno\((0x[0-9a-f]+)\)`).FindAllStringSubmatch(string(src), -1) {
		n, _ := strconv.ParseInt(m[2], 0, 32)
		nums[m[1]] = int(n)
	}
	texts := map[int]string{}
	s := string(src)
	i := strings.Index(s, "var errors = ")
	if i < 0 {
		t.Fatalf("%s: no errors table", path)
	}
	s = s[i:]
	s = s[:strings.Index(s, "\n}\n")]
	for _, m := range regexp.MustCompile(`(?m)^\s+(\d+):\s+"([^"]*)"`).FindAllStringSubmatch(s, -1) {
		n, _ := strconv.Atoi(m[1])
		texts[n] = m[2]
	}
	return nums, texts
}

var (
	errnoName = regexp.MustCompile(`^E[A-Z0-9]+$`)
	wsaName   = regexp.MustCompile(`^WSAE[A-Z0-9]+$`)
)

// TestNumbersAndGoTexts checks every errno number and every Go text against
// Go's syscall tables for linux, darwin and freebsd.
func TestNumbersAndGoTexts(t *testing.T) {
	b := load(t)
	for _, goos := range []string{Linux, Darwin, FreeBSD} {
		nums, texts := goErrnoTable(t, goos)
		for _, e := range b.Entries {
			for _, name := range e.Names[goos] {
				if !errnoName.MatchString(name) {
					continue
				}
				want, ok := nums[name]
				if !ok {
					t.Errorf("%s: %s is not an errno on %s", e.ID, name, goos)
					continue
				}
				if got := e.Numbers[goos]; got != want {
					t.Errorf("%s: %s number %d, Go's syscall says %d", e.ID, goos, got, want)
				}
			}
			if n, ok := e.Numbers[goos]; ok && len(e.Names[goos]) == 0 {
				t.Errorf("%s: number %d on %s but no name", e.ID, n, goos)
			}
			for _, tx := range e.Texts {
				if tx.By != "go" || (tx.OS != "" && tx.OS != goos) || tx.OS == "" && len(e.Numbers) == 0 {
					continue
				}
				if got := texts[e.Numbers[goos]]; got != tx.Text {
					t.Errorf("%s: Go text %q, Go's %s table says %q", e.ID, tx.Text, goos, got)
				}
			}
		}
	}
}

// TestWindowsNumbers checks the Winsock numbers: each is WSABASEERR (10000)
// plus the BSD number, under a WSA name.
func TestWindowsNumbers(t *testing.T) {
	b := load(t)
	for _, e := range b.Entries {
		n, ok := e.Numbers[Windows]
		if !ok {
			continue
		}
		names := e.Names[Windows]
		if len(names) == 0 || !strings.HasPrefix(names[0], "WSAE") {
			t.Errorf("%s: windows number %d without a WSAE name: %v", e.ID, n, names)
			continue
		}
		if bsd := e.Numbers[FreeBSD]; n != 10000+bsd {
			t.Errorf("%s: %s is %d, want 10000+%d", e.ID, names[0], n, bsd)
		}
		if !contains(e.Names[FreeBSD], strings.TrimPrefix(names[0], "WSA")) {
			t.Errorf("%s: windows name %s does not match", e.ID, names[0])
		}
	}
}

// TestTextsCarryTheirNumbers checks texts that embed a number (Python's
// "[Errno 104]", Rust's "(os error 104)", nginx's "(104: ...)") against the
// entry's number for that OS.
func TestTextsCarryTheirNumbers(t *testing.T) {
	b := load(t)
	re := regexp.MustCompile(`\[Errno (\d+)\]|\(os error (\d+)\)|\[WinError (\d+)\]|^\w+\(\) failed \((\d+): |\((\d+): `)
	for _, e := range b.Entries {
		for _, tx := range e.Texts {
			m := re.FindStringSubmatch(tx.Text)
			if m == nil {
				continue
			}
			num := strings.Join(m[1:], "")
			os := tx.OS
			if strings.Contains(tx.Text, "WinError") {
				os = Windows
			}
			if os == "" {
				t.Errorf("%s: %s text %q has a number but no os", e.ID, tx.By, tx.Text)
				continue
			}
			if want := strconv.Itoa(e.Numbers[os]); num != want && e.ID != "DEADLINE" {
				t.Errorf("%s: %s text %q carries %s, entry says %s on %s", e.ID, tx.By, tx.Text, num, want, os)
			}
		}
	}
}

// TestL10nInSync checks that glibc-l10n.json was generated from the current
// errors.json: every English glibc text has its translations or is listed
// as untranslated in every locale.
func TestL10nInSync(t *testing.T) {
	var lf l10nFile
	b := load(t)
	raw, err := dataFS.ReadFile("data/glibc-l10n.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &lf); err != nil {
		t.Fatal(err)
	}
	if len(lf.Locales) < 7 {
		t.Errorf("locales %v, want at least zh_CN de fr es ja ru pt_BR", lf.Locales)
	}
	for _, e := range b.Entries {
		for _, tx := range e.Texts {
			if tx.By != "glibc" || tx.Lang != "" {
				continue
			}
			for _, loc := range lf.Locales {
				_, have := lf.Messages[tx.Text][loc]
				if !have && !contains(lf.Missing[tx.Text], loc) {
					t.Errorf("%s: %q has no %s translation recorded; run go generate ./explain/...", e.ID, tx.Text, loc)
				}
			}
		}
	}
}

// TestL10nMatchesCatalogs re-reads the installed libc.mo files, when there
// are any, and compares them with the generated data.
func TestL10nMatchesCatalogs(t *testing.T) {
	var lf l10nFile
	raw, _ := dataFS.ReadFile("data/glibc-l10n.json")
	if err := json.Unmarshal(raw, &lf); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, loc := range lf.Locales {
		data, err := os.ReadFile(filepath.Join("/usr/share/locale", loc, "LC_MESSAGES", "libc.mo"))
		if err != nil {
			continue
		}
		cat, err := mo.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", loc, err)
		}
		for id, tr := range lf.Messages {
			if got, ok := tr[loc]; ok && cat[id] != got {
				t.Errorf("%s %q: data says %q, libc.mo says %q", loc, id, got, cat[id])
			}
			checked++
		}
	}
	if checked == 0 {
		t.Skip("no libc.mo catalogs installed (apt-get install libc-l10n)")
	}
}
