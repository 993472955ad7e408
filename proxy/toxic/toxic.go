// Package toxic holds the toxics of teardown's fault proxy: their names,
// attributes and defaults as Toxiproxy's HTTP API (v2) shows them, and the
// per-connection stages that apply them to the bytes of one direction.
//
// The package never touches a socket. A stage says what it wants done to the
// connection (close it, reset it, half-close it) by returning an Action; the
// data path in package link carries it out.
package toxic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Direction is the way bytes flow through a proxy. Upstream is from the
// client to the upstream server, Downstream from the server to the client,
// as Toxiproxy's "stream" field names them.
type Direction int

// The two directions of a proxied connection.
const (
	Upstream Direction = iota
	Downstream
)

// Directions lists both directions, upstream first.
var Directions = [2]Direction{Upstream, Downstream}

func (d Direction) String() string {
	if d == Upstream {
		return "upstream"
	}
	return "downstream"
}

// ParseDirection turns a stream name into a Direction; case does not
// matter, as in Toxiproxy.
func ParseDirection(s string) (Direction, error) {
	switch strings.ToLower(s) {
	case "upstream":
		return Upstream, nil
	case "downstream":
		return Downstream, nil
	}
	return 0, fmt.Errorf("stream was invalid, can be either upstream or downstream (got %q)", s)
}

// Scope says where a toxic type acts.
type Scope int

const (
	// OnBytes toxics act on the bytes of one direction of each connection.
	OnBytes Scope = iota
	// OnAccept toxics act on new connections as the proxy accepts them
	// (refuse, reset_before_accept); they never touch bytes in flight.
	OnAccept
)

// A Toxic is one toxic of a proxy, as the API shows and accepts it.
type Toxic struct {
	// ID identifies the toxic across updates; the API never shows it.
	ID uint64
	// Name is unique within a proxy; it defaults to "<type>_<stream>".
	Name string
	// Type is a registered type name such as "latency" or "reset".
	Type string
	// Stream is the direction whose bytes the toxic acts on.
	Stream Direction
	// Toxicity is the probability, from 0 to 1, that the toxic applies to a
	// connection. It is decided once per connection.
	Toxicity float32
	// Enabled is false for a toxic kept in the list but not applied.
	Enabled bool
	// Attributes holds the type's attributes, a pointer to one of the
	// attribute structs of this package.
	Attributes Attributes
}

// Attributes is the attribute set of one toxic type.
type Attributes interface {
	// Validate reports an attribute value that the type cannot use.
	Validate() error
}

// Kind describes one toxic type.
type Kind struct {
	Name  string
	Scope Scope
	// New returns the type's attributes with their defaults.
	New func() Attributes
	// Doc is a one-line description for help text.
	Doc string
	// stage builds the per-connection stage of OnBytes kinds.
	stage func(a Attributes, now time.Time) Stage
}

var kinds = map[string]Kind{}

func register(k Kind) { kinds[k.Name] = k }

// Lookup returns the kind of a type name.
func Lookup(name string) (Kind, bool) {
	k, ok := kinds[name]
	return k, ok
}

// Kinds lists every toxic type, sorted by name.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Scope reports where t acts.
func (t *Toxic) Scope() Scope { return kinds[t.Type].Scope }

// Active reports whether t can apply to any connection at all.
func (t *Toxic) Active() bool { return t.Enabled && t.Toxicity > 0 }

type wire struct {
	Attributes json.RawMessage `json:"attributes"`
	Name       *string         `json:"name"`
	Type       *string         `json:"type"`
	Stream     *string         `json:"stream"`
	Toxicity   *float32        `json:"toxicity"`
	Enabled    *bool           `json:"enabled"`
}

// MarshalJSON writes t in Toxiproxy's shape; "enabled" appears only when
// false, so that Toxiproxy clients see exactly the fields they know.
func (t *Toxic) MarshalJSON() ([]byte, error) {
	var out struct {
		Attributes Attributes `json:"attributes"`
		Name       string     `json:"name"`
		Type       string     `json:"type"`
		Stream     string     `json:"stream"`
		Toxicity   float32    `json:"toxicity"`
		Enabled    *bool      `json:"enabled,omitempty"`
	}
	out.Attributes, out.Name, out.Type, out.Stream, out.Toxicity = t.Attributes, t.Name, t.Type, t.Stream.String(), t.Toxicity
	if !t.Enabled {
		out.Enabled = new(bool)
	}
	return json.Marshal(out)
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// Decode reads a toxic to create from a request body. Missing fields take
// Toxiproxy's defaults: stream downstream, toxicity 1, name
// "<type>_<stream>" (the stream as the request spells it), attributes of the type's defaults; unknown attribute
// names are ignored as Toxiproxy does.
func Decode(data []byte) (*Toxic, error) {
	var w wire
	if err := decodeStrict(data, &w); err != nil {
		return nil, fmt.Errorf("bad request body: %w", err)
	}
	if w.Type == nil || *w.Type == "" {
		return nil, errors.New("missing required field: type")
	}
	k, ok := kinds[*w.Type]
	if !ok {
		return nil, fmt.Errorf("invalid toxic type: %q", *w.Type)
	}
	t := &Toxic{Type: k.Name, Stream: Downstream, Toxicity: 1, Enabled: true, Attributes: k.New()}
	if w.Stream != nil && *w.Stream != "" {
		d, err := ParseDirection(*w.Stream)
		if err != nil {
			return nil, err
		}
		t.Stream = d
	}
	if w.Name != nil && *w.Name != "" {
		t.Name = *w.Name
	} else if w.Stream != nil && *w.Stream != "" {
		// The stream as given, as Toxiproxy names it: a client that adds
		// "UPSTREAM" removes "latency_UPSTREAM".
		t.Name = t.Type + "_" + *w.Stream
	} else {
		t.Name = t.Type + "_" + t.Stream.String()
	}
	if w.Toxicity != nil {
		t.Toxicity = *w.Toxicity
	}
	if w.Enabled != nil {
		t.Enabled = *w.Enabled
	}
	if err := t.decodeAttributes(w.Attributes); err != nil {
		return nil, err
	}
	return t, t.validate()
}

// Patch returns a copy of t changed by an update request body: attributes
// given replace those of t, others keep their value; toxicity and enabled
// change when present. Name, type and stream cannot change, as in Toxiproxy.
func (t *Toxic) Patch(data []byte) (*Toxic, error) {
	var w wire
	if err := decodeStrict(data, &w); err != nil {
		return nil, fmt.Errorf("bad request body: %w", err)
	}
	n := *t
	n.Attributes = cloneAttributes(t.Type, t.Attributes)
	if w.Toxicity != nil {
		n.Toxicity = *w.Toxicity
	}
	if w.Enabled != nil {
		n.Enabled = *w.Enabled
	}
	if err := n.decodeAttributes(w.Attributes); err != nil {
		return nil, err
	}
	return &n, n.validate()
}

func (t *Toxic) decodeAttributes(raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, t.Attributes); err != nil {
		return fmt.Errorf("bad request body: attributes of %s: %w", t.Type, err)
	}
	return nil
}

func (t *Toxic) validate() error {
	if t.Toxicity < 0 || t.Toxicity > 1 || t.Toxicity != t.Toxicity {
		return fmt.Errorf("toxicity must be between 0 and 1, got %v", t.Toxicity)
	}
	if err := t.Attributes.Validate(); err != nil {
		return fmt.Errorf("attributes of %s: %w", t.Type, err)
	}
	return nil
}

func cloneAttributes(typ string, a Attributes) Attributes {
	n := kinds[typ].New()
	data, err := json.Marshal(a)
	if err == nil {
		err = json.Unmarshal(data, n)
	}
	if err != nil {
		panic("toxic: attributes of " + typ + " do not round-trip: " + err.Error())
	}
	return n
}

func nonNegative(pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		name := pairs[i].(string)
		var v int64
		switch x := pairs[i+1].(type) {
		case int64:
			v = x
		case int:
			v = int64(x)
		}
		if v < 0 {
			return fmt.Errorf("%s must not be negative, got %d", name, v)
		}
	}
	return nil
}
