package main

import (
	"bufio"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"time"
)

// ending is how a generated connection ends.
type ending int

const (
	endFIN ending = iota
	endRST
	endRefused
	endSYNTimeout
	endOpen
)

// genConn is one connection being generated.
type genConn struct {
	cli, srv     [4]byte
	cport, sport uint16
	cseq, sseq   uint32
	step, chunks int
	end          ending
}

// generate writes a pcap file (Ethernet, microseconds) of about size bytes
// with open connections at once, interleaved as on a busy server; most end
// with FINs, the rest by RST, refusal, SYN timeout, or stay open. It
// returns the number of packets written.
func generate(w io.Writer, size int64, open int, seed uint64) (int, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var hdr [24]byte
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	bw.Write(hdr[:])
	written := int64(len(hdr))
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var frame [14 + 20 + 32 + 1448]byte
	frame[12], frame[13] = 0x08, 0x00
	n, next := 0, 0
	newConn := func() *genConn {
		next++
		c := &genConn{
			cli:   [4]byte{198, 18, byte(next >> 16), byte(next >> 8)},
			srv:   [4]byte{198, 19, 0, byte(1 + next%50)},
			cport: uint16(1024 + next%60000), sport: 443,
			cseq: rng.Uint32(), sseq: rng.Uint32(),
			chunks: 1 + rng.IntN(12),
		}
		switch r := rng.IntN(100); {
		case r < 75:
			c.end = endFIN
		case r < 87:
			c.end = endRST
		case r < 93:
			c.end = endRefused
		case r < 96:
			c.end = endSYNTimeout
		default:
			c.end = endOpen
		}
		return c
	}
	conns := make([]*genConn, open)
	for i := range conns {
		conns[i] = newConn()
	}
	emit := func(c *genConn, fromCli bool, flags byte, seq, ack uint32, plen int) error {
		b := frame[:14+20+32+plen]
		ip := b[14:]
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+32+plen))
		binary.BigEndian.PutUint16(ip[4:], uint16(n))
		ip[6], ip[8], ip[9] = 0x40, 64, 6
		src, dst, sp, dp := c.cli, c.srv, c.cport, c.sport
		if !fromCli {
			src, dst, sp, dp = c.srv, c.cli, c.sport, c.cport
		}
		copy(ip[12:], src[:])
		copy(ip[16:], dst[:])
		tcp := ip[20:]
		binary.BigEndian.PutUint16(tcp[0:], sp)
		binary.BigEndian.PutUint16(tcp[2:], dp)
		binary.BigEndian.PutUint32(tcp[4:], seq)
		binary.BigEndian.PutUint32(tcp[8:], ack)
		tcp[12], tcp[13] = 8<<4, flags
		binary.BigEndian.PutUint16(tcp[14:], 501)
		copy(tcp[20:], []byte{1, 1, 8, 10, 0, 0, 0, byte(n), 0, 0, 0, 1}) // NOP NOP timestamps
		t = t.Add(time.Duration(5+rng.IntN(40)) * time.Microsecond)
		var rh [16]byte
		binary.LittleEndian.PutUint32(rh[0:], uint32(t.Unix()))
		binary.LittleEndian.PutUint32(rh[4:], uint32(t.Nanosecond()/1000))
		binary.LittleEndian.PutUint32(rh[8:], uint32(len(b)))
		binary.LittleEndian.PutUint32(rh[12:], uint32(len(b)))
		bw.Write(rh[:])
		_, err := bw.Write(b)
		written += int64(len(b) + 16)
		n++
		return err
	}
	const (
		fin, syn, rst, psh, ack = 1, 2, 4, 8, 16
	)
	for written < size {
		i := rng.IntN(len(conns))
		c := conns[i]
		var err error
		done := false
		switch s := c.step; {
		case s == 0:
			err = emit(c, true, syn, c.cseq, 0, 0)
			c.cseq++
			if c.end == endSYNTimeout {
				done = true
			}
		case s == 1 && c.end == endRefused:
			err = emit(c, false, rst|ack, 0, c.cseq, 0)
			done = true
		case s == 1:
			err = emit(c, false, syn|ack, c.sseq, c.cseq, 0)
			c.sseq++
		case s == 2:
			err = emit(c, true, ack, c.cseq, c.sseq, 0)
		case s == 3:
			err = emit(c, true, psh|ack, c.cseq, c.sseq, 300)
			c.cseq += 300
		case s < 4+2*c.chunks:
			if (s-4)%2 == 0 {
				err = emit(c, false, ack, c.sseq, c.cseq, 1448)
				c.sseq += 1448
			} else {
				err = emit(c, true, ack, c.cseq, c.sseq, 0)
			}
		default:
			switch c.end {
			case endRST:
				err = emit(c, false, rst|ack, c.sseq, c.cseq, 0)
				done = true
			case endOpen:
				done = true
			default:
				switch s - (4 + 2*c.chunks) {
				case 0:
					err = emit(c, false, fin|ack, c.sseq, c.cseq, 0)
					c.sseq++
				case 1:
					err = emit(c, true, fin|ack, c.cseq, c.sseq, 0)
					c.cseq++
				default:
					err = emit(c, false, ack, c.sseq, c.cseq, 0)
					done = true
				}
			}
		}
		if err != nil {
			return n, err
		}
		c.step++
		if done {
			conns[i] = newConn()
		}
	}
	return n, bw.Flush()
}
