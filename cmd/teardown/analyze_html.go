package main

import (
	"io"
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
		p.drawn = append(p.drawn, c.Clone())
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

// stopReader ends a read, even one blocked on a live capture's pipe, when
// its context is done: the read itself goes on in a goroutine that the
// exiting process leaves behind. Reads come in the wire reader's buffer
// size, so the goroutine per read costs little.
type stopReader struct {
	r    io.Reader
	done <-chan struct{}
	// buf is reused while no read is left running.
	buf []byte
}

type readResult struct {
	n   int
	err error
}

func (s *stopReader) Read(p []byte) (int, error) {
	select {
	case <-s.done:
		return 0, io.EOF
	default:
	}
	if len(s.buf) < len(p) {
		s.buf = make([]byte, len(p))
	}
	buf := s.buf[:len(p)]
	ch := make(chan readResult, 1)
	go func() {
		n, err := s.r.Read(buf)
		ch <- readResult{n, err}
	}()
	select {
	case res := <-ch:
		copy(p, buf[:res.n])
		return res.n, res.err
	case <-s.done:
		s.buf = nil // the read goes on into it
		return 0, io.EOF
	}
}
