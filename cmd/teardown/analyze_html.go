package main

import (
	"os"
	"path/filepath"
	"slices"

	"github.com/teardown-net/teardown/analyze"
	"github.com/teardown-net/teardown/explain"
	"github.com/teardown-net/teardown/observe/wire"
	"github.com/teardown-net/teardown/report"
)

// htmlPage gathers the connections analyze --html draws and writes the
// page beside its path, renaming it there only once it is whole.
type htmlPage struct {
	path  string
	f     *os.File
	all   bool
	max   int
	in    *interrupts
	conns int // connections in the capture
	chose int // connections chosen, drawn or not
	drawn []*analyze.Conn
}

// newHTMLPage makes the file the page is written to, before the capture
// is read, so that a bad path fails at once.
func newHTMLPage(path string, all bool, max int) (*htmlPage, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, err
	}
	return &htmlPage{path: path, f: f, all: all, max: max}, nil
}

// add takes a connection the table shows.
func (p *htmlPage) add(c *analyze.Conn) {
	if !p.all && !c.Verdict().Abnormal() {
		return
	}
	p.chose++
	if len(p.drawn) < p.max {
		p.drawn = append(p.drawn, c)
	}
}

func (p *htmlPage) interrupted() bool {
	select {
	case <-p.in.ctx.Done():
		return true
	default:
		return false
	}
}

// write writes the page and renames it to its path.
func (p *htmlPage) write(capture, chose string, st wire.Stats) error {
	base, err := explain.Load()
	if err != nil {
		return err
	}
	slices.SortStableFunc(p.drawn, func(a, b *analyze.Conn) int { return a.Start().Compare(b.Start()) })
	o := report.CaptureOptions{Capture: capture, Chose: chose, Conns: p.conns, Chosen: p.chose, Stats: st, Explain: base}
	if _, ok := p.in.exitStatus(); ok {
		o.Interrupted = true
	}
	if err := report.CaptureHTML(p.f, p.drawn, o); err != nil {
		return err
	}
	// CreateTemp makes the file 0600; a report is for anyone to read.
	if err := p.f.Chmod(0o644); err != nil {
		return err
	}
	if err := p.f.Close(); err != nil {
		return err
	}
	return os.Rename(p.f.Name(), p.path)
}

// discard removes the file unless write renamed it.
func (p *htmlPage) discard() {
	p.f.Close()
	os.Remove(p.f.Name())
}
