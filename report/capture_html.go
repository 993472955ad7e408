package report

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/teardown-net/teardown/analyze"
	"github.com/teardown-net/teardown/explain"
	"github.com/teardown-net/teardown/observe/wire"
	"github.com/teardown-net/teardown/report/ladder"
)

// CaptureOptions say what a capture's HTML page tells besides its
// connections.
type CaptureOptions struct {
	// Capture names the file the connections were read from.
	Capture string
	// Chose says which connections were chosen, such as "abnormal
	// connections matching port 443".
	Chose string
	// Conns is the number of connections in the capture, Chosen the number
	// the choice kept: the page draws the connections it is given, and says
	// how many more were chosen.
	Conns, Chosen int
	// Stats are the capture reader's counts.
	Stats wire.Stats
	// Interrupted: a signal ended the reading before the capture's end.
	Interrupted bool
	// Explain, when set, is the knowledge base whose entry for each errno
	// the verdicts give is included in the file, each errno linked to it.
	Explain *explain.Base
}

// CaptureHTML writes analyzed connections of a capture as one
// self-contained HTML page: a table of the connections, each linking to
// its section, then for each its verdict, the evidence it rests on and its
// ladder diagram (ConnDiagram), then the explanation of each errno shown.
// Like HTML, it needs no script and nothing from the network, and all text
// is escaped. Its size is bounded by the connections given and the packets
// each kept.
func CaptureHTML(w io.Writer, conns []*analyze.Conn, o CaptureOptions) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	p := &page{w: bw, o: HTMLOptions{Explain: o.Explain}, errnos: map[string]bool{}}
	title := "teardown analyze: " + o.Capture
	p.f("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<meta name=\"color-scheme\" content=\"light dark\"/>\n<title>%s</title>\n<style>%s%s</style>\n</head>\n<body>\n", e(title), ladder.CSS, pageCSS)
	p.f("<header><h1>%s</h1>\n<p>%s in the capture; %d chosen (%s)", e(title), plural(o.Conns, "connection"), o.Chosen, e(o.Chose))
	if len(conns) < o.Chosen {
		p.f("; <span class=\"v-differs\">%d drawn, %d more chosen and not drawn</span>: the page is bounded to %d connections", len(conns), o.Chosen-len(conns), len(conns))
	}
	st := o.Stats
	p.f("</p>\n<p class=\"muted\">%s</p>\n", e(st.RecordLine()))
	if l := st.FragmentLine(); l != "" {
		p.f("<p class=\"muted\">%s</p>\n", e(l))
	}
	if o.Interrupted {
		p.f("<p class=\"err\">interrupted: a signal ended the reading after record %d; the connections still open then are drawn as they were</p>\n", st.Records)
	}
	if st.Broken != nil {
		p.f("<p class=\"err\">the file is damaged: %s; reading stopped there</p>\n", e(st.Broken.Error()))
	}
	p.f("</header>\n")
	ids := make([]string, len(conns))
	for i := range conns {
		ids[i] = fmt.Sprintf("conn-%d", i+1)
	}
	if len(conns) > 0 {
		p.connTable(conns, ids)
	}
	for i, c := range conns {
		if err := p.conn(c, ids[i]); err != nil {
			return err
		}
	}
	p.explain("The errors these connections show")
	p.f("</body>\n</html>\n")
	return bw.Flush()
}

// verdictClass colours how a connection ended.
func verdictClass(v analyze.Verdict) string {
	switch {
	case v.Abnormal():
		return "v-differs"
	case v.How == analyze.HowOpen:
		return "v-unchecked"
	}
	return "v-match"
}

// connTable lists the connections, each linking to its section.
func (p *page) connTable(conns []*analyze.Conn, ids []string) {
	p.f("<table class=\"matrix\"><thead><tr><th>start (UTC)</th><th>originator</th><th>responder</th><th>state</th><th>history</th><th>ended</th><th>by</th><th>errno orig/resp</th><th>cause</th></tr></thead>\n<tbody>\n")
	for i, c := range conns {
		v := c.Verdict()
		p.f("<tr><td><a href=\"#%s\">%s</a></td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class=\"%s\">%s</td><td>%s</td><td>%s/%s</td><td>%s</td></tr>\n",
			ids[i], c.Start().UTC().Format("15:04:05.000000"), e(c.Orig().String()), e(c.Resp().String()), e(c.ConnState()), e(c.History()),
			verdictClass(v), e(v.How), e(v.By), e(v.OrigErrno), e(v.RespErrno), e(v.Cause.ID))
	}
	p.f("</tbody></table>\n")
}

// errnoLink writes an errno, linked to its explanation when the page has
// one.
func (p *page) errnoLink(errno string) {
	if href := p.link(errno); href != "" {
		p.f("<a class=\"errno\" href=\"%s\">%s</a>", e(href), e(errno))
		return
	}
	p.f("%s", e(errno))
}

func (p *page) conn(c *analyze.Conn, id string) error {
	v := c.Verdict()
	p.f("<section class=\"run conn\" id=\"%s\" data-orig=\"%s\" data-resp=\"%s\" data-how=\"%s\" data-cause=\"%s\">\n", id, e(c.Orig().String()), e(c.Resp().String()), e(v.How), e(v.Cause.ID))
	p.f("<h2>%s → %s: <span class=\"%s\">%s", e(c.Orig().String()), e(c.Resp().String()), verdictClass(v), e(v.How))
	if v.By != analyze.ByNone {
		p.f(" by the %s", e(v.By))
	}
	p.f("</span></h2>\n")
	p.f("<p class=\"verdict\">%s <span class=\"muted\">(cause %s, confidence %s)</span></p>\n", e(v.Cause.Text), e(v.Cause.ID), e(v.Cause.Confidence))
	if len(v.Cause.Evidence) > 0 {
		p.f("<ul class=\"evidence\">")
		for _, ev := range v.Cause.Evidence {
			p.f("<li>%s</li>", e(ev))
		}
		p.f("</ul>\n")
	}
	p.f("<p>errno most likely seen: originator ")
	p.errnoLink(v.OrigErrno)
	p.f(" · responder ")
	p.errnoLink(v.RespErrno)
	if v.Cause.Scenario != "" {
		p.f(" · reproduce it: <code>teardown lab run %s</code>", e(v.Cause.Scenario))
	}
	p.f("</p>\n")
	ob, rb := c.Bytes()
	p.f("<p class=\"muted\">Zeek conn_state %s, history %s · started %s UTC · %s · %d packets · %d/%d payload bytes · idle %s before the end</p>\n",
		e(c.ConnState()), e(c.History()), c.Start().UTC().Format(time.DateTime+".000000"), e(ladder.Duration(c.Duration())), c.Packets(), ob, rb, e(ladder.Duration(v.Idle)))
	k := c.Kept()
	if k.Omitted > 0 {
		p.f("<p class=\"muted\">%d of its %d packets drawn: the first %d and the last %d</p>\n", len(k.Segments), len(k.Segments)+k.Omitted, k.Cut, len(k.Segments)-k.Cut)
	}
	if len(k.Segments) > 0 {
		p.f("<div class=\"diagram\">")
		if err := ConnDiagram(c, p.link).WriteSVG(p.w); err != nil {
			return err
		}
		p.f("</div>\n")
	}
	p.f("</section>\n")
	return nil
}

// plural writes n things.
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
