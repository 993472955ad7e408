package watch

import (
	"fmt"
	"strings"
)

// Text returns the record as one line for a person:
//
//	12:01:02.345678 198.18.0.2:40000 (python3 pid 812 exact, /user.slice) ← RST from 198.18.0.1:80 in ESTABLISHED → the app gets ECONNRESET  [netns 4026532290]
func (r *Record) Text() string {
	var b strings.Builder
	b.WriteString(r.Time.Format("15:04:05.000000"))
	b.WriteByte(' ')
	if r.Event == "lost" {
		fmt.Fprintf(&b, "LOST %d events: the ring buffer was full", r.Lost)
		return b.String()
	}
	if r.NoSocket {
		fmt.Fprintf(&b, "%s (no socket)", r.Local)
	} else if r.Event == "drop" && r.Cookie == 0 {
		b.WriteString(r.Local)
	} else {
		fmt.Fprintf(&b, "%s (%s)", r.Local, r.ownerText())
	}
	switch r.Event {
	case "send_reset":
		fmt.Fprintf(&b, " → RST to %s", r.Remote)
		if r.State != "" {
			fmt.Fprintf(&b, " in %s", r.State)
		}
		if r.Reason != "" {
			fmt.Fprintf(&b, ", reason %s", r.Reason)
		} else if r.ReasonAvailable != nil && !*r.ReasonAvailable {
			b.WriteString(", no reason (kernel before 6.10)")
		}
		b.WriteString(r.queuesText())
	case "receive_reset":
		fmt.Fprintf(&b, " ← RST from %s", r.Remote)
		if r.State != "" {
			fmt.Fprintf(&b, " in %s", r.State)
		}
		b.WriteString(r.queuesText())
		switch {
		case r.State == "":
			fmt.Fprintf(&b, " → the kernel reported %s", orNone(r.ErrnoReported))
		case r.ErrnoPredicted == "":
			b.WriteString(" → no error: the socket was closed already")
		case r.Orphan && r.ErrnoReported == "":
			fmt.Fprintf(&b, " → no application left to get %s", r.ErrnoPredicted)
		default:
			fmt.Fprintf(&b, " → the app gets %s", r.ErrnoPredicted)
			switch r.ErrnoReported {
			case r.ErrnoPredicted:
			case Unseen:
				b.WriteString(" (the kernel's report was not seen)")
			default:
				fmt.Fprintf(&b, " (kernel reported %s)", orNone(r.ErrnoReported))
			}
		}
	case "error":
		fmt.Fprintf(&b, " ✗ %s with %s in %s", r.Errno, r.Remote, r.State)
		b.WriteString(r.queuesText())
	case "drop":
		fmt.Fprintf(&b, " ✗ dropped a packet with %s", r.Remote)
		if r.State != "" {
			fmt.Fprintf(&b, " in %s", r.State)
		}
		fmt.Fprintf(&b, ", reason %s", r.Reason)
	case "state":
		fmt.Fprintf(&b, " %s → %s with %s", r.OldState, r.State, r.Remote)
	case "retransmit":
		fmt.Fprintf(&b, " ↻ %s unanswered by %s in %s", timeoutsText(r.Retransmits), r.Remote, r.State)
		b.WriteString(r.queuesText())
	}
	if r.Netns != 0 {
		fmt.Fprintf(&b, "  [netns %d]", r.Netns)
	}
	if x := r.Explain; x != nil {
		if x.Entry != "" {
			fmt.Fprintf(&b, "\n    explain: teardown explain %s (%s)", x.Entry, x.Title)
		}
		if len(x.Scenarios) > 0 {
			fmt.Fprintf(&b, "\n    lab: teardown lab run %s", strings.Join(x.Scenarios, " "))
		}
	}
	return b.String()
}

func (r *Record) ownerText() string {
	o := r.Owner
	var s string
	switch {
	case o.Attribution == "none":
		s = "owner unknown"
		if r.Orphan {
			s = "orphan, owner unknown"
		}
		return s
	case r.Orphan:
		s = fmt.Sprintf("orphan, last held by %s pid %d", o.Comm, o.PID)
	case o.Listener:
		s = fmt.Sprintf("%s pid %d by its listener", o.Comm, o.PID)
	default:
		s = fmt.Sprintf("%s pid %d", o.Comm, o.PID)
	}
	if o.Attribution != "exact" {
		s += " " + o.Attribution
	}
	if cg := r.Cgroup; cg != "" {
		s += ", cgroup " + cg
	} else if o.Cgroup != "" {
		s += ", cgroup " + o.Cgroup
	}
	return s
}

func (r *Record) queuesText() string {
	var parts []string
	if r.Unread != nil && *r.Unread > 0 {
		parts = append(parts, bytesText(*r.Unread)+" unread")
	}
	// Before the handshake completes the SYN itself is the one sequence
	// number unacknowledged: no data.
	if r.Unacked != nil && *r.Unacked > 0 && r.State != "SYN_SENT" && r.State != "SYN_RECV" {
		parts = append(parts, bytesText(*r.Unacked)+" unacked")
	}
	if len(parts) == 0 {
		return ""
	}
	return ", " + strings.Join(parts, ", ")
}

func timeoutsText(n int) string {
	if n == 1 {
		return "1 retransmission timeout"
	}
	return fmt.Sprintf("%d retransmission timeouts", n)
}

func bytesText(n uint32) string {
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
