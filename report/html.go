package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/teardown-net/teardown/explain"
	"github.com/teardown-net/teardown/lab"
	"github.com/teardown-net/teardown/report/ladder"
	"github.com/teardown-net/teardown/scenario"
)

// HTMLOptions say what an HTML report holds beyond the runs.
type HTMLOptions struct {
	// Kernel is the kernel the runs took place on.
	Kernel string
	// Limits lists what the lab could not observe.
	Limits []string
	// Explain, when set, is the knowledge base whose entry for each errno
	// the runs show is included in the file, each errno linked to it.
	Explain *explain.Base
}

// HTML writes recs as one self-contained HTML page: the matrix of
// scenarios by transports at the top, each cell linking to its run, then
// each run as a ladder diagram, then the explanation of each errno shown.
// It needs no script and nothing from the network; all text is escaped.
func HTML(w io.Writer, recs []*lab.Record, o HTMLOptions) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	p := &page{w: bw, o: o, ids: map[*lab.Record]string{}, used: map[string]bool{}, errnos: map[string]bool{}}
	for _, r := range recs {
		p.ids[r] = p.id(r)
	}
	p.head(recs)
	p.matrix(recs)
	for _, r := range recs {
		if err := p.run(r); err != nil {
			return err
		}
	}
	p.explain("The errors these runs show")
	p.f("</body>\n</html>\n")
	return bw.Flush()
}

type page struct {
	w    *bufio.Writer
	o    HTMLOptions
	ids  map[*lab.Record]string
	used map[string]bool
	// errnos are the errnos linked to their explanation so far.
	errnos map[string]bool
}

func (p *page) f(format string, args ...any) { fmt.Fprintf(p.w, format, args...) }

// e escapes text for the page.
func e(s string) string { return ladder.Escape(s) }

// id names a run's section: readable, and unique in the page.
func (p *page) id(r *lab.Record) string {
	var b strings.Builder
	b.WriteString("run-")
	for _, c := range r.Scenario + "-" + string(r.Transport) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	id := b.String()
	for n := 2; p.used[id]; n++ {
		id = fmt.Sprintf("%s-%d", b.String(), n)
	}
	p.used[id] = true
	return id
}

// pageCSS styles the page around the diagrams.
const pageCSS = `
body{margin:0 auto;max-width:1400px;padding:16px 24px;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans",sans-serif}
a{color:var(--fin)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0}h3{font-size:15px;margin:12px 0 4px}
.muted,.src{color:var(--muted)}
table.matrix{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
.matrix th,.matrix td{border:1px solid var(--life);padding:2px 8px;text-align:left}
.matrix td.none{color:var(--muted);text-align:center}
.v-match{color:var(--syn)}.v-differs{color:var(--differs);font-weight:bold}.v-skipped{color:var(--lost)}.v-unchecked{color:var(--muted)}
section.run{border-top:1px solid var(--life);padding:14px 0 6px}
section.run p{margin:2px 0}
.diagram{overflow-x:auto;margin-top:8px}
.err{color:var(--differs)}
section.explain article{border-top:1px solid var(--life);padding:4px 0}
.explain dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0}
.explain dt{color:var(--muted)}.explain dd{margin:0}
@media print{body{max-width:none;padding:0}section.run{break-inside:avoid-page}.diagram{overflow:visible}svg.ladder{max-width:100%;height:auto}a{color:inherit}}
`

func (p *page) head(recs []*lab.Record) {
	s := Summarize(recs)
	title := fmt.Sprintf("teardown lab: %d runs", s.Runs)
	if s.Runs == 1 {
		title = "teardown lab: 1 run"
	}
	p.f("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<meta name=\"color-scheme\" content=\"light dark\"/>\n<title>%s</title>\n<style>%s%s</style>\n</head>\n<body>\n", e(title), ladder.CSS, pageCSS)
	p.f("<header><h1>%s</h1>\n<p>", e(title))
	if p.o.Kernel != "" {
		p.f("kernel %s · ", e(p.o.Kernel))
	}
	count := func(n int, what, class string) {
		if n == 0 {
			class = "muted"
		}
		p.f(`<span class="%s">%d %s</span>`, class, n, what)
	}
	count(s.Matched, "matched", "v-match")
	p.f(" · ")
	count(s.Differ, "differ", "v-differs")
	p.f(" · ")
	if s.Failed > 0 {
		count(s.Failed, "lab errors", "v-differs")
		p.f(" · ")
	}
	count(s.Skipped, "skipped", "v-skipped")
	if s.SeedDiffers > 0 {
		p.f(" · %d steps where this kernel differs from a seed", s.SeedDiffers)
	}
	p.f("</p>\n")
	for _, l := range p.o.Limits {
		p.f("<p class=\"muted\">note: %s</p>\n", e(l))
	}
	p.f("</header>\n")
}

// matrix writes scenarios by transports, each cell linking to its run.
func (p *page) matrix(recs []*lab.Record) {
	rows := matrixRows(recs)
	p.f("<table class=\"matrix\"><thead><tr><th>scenario</th>")
	for _, t := range scenario.Transports {
		p.f("<th>%s</th>", e(string(t)))
	}
	p.f("</tr></thead>\n<tbody>\n")
	for _, rw := range rows {
		p.f("<tr><th>%s</th>", e(rw.id))
		for _, t := range scenario.Transports {
			r, ok := rw.cells[t]
			if !ok {
				p.f(`<td class="none">·</td>`)
				continue
			}
			mark := ""
			for _, st := range r.Steps {
				if st.SeedDiffers {
					mark = "*"
				}
			}
			p.f(`<td><a class="v-%s" href="#%s">%s%s</a></td>`, e(string(r.Verdict)), e(p.ids[r]), e(string(r.Verdict)), mark)
		}
		p.f("</tr>\n")
	}
	p.f("</tbody></table>\n<p class=\"muted\">· not declared for that transport · * this kernel differs from a seed's claim</p>\n")
}

func (p *page) run(r *lab.Record) error {
	p.f("<section class=\"run\" id=\"%s\">\n<h2>%s on %s: <span class=\"v-%s\">%s</span></h2>\n", e(p.ids[r]), e(r.Scenario), e(string(r.Transport)), e(string(r.Verdict)), e(string(r.Verdict)))
	if r.Title != "" {
		p.f("<p>%s</p>\n", e(r.Title))
	}
	for _, src := range r.Sources {
		p.f("<p class=\"src\">source: %s</p>\n", e(strings.TrimSpace(src.Document+" "+src.Part)))
	}
	if r.Skip != "" {
		p.f("<p>skipped: %s</p>\n</section>\n", e(r.Skip))
		return nil
	}
	env := fmt.Sprintf("%s %s", r.Env.OS, r.Env.Kernel)
	var no []string
	if !r.Env.Isolated {
		no = append(no, "no namespace of its own")
	}
	if r.Transport.IsTCP() && !r.Env.Capture {
		no = append(no, "no capture")
	}
	if r.Transport.IsTCP() && !r.Env.Trace {
		no = append(no, "no kernel trace")
	}
	if len(no) > 0 {
		env += " (" + strings.Join(no, ", ") + ")"
	}
	p.f("<p class=\"muted\">%s · %s", e(strings.TrimSpace(env)), e(ladder.Duration(r.Duration)))
	if r.Pcap != "" {
		p.f(" · pcap %s", e(r.Pcap))
	}
	p.f("</p>\n")
	for _, l := range r.Limits {
		p.f("<p class=\"muted\">limit: %s</p>\n", e(l))
	}
	if r.Error != "" {
		p.f("<p class=\"err\">lab error: %s</p>\n", e(r.Error))
	}
	if len(r.Steps) > 0 {
		p.f("<div class=\"diagram\">")
		if err := Diagram(r, p.link).WriteSVG(p.w); err != nil {
			return err
		}
		p.f("</div>\n")
	}
	p.f("</section>\n")
	return nil
}

// link gives an errno's anchor in the page, when the page explains it.
func (p *page) link(errno string) string {
	if p.o.Explain == nil {
		return ""
	}
	if _, ok := p.o.Explain.Entry(errno); !ok {
		return ""
	}
	p.errnos[errno] = true
	return "#errno-" + errno
}

// explain writes the knowledge base's entry for each errno linked, under
// the heading head.
func (p *page) explain(head string) {
	if len(p.errnos) == 0 {
		return
	}
	ids := make([]string, 0, len(p.errnos))
	for id := range p.errnos {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	p.f("<section class=\"explain\"><h2>%s</h2>\n", e(head))
	for _, id := range ids {
		en, _ := p.o.Explain.Entry(id)
		p.f("<article id=\"errno-%s\"><h3>%s — %s</h3><dl>", e(id), e(en.ID), e(en.Title))
		item := func(k, v string) {
			if v != "" {
				p.f("<dt>%s</dt><dd>%s</dd>", e(k), e(v))
			}
		}
		item("means", en.Summary)
		item("wire", strings.Trim(en.Wire.Event+" — "+en.Wire.Detail, " —"))
		item("data", strings.Trim(en.DataLoss.May+" — "+en.DataLoss.Why, " —"))
		item("retry", en.Action.Retry)
		item("close", en.Action.Close)
		item("lab", strings.Join(en.Scenarios, ", "))
		item("see", strings.Join(en.Related, ", "))
		p.f("</dl></article>\n")
	}
	p.f("</section>\n")
}
