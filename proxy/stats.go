package proxy

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/teardown-net/teardown/proxy/link"
	"github.com/teardown-net/teardown/proxy/toxic"
)

// The metrics of the proxies: Toxiproxy's byte counters, with its names and
// labels, and teardown's own.
var (
	descReceived = prometheus.NewDesc("toxiproxy_proxy_received_bytes_total",
		"Bytes the proxy read from the sender, by direction (upstream: from the client).",
		[]string{"direction", "listener", "proxy", "upstream"}, nil)
	descSent = prometheus.NewDesc("toxiproxy_proxy_sent_bytes_total",
		"Bytes the proxy wrote to the receiver, by direction (upstream: to the server).",
		[]string{"direction", "listener", "proxy", "upstream"}, nil)
	descSpliced = prometheus.NewDesc("teardown_proxy_spliced_bytes_total",
		"Bytes of toxiproxy_proxy_sent_bytes_total that took the zero-copy path (no toxic on their direction).",
		[]string{"direction", "proxy"}, nil)
	descAccepted = prometheus.NewDesc("teardown_proxy_connections_total",
		"Connections the proxy accepted.", []string{"proxy"}, nil)
	descAcceptErrors = prometheus.NewDesc("teardown_proxy_accept_errors_total",
		"Accepts that failed (too many open files, say); the proxy backs off and accepts again.",
		[]string{"proxy"}, nil)
	descActive = prometheus.NewDesc("teardown_proxy_connections_active",
		"Connections open through the proxy now.", []string{"proxy"}, nil)
	descEnded = prometheus.NewDesc("teardown_proxy_connections_closed_total",
		"Connections ended, by the side that ended them first (client, upstream, proxy) and how (fin, rst, timeout, error).",
		[]string{"by", "how", "proxy"}, nil)
)

// Describe implements prometheus.Collector: a Server is the collector of
// its proxies' metrics, for a registry of the caller's own.
func (s *Server) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descReceived, descSent, descSpliced, descAccepted, descAcceptErrors, descActive, descEnded} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (s *Server) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for _, p := range s.list() {
		info := p.Info()
		for _, d := range toxic.Directions {
			counter(descReceived, p.counters.Received[d].Load(), d.String(), info.Listen, info.Name, info.Upstream)
			counter(descSent, p.counters.Sent[d].Load(), d.String(), info.Listen, info.Name, info.Upstream)
			counter(descSpliced, p.counters.Spliced[d].Load(), d.String(), info.Name)
		}
		p.stats.mu.Lock()
		counter(descAccepted, p.stats.accepted, info.Name)
		counter(descAcceptErrors, p.stats.acceptErrors, info.Name)
		ch <- prometheus.MustNewConstMetric(descActive, prometheus.GaugeValue, float64(p.stats.active), info.Name)
		ends := make([]link.End, 0, len(p.stats.ends))
		for e := range p.stats.ends {
			ends = append(ends, e)
		}
		sort.Slice(ends, func(i, j int) bool {
			if ends[i].By != ends[j].By {
				return ends[i].By < ends[j].By
			}
			return ends[i].How < ends[j].How
		})
		for _, e := range ends {
			counter(descEnded, p.stats.ends[e], e.By.String(), e.How.String(), info.Name)
		}
		p.stats.mu.Unlock()
	}
}
