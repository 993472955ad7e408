package wire

import (
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// TestReadLinks checks that the link types the error for an unread one
// names are those the Reader reads, no more and no fewer.
func TestReadLinks(t *testing.T) {
	named := map[layers.LinkType]bool{}
	for _, l := range readLinks {
		if named[l.lt] {
			t.Errorf("link type %d named twice", l.lt)
		}
		named[l.lt] = true
	}
	for lt := range layers.LinkType(1024) {
		if knownLink(lt) != named[lt] {
			t.Errorf("link type %d: read %v, named in readLinks %v", lt, knownLink(lt), named[lt])
		}
	}
}
