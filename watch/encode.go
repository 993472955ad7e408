package watch

import (
	"encoding/json"
	"strconv"
	"time"
)

// AppendJSON appends r's JSON form to b, byte for byte what encoding/json
// makes of it, without reflection: at the highest rates the encoding was
// most of watch's work per event, and a watch that falls behind loses
// events.
func (r *Record) AppendJSON(b []byte) []byte {
	b = append(b, `{"schema":`...)
	b = appendString(b, r.Schema)
	b = append(b, `,"time":"`...)
	b = r.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","mono_ns":`...)
	b = strconv.AppendInt(b, r.MonoNS, 10)
	b = append(b, `,"event":`...)
	b = appendString(b, r.Event)
	if r.Netns != 0 {
		b = append(b, `,"netns":`...)
		b = strconv.AppendUint(b, uint64(r.Netns), 10)
	}
	b = append(b, `,"local":`...)
	b = appendString(b, r.Local)
	b = append(b, `,"remote":`...)
	b = appendString(b, r.Remote)
	b = appendOptString(b, `,"state":`, r.State)
	b = appendOptString(b, `,"old_state":`, r.OldState)
	if r.NoSocket {
		b = append(b, `,"no_socket":true`...)
	}
	b = appendOptString(b, `,"reason":`, r.Reason)
	if r.ReasonAvailable != nil {
		b = append(b, `,"reason_available":`...)
		b = strconv.AppendBool(b, *r.ReasonAvailable)
	}
	if r.Unread != nil {
		b = append(b, `,"unread":`...)
		b = strconv.AppendUint(b, uint64(*r.Unread), 10)
	}
	if r.Unacked != nil {
		b = append(b, `,"unacked":`...)
		b = strconv.AppendUint(b, uint64(*r.Unacked), 10)
	}
	b = appendOptUint(b, `,"cookie":`, r.Cookie)
	b = appendOptUint(b, `,"cgroup_id":`, r.CgroupID)
	b = appendOptString(b, `,"cgroup":`, r.Cgroup)
	b = append(b, `,"owner":{"attribution":`...)
	o := &r.Owner
	b = appendString(b, o.Attribution)
	b = appendOptInt(b, `,"pid":`, o.PID)
	b = appendOptInt(b, `,"tid":`, o.TID)
	b = appendOptString(b, `,"comm":`, o.Comm)
	b = appendOptUint(b, `,"cgroup_id":`, o.CgroupID)
	b = appendOptString(b, `,"cgroup":`, o.Cgroup)
	if o.Listener {
		b = append(b, `,"listener":true`...)
	}
	b = append(b, '}')
	if r.Orphan {
		b = append(b, `,"orphan":true`...)
	}
	b = append(b, `,"on_cpu_pid":`...)
	b = strconv.AppendInt(b, int64(r.OnCPU), 10)
	b = appendOptString(b, `,"errno_predicted":`, r.ErrnoPredicted)
	b = appendOptString(b, `,"errno_reported":`, r.ErrnoReported)
	b = appendOptString(b, `,"errno":`, r.Errno)
	b = appendOptInt(b, `,"retransmits":`, r.Retransmits)
	if x := r.Explain; x != nil {
		b = append(b, `,"explain":{`...)
		n := len(b)
		b = appendOptString(b, `,"entry":`, x.Entry)
		b = appendOptString(b, `,"title":`, x.Title)
		if len(x.Scenarios) > 0 {
			b = append(b, `,"scenarios":[`...)
			for i, s := range x.Scenarios {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, s)
			}
			b = append(b, ']')
		}
		if len(b) > n {
			b = append(b[:n], b[n+1:]...) // the first field's comma
		}
		b = append(b, '}')
	}
	b = appendOptUint(b, `,"lost":`, r.Lost)
	return append(b, '}')
}

func appendOptString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, key...), s)
}

func appendOptUint(b []byte, key string, v uint64) []byte {
	if v == 0 {
		return b
	}
	return strconv.AppendUint(append(b, key...), v, 10)
}

func appendOptInt(b []byte, key string, v int) []byte {
	if v == 0 {
		return b
	}
	return strconv.AppendInt(append(b, key...), int64(v), 10)
}

// appendString appends s quoted. The strings of a record are nearly always
// printable ASCII with nothing to escape; any other (a command name can hold
// any byte) is left to encoding/json, which escapes it as it always has.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
