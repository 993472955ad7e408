package proxy

import (
	"sort"

	"github.com/teardown-net/teardown/proxy/link"
	"github.com/teardown-net/teardown/proxy/metrics"
	"github.com/teardown-net/teardown/proxy/toxic"
)

// Metrics returns the server's metric families: Toxiproxy's byte counters,
// with its names and labels, and teardown's connection counters.
func (s *Server) Metrics() []metrics.Family {
	recv := metrics.Family{Name: "toxiproxy_proxy_received_bytes_total", Type: metrics.Counter,
		Help: "Bytes the proxy read from the sender, by direction (upstream: from the client)."}
	sent := metrics.Family{Name: "toxiproxy_proxy_sent_bytes_total", Type: metrics.Counter,
		Help: "Bytes the proxy wrote to the receiver, by direction (upstream: to the server)."}
	spliced := metrics.Family{Name: "teardown_proxy_spliced_bytes_total", Type: metrics.Counter,
		Help: "Bytes of toxiproxy_proxy_sent_bytes_total that took the zero-copy path (no toxic on their direction)."}
	accepted := metrics.Family{Name: "teardown_proxy_connections_total", Type: metrics.Counter,
		Help: "Connections the proxy accepted."}
	acceptErrors := metrics.Family{Name: "teardown_proxy_accept_errors_total", Type: metrics.Counter,
		Help: "Accepts that failed (too many open files, say); the proxy backs off and accepts again."}
	active := metrics.Family{Name: "teardown_proxy_connections_active", Type: metrics.Gauge,
		Help: "Connections open through the proxy now."}
	ended := metrics.Family{Name: "teardown_proxy_connections_closed_total", Type: metrics.Counter,
		Help: "Connections ended, by the side that ended them first (client, upstream, proxy) and how (fin, rst, timeout, error)."}
	for _, p := range s.list() {
		info := p.Info()
		for _, d := range toxic.Directions {
			labels := []metrics.Label{{Name: "direction", Value: d.String()}, {Name: "proxy", Value: info.Name},
				{Name: "listener", Value: info.Listen}, {Name: "upstream", Value: info.Upstream}}
			recv.Samples = append(recv.Samples, metrics.Sample{Labels: labels, Value: float64(p.counters.Received[d].Load())})
			sent.Samples = append(sent.Samples, metrics.Sample{Labels: labels, Value: float64(p.counters.Sent[d].Load())})
			spliced.Samples = append(spliced.Samples, metrics.Sample{Labels: labels[:2], Value: float64(p.counters.Spliced[d].Load())})
		}
		proxyLabel := []metrics.Label{{Name: "proxy", Value: info.Name}}
		p.stats.mu.Lock()
		accepted.Samples = append(accepted.Samples, metrics.Sample{Labels: proxyLabel, Value: float64(p.stats.accepted)})
		acceptErrors.Samples = append(acceptErrors.Samples, metrics.Sample{Labels: proxyLabel, Value: float64(p.stats.acceptErrors)})
		active.Samples = append(active.Samples, metrics.Sample{Labels: proxyLabel, Value: float64(p.stats.active)})
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
			ended.Samples = append(ended.Samples, metrics.Sample{
				Labels: []metrics.Label{{Name: "proxy", Value: info.Name}, {Name: "by", Value: e.By.String()}, {Name: "how", Value: e.How.String()}},
				Value:  float64(p.stats.ends[e])})
		}
		p.stats.mu.Unlock()
	}
	return []metrics.Family{recv, sent, spliced, accepted, acceptErrors, active, ended}
}
