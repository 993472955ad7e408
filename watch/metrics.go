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
	lost   prometheus.Counter
}

// NewMetrics registers watch's counters with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
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
		lost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "teardown_watch_lost_events_total",
			Help: "Events the kernel dropped because watch's ring buffer was full.",
		}),
	}
	for _, c := range []prometheus.Collector{m.resets, m.errors, m.drops, m.lost} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Count adds a record to the counters.
func (m *Metrics) Count(r *Record) {
	netns := strconv.FormatUint(uint64(r.Netns), 10)
	switch r.Event {
	case "send_reset", "receive_reset":
		dir := "sent"
		if r.Event == "receive_reset" {
			dir = "received"
		}
		m.resets.WithLabelValues(r.Reason, dir, r.State, netns).Inc()
	case "error":
		m.errors.WithLabelValues(r.Errno, r.State, netns).Inc()
	case "drop":
		m.drops.WithLabelValues(r.Reason, netns).Inc()
	case "lost":
		m.lost.Add(float64(r.Lost))
	}
}
