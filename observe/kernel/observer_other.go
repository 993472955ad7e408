//go:build !linux

package kernel

import (
	"fmt"
	"runtime"
	"time"
)

// Observer observes the kernel's TCP events; on this system none can be
// opened.
type Observer struct{}

func unsupported() error {
	return fmt.Errorf("%w: eBPF tracepoints are Linux's, this is %s", ErrUnsupported, runtime.GOOS)
}

// Open reports ErrUnsupported.
func Open(Config) (*Observer, error) { return nil, unsupported() }

// Read reports ErrUnsupported.
func (o *Observer) Read() (Event, error) { return Event{}, unsupported() }

// SetDeadline does nothing.
func (o *Observer) SetDeadline(time.Time) {}

// AllowNetns reports ErrUnsupported.
func (o *Observer) AllowNetns(uint32) error { return unsupported() }

// DenyNetns reports ErrUnsupported.
func (o *Observer) DenyNetns(uint32) error { return unsupported() }

// Lost reports ErrUnsupported.
func (o *Observer) Lost() (uint64, error) { return 0, unsupported() }

// Sync reports ErrUnsupported.
func (o *Observer) Sync() ([]Event, error) { return nil, unsupported() }

// Ready returns false.
func (o *Observer) Ready() bool { return false }

// HasReason returns false.
func (o *Observer) HasReason() bool { return false }

// Close does nothing.
func (o *Observer) Close() error { return nil }

// Reasons returns nil.
func (o *Observer) Reasons() []string { return nil }
