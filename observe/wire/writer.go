package wire

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Writer writes IP packets to a pcapng file (link type RAW, nanosecond
// timestamps) that Wireshark and tcpdump open, each packet with an optional
// comment that Wireshark shows beside it.
type Writer struct {
	ng *pcapgo.NgWriter
}

// NewWriter writes the pcapng section and interface headers to w.
func NewWriter(w io.Writer) (*Writer, error) {
	intf := pcapgo.DefaultNgInterface
	intf.LinkType = layers.LinkTypeRaw
	intf.Name = "teardown"
	ng, err := pcapgo.NewNgWriterInterface(w, intf, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		return nil, fmt.Errorf("write pcapng header: %w", err)
	}
	return &Writer{ng: ng}, nil
}

// Write appends the IP packet ip, captured at t, with comment ("" for
// none).
func (w *Writer) Write(t time.Time, ip []byte, comment string) error {
	if len(ip) == 0 {
		return fmt.Errorf("write pcapng packet at %v: no data", t)
	}
	if len(ip) > maxSnap {
		return fmt.Errorf("write pcapng packet at %v: %d bytes, at most %d fit", t, len(ip), maxSnap)
	}
	if t.Before(time.Unix(0, 0)) {
		return fmt.Errorf("write pcapng packet: time %v is before 1970", t)
	}
	ci := gopacket.CaptureInfo{Timestamp: t, CaptureLength: len(ip), Length: max(len(ip), ipLen(ip))}
	var opts pcapgo.NgPacketOptions
	if comment != "" {
		opts.Comments = []string{comment}
	}
	if err := w.ng.WritePacketWithOptions(ci, ip, opts); err != nil {
		return fmt.Errorf("write pcapng packet: %w", err)
	}
	return nil
}

// WritePacket appends p.Data, stamped with p.Time.
func (w *Writer) WritePacket(p Packet, comment string) error {
	if err := w.Write(p.Time, p.Data, comment); err != nil {
		return fmt.Errorf("%v: %w", p, err)
	}
	return nil
}

// Flush writes out what is buffered; call it before closing the file.
func (w *Writer) Flush() error { return w.ng.Flush() }

// ipLen returns the length an IP packet's header gives, so that a packet
// whose payload a snap length cut is recorded with its original length.
func ipLen(b []byte) int {
	switch {
	case len(b) >= 4 && b[0]>>4 == 4:
		return int(binary.BigEndian.Uint16(b[2:]))
	case len(b) >= 6 && b[0]>>4 == 6:
		return 40 + int(binary.BigEndian.Uint16(b[4:]))
	}
	return 0
}
