// Package explain is teardown's knowledge base of the errors a connection can
// end with, and the matcher that finds them in whatever a user pastes: an
// errno name, a number, a message in any of the languages the base knows, a
// whole log line or stack trace.
//
// The knowledge is data, embedded from data/*.json and documented in
// docs/explain-data.md: for each error its numbers on Linux, macOS, FreeBSD
// and Windows, the exact texts that C libraries, language runtimes, tools and
// servers print for it (each with its source), what happened on the wire,
// whether data may have been lost, and what to do.
//
// Match and Explain answer for one input, best answer first, and say when
// two answers are equally likely (Tied). Lines reads a whole log as a
// stream, one answer per line that holds an error, and sums it up: counts,
// the causes the lines point to (the keep-alive race, a server down), and
// the lab scenarios that reproduce them.
package explain

//go:generate go run ./gen/l10n -data data

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/teardown-net/teardown/sockerr"
)

//go:embed data/errors.json data/glibc-l10n.json
var dataFS embed.FS

// The operating systems whose numbering the base records.
const (
	Linux   = "linux"
	Darwin  = "darwin"
	FreeBSD = "freebsd"
	Windows = "windows"
)

// OSes lists the operating systems in the order explain shows them.
var OSes = []string{Linux, Darwin, FreeBSD, Windows}

// An Entry is one error a connection can end with.
type Entry struct {
	// ID names the entry: the errno name for errno errors (ECONNRESET),
	// an upper-case name otherwise (EOF, DEADLINE).
	ID string `json:"id"`
	// Title is a few words for humans ("Connection reset by peer").
	Title string `json:"title"`
	// Kind is the sockerr kind of the error, as sockerr.Kind.String spells it.
	Kind string `json:"kind"`
	// Names are the symbolic names on each OS: errno names, WSA names,
	// signals, Go identifiers. A name is matched as a whole word.
	Names map[string][]string `json:"names,omitempty"`
	// Numbers is the errno (or WSA error) number on each OS that has one.
	Numbers map[string]int `json:"numbers,omitempty"`
	// Summary is one line saying what the error means.
	Summary string `json:"summary"`
	// Wire says what happened on the wire and whose action led to it.
	Wire Wire `json:"wire"`
	// DataLoss says whether data may have been lost, and why.
	DataLoss DataLoss `json:"data_loss"`
	// Action says what to do.
	Action Action `json:"action"`
	// Related are ids of entries often confused with this one.
	Related []string `json:"related,omitempty"`
	// Scenarios are ids of lab scenarios that reproduce the error.
	Scenarios []string `json:"scenarios,omitempty"`
	// Texts are what programs print for the error.
	Texts []Text `json:"texts,omitempty"`
}

// Wire describes the packets (or their absence) behind an error.
type Wire struct {
	// Event is one of FIN, RST, ICMP, silence, local: what arrived, or that
	// nothing did, or that the error came from this host alone.
	Event string `json:"event"`
	// Detail says whose action led to it.
	Detail string `json:"detail"`
}

// DataLoss says whether bytes may have been lost.
type DataLoss struct {
	// May is "yes", "no" or "maybe".
	May string `json:"may"`
	Why string `json:"why"`
}

// Action says what a program should do about the error.
type Action struct {
	// Retry says whether and when to retry.
	Retry string `json:"retry"`
	// Close says how to close the connection.
	Close string `json:"close"`
}

// A Text is what one program, library or locale prints for an error.
type Text struct {
	// By names who prints it, one of Producers.
	By string `json:"by"`
	// OS is set when the text is particular to one OS.
	OS string `json:"os,omitempty"`
	// Lang is the locale of a translation (glibc only); empty for English.
	Lang string `json:"lang,omitempty"`
	// Text is the message, exactly as printed, or the part of it that does
	// not vary. Empty when only Class or Code identify the error.
	Text string `json:"text,omitempty"`
	// Class is an exception class, error kind or symbolic code (Java and
	// Python classes, Rust io::ErrorKind, CURLE_ and gRPC names).
	Class string `json:"class,omitempty"`
	// Code is a numeric or short code the program prints (curl exit code,
	// MySQL error number, HAProxy termination state, Envoy response flag).
	Code string `json:"code,omitempty"`
	// NoMatch marks a text too generic to be evidence by itself; it is
	// shown but never matched.
	NoMatch bool `json:"no_match,omitempty"`
	// Wrapper marks a text that reports that a connection failed without
	// saying how ("MySQL server has gone away", curl's "Failure when
	// receiving data from the peer"): when the same input names a more
	// specific cause, that cause ranks first.
	Wrapper bool `json:"wrapper,omitempty"`
	// Cause is the id of a Cause the text is a symptom of, when it is
	// one of a cause's tell-tale texts.
	Cause string `json:"cause,omitempty"`
	// Source says where the text was taken from, so a reader can check it.
	Source string `json:"source"`
	// Note adds what a reader needs to know about when the text appears.
	Note string `json:"note,omitempty"`
}

// A Cause is a reason behind errors that a whole log can point to and a
// single line cannot: the keep-alive race shows as resets, EOFs and broken
// pipes on reused connections, in bursts.
type Cause struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Why says what happened and what to do.
	Why string `json:"why"`
	// Entries are the ids whose lines count for the cause when they also
	// hold one of Words, or, when Words is empty, always.
	Entries []string `json:"entries"`
	// Words are texts (matched case-insensitively) that tie a line of
	// one of Entries to the cause: "reused", "idle".
	Words []string `json:"words"`
	// Scenarios are lab scenarios that reproduce the cause.
	Scenarios []string `json:"scenarios"`
}

// A Base is the loaded knowledge base.
type Base struct {
	Entries []*Entry
	// Causes are what a log's errors taken together may point to.
	Causes []*Cause
	byID   map[string]*Entry
	// Untranslated lists, for each glibc English text, the locales whose
	// catalog leaves it untranslated.
	Untranslated map[string][]string
	// L10nSource says where the glibc translations came from.
	L10nSource string
	index      *index
}

type baseFile struct {
	Comment string   `json:"comment"`
	Causes  []*Cause `json:"causes"`
	Entries []*Entry `json:"entries"`
}

type l10nFile struct {
	Source   string                       `json:"source"`
	Locales  []string                     `json:"locales"`
	Messages map[string]map[string]string `json:"messages"`
	Missing  map[string][]string          `json:"missing"`
}

var (
	loadOnce sync.Once
	loaded   *Base
	loadErr  error
)

// Load returns the embedded knowledge base. It is parsed and validated once;
// an error means the embedded data is broken, which the package tests catch.
func Load() (*Base, error) {
	loadOnce.Do(func() {
		eb, err := dataFS.ReadFile("data/errors.json")
		if err != nil {
			loadErr = err
			return
		}
		lb, err := dataFS.ReadFile("data/glibc-l10n.json")
		if err != nil {
			loadErr = err
			return
		}
		loaded, loadErr = parse(eb, lb)
	})
	return loaded, loadErr
}

func parse(entries, l10n []byte) (*Base, error) {
	var bf baseFile
	if err := json.Unmarshal(entries, &bf); err != nil {
		return nil, fmt.Errorf("parse errors.json: %w", err)
	}
	var lf l10nFile
	if err := json.Unmarshal(l10n, &lf); err != nil {
		return nil, fmt.Errorf("parse glibc-l10n.json: %w", err)
	}
	b := &Base{
		Entries:      bf.Entries,
		Causes:       bf.Causes,
		byID:         map[string]*Entry{},
		Untranslated: lf.Missing,
		L10nSource:   lf.Source,
	}
	for _, e := range b.Entries {
		if _, dup := b.byID[e.ID]; dup {
			return nil, fmt.Errorf("errors.json: entry %q appears twice", e.ID)
		}
		b.byID[e.ID] = e
		// Translations follow the English glibc text they translate.
		var out []Text
		for _, t := range e.Texts {
			out = append(out, t)
			if t.By != "glibc" || t.Lang != "" {
				continue
			}
			tr := lf.Messages[t.Text]
			langs := make([]string, 0, len(tr))
			for l := range tr {
				langs = append(langs, l)
			}
			sort.Strings(langs)
			for _, l := range langs {
				out = append(out, Text{By: "glibc", Lang: l, Text: tr[l], Source: lf.Source + " (msgid " + fmt.Sprintf("%q", t.Text) + ")"})
			}
		}
		e.Texts = out
	}
	if err := b.validate(); err != nil {
		return nil, err
	}
	b.index = buildIndex(b)
	return b, nil
}

// Entry returns the entry with the given id.
func (b *Base) Entry(id string) (*Entry, bool) {
	e, ok := b.byID[id]
	return e, ok
}

// Kinds lists the sockerr kind names an entry may carry, as sockerr spells
// them, in sockerr's order: sockerr is the one source of the list.
var Kinds = kindNames()

func kindNames() []string {
	var out []string
	for _, k := range sockerr.Kinds() {
		out = append(out, k.String())
	}
	return out
}

// Producers lists who may print a text: C libraries and operating
// systems, language runtimes and their libraries, tools and servers.
var Producers = []string{
	"glibc", "musl", "macos", "freebsd", "windows", "dotnet",
	"go", "python", "aiohttp", "java", "okhttp", "reactor-netty", "node", "undici", "axios",
	"rust", "hyper", "ruby", "erlang", "curl", "git", "gnutls", "openssl", "ssh",
	"nginx", "apache", "haproxy", "envoy", "postgresql", "mysql", "redis", "grpc",
	"chrome", "httpclient", "kafka", "mongodb", "cloudflare",
	"foundation", "firefox", "rabbitmq", "nats", "kubectl", "docker", "quic-go",
	"websockets", "asyncpg", "pymemcache", "amqplib", "nodemailer", "rsync", "ftp", "telnet",
	"yamux", "varnish", "dart", "rustls", "cassandra", "iis", "mbedtls", "openvpn", "strongswan",
	"zookeeper", "qt", "mosquitto", "cocoaasyncsocket", "ffmpeg", "undertow", "vertx", "gunicorn",
	"uwsgi", "symfony", "pgbouncer", "neo4j", "oracle", "sqlserver", "ibmmq", "ldap", "kerberos",
	"xrdp", "twisted", "tornado", "ray", "prisma",
}

var (
	wireEvents = map[string]bool{"FIN": true, "RST": true, "ICMP": true, "silence": true, "local": true}
	mayValues  = map[string]bool{"yes": true, "no": true, "maybe": true}
)

// validate checks what the schema in docs/explain-data.md requires.
func (b *Base) validate() error {
	kinds := map[string]bool{}
	for _, k := range Kinds {
		kinds[k] = true
	}
	producers := map[string]bool{}
	for _, p := range Producers {
		producers[p] = true
	}
	causes := map[string]bool{}
	for _, c := range b.Causes {
		if c.ID == "" || c.Title == "" || c.Why == "" || len(c.Entries) == 0 || causes[c.ID] {
			return fmt.Errorf("errors.json: cause %q: want a unique id, a title, a why and entries", c.ID)
		}
		causes[c.ID] = true
		for _, id := range c.Entries {
			if _, ok := b.byID[id]; !ok {
				return fmt.Errorf("errors.json: cause %q: entry %q does not exist", c.ID, id)
			}
		}
	}
	for _, e := range b.Entries {
		bad := func(format string, a ...any) error {
			return fmt.Errorf("errors.json: entry %q: %s", e.ID, fmt.Sprintf(format, a...))
		}
		switch {
		case e.ID == "":
			return fmt.Errorf("errors.json: an entry has no id")
		case e.Title == "" || e.Summary == "":
			return bad("title and summary are required")
		case !kinds[e.Kind]:
			return bad("kind %q is not one of %v", e.Kind, Kinds)
		case !wireEvents[e.Wire.Event] || e.Wire.Detail == "":
			return bad("wire.event %q must be FIN, RST, ICMP, silence or local, with a detail", e.Wire.Event)
		case !mayValues[e.DataLoss.May] || e.DataLoss.Why == "":
			return bad("data_loss.may %q must be yes, no or maybe, with a why", e.DataLoss.May)
		case e.Action.Retry == "" || e.Action.Close == "":
			return bad("action.retry and action.close are required")
		case len(e.Texts) == 0:
			return bad("no texts")
		}
		for os, n := range e.Numbers {
			if !validOS(os) || n <= 0 {
				return bad("number %s=%d: want a known OS and a positive number", os, n)
			}
		}
		for os := range e.Names {
			if !validOS(os) && os != "any" {
				return bad("names for unknown OS %q", os)
			}
		}
		for _, r := range e.Related {
			if _, ok := b.byID[r]; !ok || r == e.ID {
				return bad("related entry %q does not exist", r)
			}
		}
		for i, t := range e.Texts {
			switch {
			case !producers[t.By]:
				return bad("text %d: unknown producer %q", i, t.By)
			case t.Source == "":
				return bad("text %d (%s %q): no source", i, t.By, t.Text)
			case t.Text == "" && t.Class == "" && t.Code == "":
				return bad("text %d (%s): neither text, class nor code", i, t.By)
			case t.OS != "" && !validOS(t.OS):
				return bad("text %d: unknown OS %q", i, t.OS)
			case t.Cause != "" && !causes[t.Cause]:
				return bad("text %d: unknown cause %q", i, t.Cause)
			}
		}
	}
	return nil
}

func validOS(os string) bool {
	for _, o := range OSes {
		if o == os {
			return true
		}
	}
	return false
}
