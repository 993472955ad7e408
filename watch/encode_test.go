package watch

import (
	"encoding/json"
	"testing"
	"time"
)

// AppendJSON writes what encoding/json writes, for records with every
// field set, none, and strings that need escaping.
func TestAppendJSONIsEncodingJSON(t *testing.T) {
	yes, no := true, false
	zero, n := uint32(0), uint32(4096)
	at := time.Date(2026, 12, 1, 11, 50, 0, 123456789, time.UTC)
	for _, r := range []Record{
		{},
		{Schema: SchemaVersion, Time: at, Event: "lost", Lost: 42},
		{Schema: SchemaVersion, Time: at.In(time.FixedZone("x", 3600)), MonoNS: -1, Event: "send_reset", Netns: 4026531840,
			Local: "127.0.0.1:80", Remote: "[2001:db8::1]:5", State: "ESTABLISHED", OldState: "SYN_SENT", NoSocket: true,
			Reason: "NO_SOCKET", ReasonAvailable: &yes, Unread: &n, Unacked: &zero, Cookie: 1 << 63, CgroupID: 9, Cgroup: "/a/b",
			Owner:  Owner{Attribution: "exact", PID: 812, TID: 813, Comm: "curl", CgroupID: 9, Cgroup: "/a", Listener: true},
			Orphan: true, OnCPU: -3, ErrnoPredicted: "ECONNRESET", ErrnoReported: "unseen", Errno: "errno 200", Retransmits: 4,
			Explain: &Explain{Entry: "ECONNRESET", Title: "Connection reset <by> peer & \"friends\"", Scenarios: []string{"a/b", "c"}}},
		{ReasonAvailable: &no, Owner: Owner{Comm: "a\x00b\xffc\u2028\t"}, Explain: &Explain{}},
		{Explain: &Explain{Scenarios: []string{"only"}}},
		{Explain: &Explain{Title: "t"}},
	} {
		want, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.AppendJSON(nil); string(got) != string(want) {
			t.Errorf("AppendJSON:\n got %s\nwant %s", got, want)
		}
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add("curl", "/sys", "ECONNRESET", int64(5), uint64(7), true)
	f.Add("a\"\\<>&\x01\xc3", "", "", int64(-1), uint64(0), false)
	f.Fuzz(func(t *testing.T, s1, s2, s3 string, i int64, u uint64, flag bool) {
		v := uint32(u)
		r := Record{Schema: s1, Time: time.Unix(0, i).UTC(), MonoNS: i, Event: s2, Local: s3, Remote: s1, State: s2,
			Reason: s3, Cookie: u, Unread: &v, NoSocket: flag, Owner: Owner{Attribution: s3, Comm: s1, PID: int(i)},
			OnCPU: int(int32(i)), Errno: s2}
		if flag {
			r.Explain = &Explain{Entry: s1, Title: s2, Scenarios: []string{s3, s1}}
		}
		want, err := json.Marshal(&r)
		if err != nil {
			t.Skip(err) // a time json cannot write
		}
		if got := r.AppendJSON(nil); string(got) != string(want) {
			t.Errorf("AppendJSON:\n got %s\nwant %s", got, want)
		}
	})
}
