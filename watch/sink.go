package watch

import (
	"bufio"
	"io"
)

// Output writes records as text lines or JSON lines through a buffer, and
// counts them in Metrics if set. It is a Sink.
type Output struct {
	w       *bufio.Writer
	buf     []byte
	json    bool
	quiet   bool
	metrics *Metrics
}

// NewOutput returns a Sink writing to w: JSON lines if asJSON, text lines
// otherwise, nothing if quiet; m, if not nil, counts every record.
func NewOutput(w io.Writer, asJSON, quiet bool, m *Metrics) *Output {
	b := bufio.NewWriterSize(w, 64<<10)
	return &Output{w: b, json: asJSON, quiet: quiet, metrics: m}
}

// Emit counts and writes one record.
func (o *Output) Emit(r *Record) error {
	if o.metrics != nil {
		o.metrics.Count(r)
	}
	if o.quiet {
		return nil
	}
	if o.json {
		o.buf = append(r.AppendJSON(o.buf[:0]), '\n')
		_, err := o.w.Write(o.buf)
		return err
	}
	if _, err := o.w.WriteString(r.Text()); err != nil {
		return err
	}
	return o.w.WriteByte('\n')
}

// Flush writes out what is buffered.
func (o *Output) Flush() error { return o.w.Flush() }
