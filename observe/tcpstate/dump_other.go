//go:build !linux

package tcpstate

// Dumper lists TCP sockets; on this system none can be opened.
type Dumper struct{}

// Open reports ErrUnsupported.
func Open() (*Dumper, error) { return nil, ErrUnsupported }

// Dump reports ErrUnsupported.
func (d *Dumper) Dump() ([]Socket, error) { return nil, ErrUnsupported }

// DumpTables reports ErrUnsupported.
func (d *Dumper) DumpTables(Tables) ([]Socket, error) { return nil, ErrUnsupported }

// Close does nothing.
func (d *Dumper) Close() error { return nil }
