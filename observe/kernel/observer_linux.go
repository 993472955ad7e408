package kernel

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/teardown-net/teardown/observe/ktrace"
	"github.com/teardown-net/teardown/observe/tcpstate"
)

// errorWait bounds how long a received RST waits for the error report the
// kernel files right after it, in the same softirq; it comes back within
// the same ring buffer read unless the buffer overflowed.
const errorWait = 50 * time.Millisecond

// pollEvery is how often a waiting Read looks at the ring buffer: the BPF
// programs wake the reader only once a batch of records is waiting, so
// that a busy host does not cost a wakeup per event, and the last records
// before a pause are found within pollEvery.
const pollEvery = 20 * time.Millisecond

// Observer holds the loaded programs, their links and the ring buffer
// reader. Read must be called from one goroutine; Close, AllowNetns and Lost
// from any.
type Observer struct {
	cfg     Config
	coll    *ebpf.Collection
	maps    maps
	links   []link.Link
	rd      *ringbuf.Reader
	reasons []string
	drops   map[uint32]string // skb_drop_reason names by value
	// hasReason is true when the kernel's tcp_send_reset has a reason.
	hasReason bool

	// queue[head:] holds events read from the ring, in the kernel's
	// order; a received RST at its head waits there for its error report.
	// The slice is reused once emptied.
	queue    []queued
	head     int
	rec      ringbuf.Record
	deadline time.Time
	// comms holds the command names seen, so that decoding one does not
	// allocate a string per event.
	comms   map[[16]int8]string
	closeMu sync.Mutex
	closed  bool
}

// maps are the collection's maps the observer uses.
type maps struct {
	netns, port, cgroup, lost, events *ebpf.Map
}

// Open loads and attaches the observer. It needs root or CAP_BPF with
// CAP_PERFMON, and a kernel with BTF (/sys/kernel/btf/vmlinux); where either
// is missing the error wraps ErrUnsupported.
func Open(cfg Config) (*Observer, error) {
	if len(cfg.Netns) > maxFilter || len(cfg.Ports) > maxFilter || len(cfg.Cgroups) > maxFilter {
		return nil, fmt.Errorf("kernel observer: at most %d namespaces, ports and cgroups each", maxFilter)
	}
	// One cache for the kernel's types: decoding vmlinux's BTF is most of
	// the time it takes to open, and the loader would decode it again.
	cache := btf.NewCache()
	kspec, err := cache.Kernel()
	if err != nil {
		return nil, fmt.Errorf("%w: kernel BTF: %v", ErrUnsupported, err)
	}
	_ = rlimit.RemoveMemlock() // only kernels before 5.11 need it
	spec, err := loadBpf()
	if err != nil {
		return nil, fmt.Errorf("kernel observer: %w", err)
	}
	o := &Observer{cfg: cfg, comms: map[[16]int8]string{}}
	o.hasReason = tracepointArgs(kspec, "tcp_send_reset") >= 3
	if o.hasReason {
		// The names are the running kernel's own, as the enum differs
		// between versions: from BTF, which is loaded already and needs no
		// descriptor, else from the tracepoint's format file.
		if o.reasons = btfReasons(kspec); o.reasons == nil {
			o.reasons, _ = ktrace.Reasons()
		}
	}
	if o.hasReason {
		delete(spec.Programs, "send_reset_plain")
	} else {
		delete(spec.Programs, "send_reset_reason")
	}
	for prog, tp := range map[string]string{"send_length": "sock_send_length", "recv_length": "sock_recv_length"} {
		if tracepointArgs(kspec, tp) < 1 {
			delete(spec.Programs, prog) // Linux before 6.5
		}
	}
	if !cfg.Retransmits {
		delete(spec.Programs, bpfProgRetransmit)
	} else if tracepointArgs(kspec, "tcp_retransmit_skb") < 1 {
		return nil, fmt.Errorf("%w: this kernel has no tcp_retransmit_skb tracepoint", ErrUnsupported)
	}
	if cfg.Drops {
		if tracepointArgs(kspec, "kfree_skb") < 3 {
			return nil, fmt.Errorf("%w: this kernel's kfree_skb gives no drop reason (Linux 5.17 has it)", ErrUnsupported)
		}
		consumed := ^uint32(0)
		o.drops = map[uint32]string{}
		var e *btf.Enum
		if err := kspec.TypeByName("skb_drop_reason", &e); err == nil {
			for _, v := range e.Values {
				o.drops[uint32(v.Value)] = strings.TrimPrefix(strings.TrimPrefix(v.Name, "SKB_DROP_REASON_"), "SKB_")
				if v.Name == "SKB_CONSUMED" {
					consumed = uint32(v.Value)
				}
			}
		}
		if err := spec.Variables[bpfVarSkbConsumed].Set(consumed); err != nil {
			return nil, fmt.Errorf("kernel observer: set skb_consumed: %w", err)
		}
	} else {
		delete(spec.Programs, bpfProgKfreeSkb)
	}
	for name, on := range map[string]bool{
		bpfVarWantDrops: cfg.Drops,
		"filter_netns":  cfg.FilterNetns,
		"filter_port":   len(cfg.Ports) > 0,
		"filter_cgroup": len(cfg.Cgroups) > 0,
		"want_states":   cfg.States,
		// Without Reports, the kernel pairs each received RST with its
		// error report: one record, and nothing held in user space.
		bpfVarMergeReports:    !cfg.Reports,
		bpfVarWantRetransmits: cfg.Retransmits,
	} {
		if err := spec.Variables[name].Set(b2u(on)); err != nil {
			return nil, fmt.Errorf("kernel observer: set %s: %w", name, err)
		}
	}
	spec.Maps[bpfMapEvents].MaxEntries = cfg.ringSize()
	o.coll, err = ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{Cache: cache})
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("%w: the kernel refused the programs: %+v", ErrUnsupported, ve)
		}
		if errors.Is(err, unix.EPERM) || errors.Is(err, ebpf.ErrNotSupported) {
			return nil, fmt.Errorf("%w: load programs (root or CAP_BPF and CAP_PERFMON needed): %v", ErrUnsupported, err)
		}
		return nil, fmt.Errorf("kernel observer: load programs: %w", err)
	}
	o.maps = maps{
		netns:  o.coll.Maps[bpfMapNetnsAllow],
		port:   o.coll.Maps[bpfMapPortAllow],
		cgroup: o.coll.Maps[bpfMapCgroupAllow],
		lost:   o.coll.Maps[bpfMapLost],
		events: o.coll.Maps[bpfMapEvents],
	}
	if err := o.setup(); err != nil {
		o.release()
		return nil, err
	}
	return o, nil
}

func (o *Observer) setup() error {
	one := uint8(1)
	for _, n := range o.cfg.Netns {
		if err := o.maps.netns.Put(n, one); err != nil {
			return fmt.Errorf("kernel observer: namespace filter: %w", err)
		}
	}
	for _, p := range o.cfg.Ports {
		if err := o.maps.port.Put(p, one); err != nil {
			return fmt.Errorf("kernel observer: port filter: %w", err)
		}
	}
	for _, c := range o.cfg.Cgroups {
		if err := o.maps.cgroup.Put(c, one); err != nil {
			return fmt.Errorf("kernel observer: cgroup filter: %w", err)
		}
	}
	// Owners first, then events: a socket acted on while the snapshot
	// runs is recorded exactly, and the snapshot never overwrites that.
	for _, p := range []string{bpfProgSetState, bpfProgSendLength, bpfProgRecvLength, bpfProgDestroySock} {
		if err := o.attach(p); err != nil {
			return err
		}
	}
	if err := o.snapshot(); err != nil {
		return err
	}
	for _, p := range []string{bpfProgSendResetReason, bpfProgSendResetPlain, bpfProgReceiveReset, bpfProgErrorReport, bpfProgKfreeSkb, bpfProgRetransmit} {
		if err := o.attach(p); err != nil {
			return err
		}
	}
	var err error
	if o.rd, err = ringbuf.NewReader(o.maps.events); err != nil {
		return fmt.Errorf("kernel observer: ring buffer: %w", err)
	}
	return nil
}

// attach attaches the program name, unless it was left out for this kernel.
func (o *Observer) attach(name string) error {
	p := o.coll.Programs[name]
	if p == nil {
		return nil
	}
	l, err := link.AttachTracing(link.TracingOptions{Program: p})
	if err != nil {
		return fmt.Errorf("%w: attach %s: %v", ErrUnsupported, p, err)
	}
	o.links = append(o.links, l)
	return nil
}

// snapshot runs the task_file iterator once: it records the holder of every
// TCP socket open now.
func (o *Observer) snapshot() error {
	it, err := link.AttachIter(link.IterOptions{Program: o.coll.Programs[bpfProgSnapshot]})
	if err != nil {
		return fmt.Errorf("%w: task_file iterator: %v", ErrUnsupported, err)
	}
	defer it.Close()
	r, err := it.Open()
	if err != nil {
		return fmt.Errorf("kernel observer: run task_file iterator: %w", err)
	}
	defer r.Close()
	if _, err := io.Copy(io.Discard, r); err != nil {
		return fmt.Errorf("kernel observer: run task_file iterator: %w", err)
	}
	return nil
}

// tracepointArgs returns how many arguments the kernel's tracepoint name
// passes, or -1 when the kernel has no such tracepoint.
func tracepointArgs(k *btf.Spec, name string) int {
	var td *btf.Typedef
	if err := k.TypeByName("btf_trace_"+name, &td); err != nil {
		return -1
	}
	p, ok := td.Type.(*btf.Pointer)
	if !ok {
		return -1
	}
	fp, ok := p.Target.(*btf.FuncProto)
	if !ok {
		return -1
	}
	return len(fp.Params) - 1 // the first is the tracepoint's context
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// HasReason reports whether this kernel's tcp_send_reset gives a reason
// (Linux 6.10 and later).
func (o *Observer) HasReason() bool { return o.hasReason }

// Reasons returns the running kernel's RST reason names, indexed by value,
// or nil when the kernel gives no reason or its names could not be read
// (events then name a reason "REASON_v").
func (o *Observer) Reasons() []string { return o.reasons }

// AllowNetns lets events of the namespace with inode number inum pass the
// namespace filter, for a caller that creates namespaces after Open.
func (o *Observer) AllowNetns(inum uint32) error {
	if !o.cfg.FilterNetns {
		return fmt.Errorf("kernel observer: AllowNetns needs Config.FilterNetns")
	}
	if err := o.maps.netns.Put(inum, uint8(1)); err != nil {
		return fmt.Errorf("kernel observer: allow namespace %d: %w", inum, err)
	}
	return nil
}

// DenyNetns undoes AllowNetns: events of the namespace stop passing the
// filter, and its place in the filter's map is free again.
func (o *Observer) DenyNetns(inum uint32) error {
	if !o.cfg.FilterNetns {
		return fmt.Errorf("kernel observer: DenyNetns needs Config.FilterNetns")
	}
	if err := o.maps.netns.Delete(inum); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		return fmt.Errorf("kernel observer: deny namespace %d: %w", inum, err)
	}
	return nil
}

// Lost returns how many events the kernel dropped so far because the ring
// buffer was full.
func (o *Observer) Lost() (uint64, error) {
	var per []uint64
	if err := o.maps.lost.Lookup(uint32(0), &per); err != nil {
		return 0, fmt.Errorf("kernel observer: lost count: %w", err)
	}
	var n uint64
	for _, v := range per {
		n += v
	}
	return n, nil
}

// SetDeadline makes a Read waiting for events return an error wrapping
// os.ErrDeadlineExceeded at t; the zero time waits for ever.
func (o *Observer) SetDeadline(t time.Time) { o.deadline = t }

// Read returns the next event, in the order the kernel recorded them. A
// received RST after which the kernel reports an error to the socket is
// returned with that error (Errno), once it is seen or errorWait passed.
func (o *Observer) Read() (Event, error) {
	for {
		if o.head < len(o.queue) {
			if q := &o.queue[o.head]; !q.held() || time.Since(q.at) >= errorWait {
				return o.pop(), nil
			}
		}
		if o.rd.AvailableBytes() > 0 {
			// Records wait: take them without waiting, and without
			// reading the clock for every one.
			o.rd.SetDeadline(past)
		} else {
			dl := o.deadline
			if o.head < len(o.queue) {
				if t := o.queue[o.head].at.Add(errorWait); dl.IsZero() || t.Before(dl) {
					dl = t
				}
			}
			if t := time.Now().Add(pollEvery); dl.IsZero() || t.Before(dl) {
				dl = t
			}
			o.rd.SetDeadline(dl)
		}
		err := o.rd.ReadInto(&o.rec)
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded) && (o.head < len(o.queue) || o.deadline.IsZero() || time.Now().Before(o.deadline)):
			continue // the head's wait may be over, or records wait unannounced
		case errors.Is(err, ringbuf.ErrClosed):
			if o.head < len(o.queue) {
				return o.pop(), nil
			}
			return Event{}, ErrClosed
		default:
			return Event{}, fmt.Errorf("kernel observer: read: %w", err)
		}
		if len(o.rec.RawSample) < int(unsafe.Sizeof(bpfEvent{})) {
			return Event{}, fmt.Errorf("kernel observer: short event of %d bytes", len(o.rec.RawSample))
		}
		raw := *(*bpfEvent)(unsafe.Pointer(&o.rec.RawSample[0]))
		o.take(o.decode(&raw))
	}
}

// past is a deadline that has passed: a read with it does not wait.
var past = time.Unix(1, 0)

// pop removes and returns the event at the queue's head.
func (o *Observer) pop() Event {
	e := o.queue[o.head].e
	if o.head++; o.head == len(o.queue) {
		o.queue, o.head = o.queue[:0], 0
	}
	return e
}

// Ready reports whether a Read would return at once: events are waiting in
// the ring buffer or in the observer. A reader that buffers its output
// flushes it when nothing is ready.
func (o *Observer) Ready() bool {
	return o.rd.AvailableBytes() > 0 || (o.head < len(o.queue) && !o.queue[o.head].held())
}

// Sync returns every event the kernel recorded before the call, in order,
// as ktrace.Tracer.Sync does, for a caller that collects after each step:
// tracepoints run synchronously, so what a system call caused is in the
// ring when it returns. A received RST whose error report is not in the
// ring is returned with ErrnoPending. Sync must not run concurrently with
// Read.
func (o *Observer) Sync() ([]Event, error) {
	var out []Event
	for {
		o.rd.SetDeadline(time.Now()) // do not wait: take what is there
		err := o.rd.ReadInto(&o.rec)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			return out, fmt.Errorf("kernel observer: sync: %w", err)
		}
		if len(o.rec.RawSample) < int(unsafe.Sizeof(bpfEvent{})) {
			return out, fmt.Errorf("kernel observer: short event of %d bytes", len(o.rec.RawSample))
		}
		raw := *(*bpfEvent)(unsafe.Pointer(&o.rec.RawSample[0]))
		o.take(o.decode(&raw))
	}
	for _, q := range o.queue[o.head:] {
		out = append(out, q.e)
	}
	o.queue, o.head = o.queue[:0], 0
	return out, nil
}

// queued is an event waiting to be read.
type queued struct {
	e  Event
	at time.Time
}

// held reports whether the event waits for its error report.
func (q *queued) held() bool { return q.e.Kind == ReceiveReset && q.e.ErrnoPending }

// pairWithin bounds how far back from the newest event take looks for the
// received RST an error report completes. The report follows its RST on
// the same CPU, with at most the events other CPUs recorded meanwhile in
// between; when the RST was lost, a scan of the whole queue (which grows
// while its head waits) made each report cost more as watch fell behind.
const pairWithin = 256

// take queues an event, pairing a received RST with the error report that
// follows it when the kernel did not.
func (o *Observer) take(e Event) {
	switch e.Kind {
	case SocketError:
		if o.cfg.Reports {
			break // every report is an event; no RST is held for one
		}
		for i := len(o.queue) - 1; i >= max(o.head, len(o.queue)-pairWithin); i-- {
			if q := &o.queue[i]; q.held() && q.e.Cookie == e.Cookie {
				q.e.Errno, q.e.ErrnoPending = e.Errno, false
				return
			}
		}
		if !o.cfg.Errors || OwnAbort(&e) {
			return
		}
	case StateChange:
		if !o.cfg.States {
			return
		}
	}
	q := queued{e: e}
	if q.held() {
		q.at = time.Now() // only a held event waits, and only it needs the time
	}
	if o.head > 0 && o.head >= len(o.queue)/2 {
		// Read events make up half the slice: move the rest to its
		// start, so that a queue that never empties does not grow.
		n := copy(o.queue, o.queue[o.head:])
		o.queue, o.head = o.queue[:n], 0
	}
	o.queue = append(o.queue, q)
}

// decode turns the BPF program's record into an Event.
func (o *Observer) decode(r *bpfEvent) Event {
	e := Event{
		Kind:        Kind(r.Kind),
		Mono:        time.Duration(r.Mono),
		Cookie:      r.Cookie,
		Netns:       r.Netns,
		State:       tcpstate.State(r.State),
		OldState:    tcpstate.State(r.OldState),
		NoSocket:    r.Flags&flagNoSocket != 0,
		Cgroup:      r.Cgroup,
		Orphan:      r.Flags&flagOrphan != 0,
		OnCPU:       int(r.CpuPid),
		Retransmits: int(r.Retransmits),
		Errno:       syscall.Errno(r.Err), // sk_err holds a positive errno
	}
	if r.Flags&flagQueues != 0 {
		e.Unread, e.Unacked, e.Queues = r.Unread, r.Unacked, true
	}
	if r.Flags&flagHasReason != 0 {
		e.HasReason = true
		if e.Kind == Drop {
			e.Reason = o.drops[r.Reason]
			if e.Reason == "" {
				e.Reason = "REASON_" + strconv.FormatUint(uint64(r.Reason), 10)
			}
		} else {
			e.Reason = reasonName(o.reasons, r.Reason)
		}
	}
	if e.Kind == ReceiveReset && r.Flags&(flagWantError|flagReported) == flagWantError && !o.cfg.Reports {
		e.ErrnoPending = true // paired in take, unless the kernel did it
	}
	e.Local = addrPort(r.Family, r.Saddr, r.Sport)
	e.Remote = addrPort(r.Family, r.Daddr, r.Dport)
	if ow := r.Owner; Attribution(ow.How) != None {
		e.Owner = Owner{
			PID:      int(ow.Pid),
			TID:      int(ow.Tid),
			Comm:     o.comm(ow.Comm),
			Cgroup:   ow.Cgroup,
			How:      Attribution(ow.How),
			Listener: r.Flags&flagListener != 0,
		}
	}
	return e
}

// The BPF program's event flags.
const (
	flagOrphan    = 1
	flagNoSocket  = 2
	flagQueues    = 4
	flagWantError = 8
	flagHasReason = 16
	flagListener  = 32
	flagReported  = 64
)

func addrPort(family uint8, a [16]uint8, port uint16) netip.AddrPort {
	var ip netip.Addr
	if family == unix.AF_INET6 {
		ip = netip.AddrFrom16(a).Unmap()
	} else {
		ip = netip.AddrFrom4([4]byte(a[:4]))
	}
	return netip.AddrPortFrom(ip, port)
}

// maxComms bounds the command names kept.
const maxComms = 4096

func (o *Observer) comm(c [16]int8) string {
	if s, ok := o.comms[c]; ok {
		return s
	}
	if len(o.comms) >= maxComms {
		clear(o.comms)
	}
	s := cstring(c[:])
	o.comms[c] = s
	return s
}

func cstring(b []int8) string {
	s := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}

// Close detaches and unloads everything; a Read in progress returns
// ErrClosed once the events already read are returned.
func (o *Observer) Close() error {
	o.closeMu.Lock()
	defer o.closeMu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	return o.release()
}

func (o *Observer) release() error {
	var errs []error
	if o.rd != nil {
		errs = append(errs, o.rd.Close())
	}
	for _, l := range o.links {
		errs = append(errs, l.Close())
	}
	if o.coll != nil {
		o.coll.Close()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("kernel observer: close: %w", err)
	}
	return nil
}
