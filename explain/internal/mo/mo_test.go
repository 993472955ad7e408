package mo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// build writes a little- or big-endian catalog the way msgfmt lays it out:
// header, original table, translation table, then the strings.
func build(order binary.ByteOrder, msgs [][2]string) []byte {
	n := uint32(len(msgs))
	orig := uint32(28)
	trans := orig + 8*n
	data := trans + 8*n
	var head, tabs, strs bytes.Buffer
	w := func(buf *bytes.Buffer, v uint32) { _ = binary.Write(buf, order, v) }
	w(&head, magicLE)
	w(&head, 0)
	w(&head, n)
	w(&head, orig)
	w(&head, trans)
	w(&head, 0)
	w(&head, 0)
	var origT, transT bytes.Buffer
	for _, m := range msgs {
		w(&origT, uint32(len(m[0])))
		w(&origT, data+uint32(strs.Len()))
		strs.WriteString(m[0])
		strs.WriteByte(0)
	}
	for _, m := range msgs {
		w(&transT, uint32(len(m[1])))
		w(&transT, data+uint32(strs.Len()))
		strs.WriteString(m[1])
		strs.WriteByte(0)
	}
	tabs.Write(origT.Bytes())
	tabs.Write(transT.Bytes())
	return append(append(head.Bytes(), tabs.Bytes()...), strs.Bytes()...)
}

func TestParse(t *testing.T) {
	msgs := [][2]string{
		{"", "Content-Type: text/plain; charset=UTF-8\n"},
		{"Broken pipe", "断开的管道"},
		{"Connection reset by peer", "Connexion ré-initialisée par le correspondant"},
	}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		m, err := Parse(build(order, msgs))
		if err != nil {
			t.Fatalf("%v: %v", order, err)
		}
		for _, want := range msgs {
			if got := m[want[0]]; got != want[1] {
				t.Errorf("%v: %q = %q, want %q", order, want[0], got, want[1])
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	good := build(binary.LittleEndian, [][2]string{{"a", "b"}})
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"short", good[:20]},
		{"bad magic", append([]byte{1, 2, 3, 4}, good[4:]...)},
		{"truncated strings", good[:len(good)-3]},
		{"huge count", func() []byte {
			b := bytes.Clone(good)
			binary.LittleEndian.PutUint32(b[8:], 1<<30)
			return b
		}()},
		{"major revision", func() []byte {
			b := bytes.Clone(good)
			binary.LittleEndian.PutUint32(b[4:], 2<<16)
			return b
		}()},
	}
	for _, tt := range tests {
		if _, err := Parse(tt.data); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", tt.name, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(build(binary.LittleEndian, [][2]string{{"Broken pipe", "Rota tubería"}}))
	f.Add(build(binary.BigEndian, [][2]string{{"", "x"}, {"a", "b"}}))
	f.Add([]byte{0xde, 0x12, 0x04, 0x95})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err == nil && m == nil {
			t.Fatal("nil map without error")
		}
	})
}
