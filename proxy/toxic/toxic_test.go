package toxic

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDecodeDefaults(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{`{"type":"latency"}`, `{"attributes":{"latency":0,"jitter":0},"name":"latency_downstream","type":"latency","stream":"downstream","toxicity":1}`},
		{`{"type":"bandwidth","stream":"upstream","attributes":{"rate":5}}`, `{"attributes":{"rate":5},"name":"bandwidth_upstream","type":"bandwidth","stream":"upstream","toxicity":1}`},
		{`{"type":"slicer","name":"s","toxicity":0.5}`, `{"attributes":{"average_size":0,"size_variation":0,"delay":0},"name":"s","type":"slicer","stream":"downstream","toxicity":0.5}`},
		{`{"type":"slow_close","attributes":{"delay":7,"unknown":1}}`, `{"attributes":{"delay":7},"name":"slow_close_downstream","type":"slow_close","stream":"downstream","toxicity":1}`},
		{`{"type":"timeout","toxicity":0}`, `{"attributes":{"timeout":0},"name":"timeout_downstream","type":"timeout","stream":"downstream","toxicity":0}`},
		{`{"type":"reset_peer"}`, `{"attributes":{"timeout":0},"name":"reset_peer_downstream","type":"reset_peer","stream":"downstream","toxicity":1}`},
		{`{"type":"limit_data","attributes":{"bytes":9}}`, `{"attributes":{"bytes":9},"name":"limit_data_downstream","type":"limit_data","stream":"downstream","toxicity":1}`},
		{`{"type":"reset","enabled":false}`, `{"attributes":{"after_bytes":0,"delay":0},"name":"reset_downstream","type":"reset","stream":"downstream","toxicity":1,"enabled":false}`},
		{`{"type":"refuse"}`, `{"attributes":{},"name":"refuse_downstream","type":"refuse","stream":"downstream","toxicity":1}`},
		{`{"type":"reset_before_accept","attributes":{"delay":3}}`, `{"attributes":{"delay":3},"name":"reset_before_accept_downstream","type":"reset_before_accept","stream":"downstream","toxicity":1}`},
	} {
		tx, err := Decode([]byte(tc.in))
		if err != nil {
			t.Errorf("Decode(%s): %v", tc.in, err)
			continue
		}
		got, _ := json.Marshal(tx)
		if string(got) != tc.want {
			t.Errorf("Decode(%s)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestPatch(t *testing.T) {
	orig, err := Decode([]byte(`{"type":"latency","toxicity":0.5,"attributes":{"latency":100,"jitter":10}}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := orig.Patch([]byte(`{"attributes":{"jitter":20},"name":"ignored","stream":"upstream"}`))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(p)
	want := `{"attributes":{"latency":100,"jitter":20},"name":"latency_downstream","type":"latency","stream":"downstream","toxicity":0.5}`
	if string(got) != want {
		t.Errorf("patched\n got %s\nwant %s", got, want)
	}
	if orig.Attributes.(*Latency).Jitter != 10 {
		t.Errorf("Patch changed the original")
	}
	if _, err := orig.Patch([]byte(`{"toxicity":1.5}`)); err == nil {
		t.Errorf("toxicity 1.5 accepted")
	}
}

var nowForTest = time.Unix(1e9, 0)

func TestEveryKindHasStageOrScope(t *testing.T) {
	for _, k := range Kinds() {
		tx := &Toxic{Type: k.Name, Attributes: k.New(), Enabled: true, Toxicity: 1}
		if (k.Scope == OnBytes) != (NewStage(tx, nowForTest) != nil) {
			t.Errorf("%s: scope %v but stage %v", k.Name, k.Scope, NewStage(tx, nowForTest) != nil)
		}
		if k.Doc == "" {
			t.Errorf("%s has no Doc", k.Name)
		}
	}
}

// FuzzDecode: Decode and Patch never panic, and what they accept encodes
// and decodes back to the same toxic.
func FuzzDecode(f *testing.F) {
	f.Add(`{"type":"latency","attributes":{"latency":5}}`, `{"attributes":{"jitter":1}}`)
	f.Add(`{"type":"reset","stream":"upstream","attributes":{"after_bytes":3,"delay":1}}`, `{"toxicity":0.2}`)
	f.Add(`{"type":"slicer","toxicity":0}`, `{"enabled":false}`)
	f.Fuzz(func(t *testing.T, create, patch string) {
		tx, err := Decode([]byte(create))
		if err != nil {
			return
		}
		data, err := json.Marshal(tx)
		if err != nil {
			t.Fatalf("marshal %+v: %v", tx, err)
		}
		back, err := Decode(data)
		if err != nil {
			t.Fatalf("decode of own output %s: %v", data, err)
		}
		again, _ := json.Marshal(back)
		if string(again) != string(data) {
			t.Fatalf("round trip changed %s into %s", data, again)
		}
		if p, err := tx.Patch([]byte(patch)); err == nil && (p.Name != tx.Name || p.Type != tx.Type || p.Stream != tx.Stream) {
			t.Fatalf("Patch changed identity: %+v", p)
		}
	})
}
