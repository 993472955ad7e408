//go:build !linux && !darwin && !freebsd

package capture

import (
	"time"

	"github.com/teardown-net/teardown/observe/wire"
)

// Capture is a packet capture; on this system none can be opened.
type Capture struct{}

// Open reports ErrUnsupported.
func Open(ifname string) (*Capture, error) { return nil, ErrUnsupported }

// Drain reports ErrUnsupported.
func (c *Capture) Drain() ([]wire.Packet, error) { return nil, ErrUnsupported }

// DrainFrames reports ErrUnsupported.
func (c *Capture) DrainFrames() ([]Frame, error) { return nil, ErrUnsupported }

// Wait reports ErrUnsupported.
func (c *Capture) Wait(d time.Duration) (bool, error) { return false, ErrUnsupported }

// Stats reports ErrUnsupported.
func (c *Capture) Stats() (received, dropped uint32, err error) { return 0, 0, ErrUnsupported }

// Close does nothing.
func (c *Capture) Close() error { return nil }

// OnlyPorts reports ErrUnsupported.
func (c *Capture) OnlyPorts(ports []uint16) error { return ErrUnsupported }
