package ktrace

import "errors"

var (
	// ErrUnavailable is wrapped by Open and Reasons when tracefs cannot be
	// used: not Linux, not mounted and not mountable, or not permitted.
	ErrUnavailable = errors.New("kernel tracing is unavailable")
	// ErrNoReasons is wrapped by Reasons and ParseReasons when the kernel's
	// tcp_send_reset has no reason field (Linux before 6.10).
	ErrNoReasons = errors.New("tcp_send_reset has no reason field (Linux 6.10 or later has)")
	// ErrLost is wrapped by Sync when the kernel dropped events because
	// the trace buffer was full: the account it returns is incomplete.
	ErrLost = errors.New("the kernel lost trace events")
)
