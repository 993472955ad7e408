package report

import (
	"context"
	"io"
	"testing"

	"github.com/teardown-net/teardown/catalog"
	"github.com/teardown-net/teardown/lab"
)

// countWriter counts what is written to it.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkHTMLCatalog writes the HTML of the whole built-in catalog, run
// once for real beforehand (the runs are not timed). docs/report.md shows
// how to run it and what it measured.
func BenchmarkHTMLCatalog(b *testing.B) {
	scs, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	l, err := lab.New(lab.Options{})
	if err != nil {
		b.Fatal(err)
	}
	recs := l.Run(context.Background(), lab.Plan(scs, nil))
	l.Close()
	kb := base(b)
	var size countWriter
	if err := HTML(&size, recs, HTMLOptions{Kernel: recs[0].Env.Kernel, Explain: kb}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := HTML(io.Discard, recs, HTMLOptions{Kernel: recs[0].Env.Kernel, Explain: kb}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(recs)), "runs")
	b.ReportMetric(float64(size.n)/1e6, "MB/page")
}
