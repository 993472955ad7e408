package watch

import (
	"strconv"
	"time"
)

// SchemaVersion is the "schema" of every JSON record. It changes when a
// field changes meaning or is removed; fields may be added within a version.
const SchemaVersion = "teardown.watch/1"

// Record is one event as watch shows it, and its JSON form.
type Record struct {
	Schema string `json:"schema"`
	// Time is the wall-clock time of the event.
	Time time.Time `json:"time"`
	// MonoNS is the event's CLOCK_MONOTONIC time in nanoseconds.
	MonoNS int64 `json:"mono_ns"`
	// Event is send_reset, receive_reset, error, state, drop, retransmit, or lost: a notice
	// that the kernel dropped Lost events since the previous notice, in
	// which only Schema, Time and Lost mean anything.
	Event string `json:"event"`
	// Netns is the inode number of the socket's network namespace;
	// absent when unknown (the tracefs fallback).
	Netns uint32 `json:"netns,omitempty"`
	// Local and Remote are the socket's addresses ("198.18.0.1:80",
	// "[2001:db8::1]:80"); for a sent RST, Local sends it to Remote.
	Local  string `json:"local"`
	Remote string `json:"remote"`
	// State is the socket's TCP state when the event fired, as the kernel
	// names it without TCP_; empty for an RST answering no socket.
	State    string `json:"state,omitempty"`
	OldState string `json:"old_state,omitempty"`
	// NoSocket marks an RST that answers a packet no socket took.
	NoSocket bool `json:"no_socket,omitempty"`
	// Reason is the kernel's reason for a sent RST, or a drop's
	// skb_drop_reason without SKB_DROP_REASON_; ReasonAvailable is
	// false on kernels whose tcp_send_reset has none (before 6.10).
	Reason          string `json:"reason,omitempty"`
	ReasonAvailable *bool  `json:"reason_available,omitempty"`
	// Unread and Unacked are the bytes received but not read by the
	// application and sent but not acknowledged; absent when the kernel
	// has no queues for the socket (TIME_WAIT, request or no socket).
	Unread  *uint32 `json:"unread,omitempty"`
	Unacked *uint32 `json:"unacked,omitempty"`
	// Cookie is the socket's cookie (SO_COOKIE, ss -e).
	Cookie uint64 `json:"cookie,omitempty"`
	// CgroupID and Cgroup are the socket's own cgroup v2 id and path.
	CgroupID uint64 `json:"cgroup_id,omitempty"`
	Cgroup   string `json:"cgroup,omitempty"`
	Owner    Owner  `json:"owner"`
	// Orphan: no process holds the socket any more; Owner is the last.
	Orphan bool `json:"orphan,omitempty"`
	// OnCPU is the process the event fired on, unrelated to the socket in
	// interrupt context; shown for comparison with Owner.
	OnCPU int `json:"on_cpu_pid"`
	// ErrnoPredicted is, for a received RST, the errno the kernel's rule
	// gives the application for the state it arrived in; empty when none
	// (CLOSE). ErrnoReported is the error the kernel then reported to the
	// socket: the same name, "" when it reported none (an orphan, or a
	// socket already closed), or "unseen" when it was expected but the
	// observer did not see it.
	ErrnoPredicted string `json:"errno_predicted,omitempty"`
	ErrnoReported  string `json:"errno_reported,omitempty"`
	// Errno is an error event's error.
	Errno string `json:"errno,omitempty"`
	// Retransmits is, for a retransmit event, how many retransmission
	// timeouts in a row the peer has left unanswered, this one included.
	Retransmits int      `json:"retransmits,omitempty"`
	Explain     *Explain `json:"explain,omitempty"`
	Lost        uint64   `json:"lost,omitempty"`
}

// Owner is the process a socket belongs to.
type Owner struct {
	// Attribution is exact (seen acting on the socket), snapshot (held it
	// when watch started) or none (unknown: the other fields are absent).
	Attribution string `json:"attribution"`
	PID         int    `json:"pid,omitempty"`
	TID         int    `json:"tid,omitempty"`
	Comm        string `json:"comm,omitempty"`
	CgroupID    uint64 `json:"cgroup_id,omitempty"`
	Cgroup      string `json:"cgroup,omitempty"`
	// Listener: no task has acted on the socket yet; the owner is the
	// listener's on its port, which accepted it or will.
	Listener bool `json:"listener,omitempty"`
}

// Explain links an event to teardown explain and the lab.
type Explain struct {
	// Entry is the teardown explain entry of the errno the application
	// gets, with its title.
	Entry string `json:"entry,omitempty"`
	Title string `json:"title,omitempty"`
	// Scenarios are lab scenarios that reproduce it: for a sent RST those
	// expecting its reason, otherwise the entry's.
	Scenarios []string `json:"scenarios,omitempty"`
}

// Unseen is ErrnoReported when the kernel was expected to report an error
// after a received RST and the observer did not see it.
const Unseen = "unseen"

// errnoName names a Linux errno, as explain's entries do.
func (w *Watcher) errnoName(n int) string {
	if n == 0 {
		return ""
	}
	if id, ok := w.errnos[n]; ok {
		return id
	}
	return "errno " + strconv.Itoa(n)
}
