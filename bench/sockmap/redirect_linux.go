package main

import (
	"errors"
	"fmt"
	"net"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// A redirector makes the kernel forward each byte a socket receives out of
// its peer socket, without waking user space: a sockhash of sockets keyed
// by socket cookie, a hash from each cookie to its peer's, and an sk_skb
// verdict program that redirects every skb to the peer, or passes it to the
// socket's own receive queue when the socket has no peer.
type redirector struct {
	socks, peers *ebpf.Map
	prog         *ebpf.Program
}

func newRedirector() (r *redirector, err error) {
	r = new(redirector)
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	if r.socks, err = ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.SockHash, KeySize: 8, ValueSize: 8, MaxEntries: 64}); err != nil {
		return nil, fmt.Errorf("create the sockhash: %w", err)
	}
	if r.peers, err = ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Hash, KeySize: 8, ValueSize: 8, MaxEntries: 64}); err != nil {
		return nil, fmt.Errorf("create the peer map: %w", err)
	}
	insns := asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1), // the skb
		asm.FnGetSocketCookie.Call(),
		asm.StoreMem(asm.RFP, -8, asm.R0, asm.DWord),
		asm.LoadMapPtr(asm.R1, r.peers.FD()),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, -8),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "pass"),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
		asm.StoreMem(asm.RFP, -16, asm.R1, asm.DWord),
		asm.Mov.Reg(asm.R1, asm.R6),
		asm.LoadMapPtr(asm.R2, r.socks.FD()),
		asm.Mov.Reg(asm.R3, asm.RFP),
		asm.Add.Imm(asm.R3, -16),
		asm.Mov.Imm(asm.R4, 0), // egress of the peer
		asm.FnSkRedirectHash.Call(),
		asm.Return(),
		asm.Mov.Imm(asm.R0, 1).WithSymbol("pass"), // SK_PASS
		asm.Return(),
	}
	if r.prog, err = ebpf.NewProgram(&ebpf.ProgramSpec{
		Type: ebpf.SkSKB, AttachType: ebpf.AttachSkSKBVerdict, Instructions: insns, License: "GPL",
	}); err != nil {
		return nil, fmt.Errorf("load the sk_skb verdict program: %w", err)
	}
	if err = link.RawAttachProgram(link.RawAttachProgramOptions{
		Target: r.socks.FD(), Program: r.prog, Attach: ebpf.AttachSkSKBVerdict,
	}); err != nil {
		return nil, fmt.Errorf("attach the verdict program to the sockhash: %w", err)
	}
	return r, nil
}

// close releases the program and the maps; the kernel frees them, and
// detaches the program, with their last descriptor.
func (r *redirector) close() {
	if r.prog != nil {
		r.prog.Close()
	}
	for _, m := range []*ebpf.Map{r.peers, r.socks} {
		if m != nil {
			m.Close()
		}
	}
}

// add redirects what a receives out of b, and what b receives out of a.
func (r *redirector) add(a, b *net.TCPConn) error {
	ia, err := identify(a)
	if err != nil {
		return err
	}
	ib, err := identify(b)
	if err != nil {
		return err
	}
	for _, s := range []struct{ self, peer sockID }{{ia, ib}, {ib, ia}} {
		if err := r.socks.Update(s.self.cookie, uint64(s.self.fd), ebpf.UpdateAny); err != nil {
			return fmt.Errorf("add a socket to the sockhash: %w", err)
		}
		if err := r.peers.Update(s.self.cookie, s.peer.cookie, ebpf.UpdateAny); err != nil {
			return fmt.Errorf("add a peer: %w", err)
		}
	}
	return nil
}

// remove ends the redirection of a and b: what they receive from then on
// waits in their own receive queues.
func (r *redirector) remove(a, b *net.TCPConn) error {
	var errs []error
	for _, c := range []*net.TCPConn{a, b} {
		id, err := identify(c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, r.peers.Delete(id.cookie), r.socks.Delete(id.cookie))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove a pair from the redirection: %w", err)
	}
	return nil
}

type sockID struct {
	fd     int
	cookie uint64
}

func identify(c *net.TCPConn) (sockID, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return sockID{}, fmt.Errorf("socket cookie: %w", err)
	}
	var id sockID
	var gerr error
	if err := rc.Control(func(fd uintptr) {
		id.fd = int(fd)
		id.cookie, gerr = unix.GetsockoptUint64(int(fd), unix.SOL_SOCKET, unix.SO_COOKIE)
	}); err != nil {
		return sockID{}, fmt.Errorf("socket cookie: %w", err)
	}
	if gerr != nil {
		return sockID{}, fmt.Errorf("socket cookie: %w", gerr)
	}
	return id, nil
}
