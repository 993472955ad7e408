package watch

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts records for Prometheus. Labels are few-valued on purpose:
// reason, direction, state and network namespace; never ports, addresses
// or pids.
type Metrics struct {
	resets *prometheus.CounterVec
	errors *prometheus.CounterVec
	drops  *prometheus.CounterVec
	rexmit *prometheus.CounterVec
	lost   prometheus.Counter
	// counters caches each label set's counter: looking one up in its
	// vector hashes and checks every label, per event.
	counters map[labels]prometheus.Counter
}

// labels are one record's label values; vec says which vector they are of.
type labels struct {
	vec                byte
	reason, dir, state string
	netns              uint32
}

// NewMetrics registers watch's counters with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		counters: map[labels]prometheus.Counter{},
		resets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "teardown_watch_resets_total",
			Help: "TCP RSTs sent or received on this host, by the kernel's reason (sent only; \"\" when the kernel gives none), direction, socket state and network namespace inode.",
		}, []string{"reason", "direction", "state", "netns"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "teardown_watch_socket_errors_total",
			Help: "Errors the kernel reported to TCP sockets that no received RST explains (ETIMEDOUT …), by errno, state and network namespace inode.",
		}, []string{"errno", "state", "netns"}),
		drops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "teardown_watch_drops_total",
			Help: "TCP packets the kernel dropped (with --drops), by skb_drop_reason and network namespace inode.",
		}, []string{"reason", "netns"}),
		rexmit: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "teardown_watch_retransmit_timeouts_total",
			Help: "Retransmission timeouts of TCP sockets, each once (with --retransmits), by socket state and network namespace inode.",
		}, []string{"state", "netns"}),
		lost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "teardown_watch_lost_events_total",
			Help: "Events the kernel dropped because watch's ring buffer was full.",
		}),
	}
	for _, c := range []prometheus.Collector{m.resets, m.errors, m.drops, m.rexmit, m.lost} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Count adds a record to the counters. It is not safe for concurrent use.
func (m *Metrics) Count(r *Record) {
	var k labels
	switch r.Event {
	case "send_reset":
		k = labels{vec: 'r', reason: r.Reason, dir: "sent", state: r.State, netns: r.Netns}
	case "receive_reset":
		k = labels{vec: 'r', reason: r.Reason, dir: "received", state: r.State, netns: r.Netns}
	case "error":
		k = labels{vec: 'e', reason: r.Errno, state: r.State, netns: r.Netns}
	case "drop":
		k = labels{vec: 'd', reason: r.Reason, netns: r.Netns}
	case "retransmit":
		k = labels{vec: 't', state: r.State, netns: r.Netns}
	case "lost":
		m.lost.Add(float64(r.Lost))
		return
	default:
		return
	}
	c, ok := m.counters[k]
	if !ok {
		netns := strconv.FormatUint(uint64(k.netns), 10)
		switch k.vec {
		case 'r':
			c = m.resets.WithLabelValues(k.reason, k.dir, k.state, netns)
		case 'e':
			c = m.errors.WithLabelValues(k.reason, k.state, netns)
		case 't':
			c = m.rexmit.WithLabelValues(k.state, netns)
		default:
			c = m.drops.WithLabelValues(k.reason, netns)
		}
		m.counters[k] = c
	}
	c.Inc()
}
