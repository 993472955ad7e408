package lab_test

import (
	"context"
	"testing"

	"github.com/teardown-net/teardown/catalog"
	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/scenario"
)

// BenchmarkCatalog runs the whole built-in catalog on every transport, as
// "teardown lab verify" does; ns/op is the catalog's wall time.
func BenchmarkCatalog(b *testing.B) {
	scs, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	l, err := lab.New(lab.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	jobs := lab.Plan(scs, nil)
	b.ReportMetric(float64(len(jobs)), "runs/op")
	for b.Loop() {
		for _, r := range l.Run(context.Background(), jobs) {
			if r.Verdict != lab.Match {
				b.Fatalf("%s on %s: %s", r.Scenario, r.Transport, r.Verdict)
			}
		}
	}
}

// BenchmarkRun is one short TCP run: namespace, capture, setup, three
// steps with their settling, the trace.
func BenchmarkRun(b *testing.B) {
	sc, err := catalog.Get("close-unread/read")
	if err != nil {
		b.Fatal(err)
	}
	l, err := lab.New(lab.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	jobs := []lab.Job{{Scenario: sc, Transport: scenario.TCP4}}
	for b.Loop() {
		l.Run(context.Background(), jobs)
	}
}
