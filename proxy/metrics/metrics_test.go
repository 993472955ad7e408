package metrics

import (
	"bytes"
	"math"
	"testing"
)

func TestWrite(t *testing.T) {
	var b bytes.Buffer
	err := Write(&b, []Family{
		{Name: "z_total", Help: "last\\one\nline", Type: Counter, Samples: []Sample{
			{Labels: []Label{{Name: "proxy", Value: "a\"b\\c\nd"}}, Value: 3},
			{Value: math.Inf(1)},
		}},
		{Name: "a_gauge", Help: "first", Type: Gauge},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `# HELP a_gauge first
# TYPE a_gauge gauge
# HELP z_total last\\one\nline
# TYPE z_total counter
z_total{proxy="a\"b\\c\nd"} 3
z_total +Inf
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
