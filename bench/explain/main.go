//go:build linux

// Command explain measures "teardown explain --lines" on a generated log,
// side by side with "grep -c" on the same file as the floor: the rate no
// line-by-line reader can beat by much.
//
//	go run ./bench/explain [-mb 1024] [-errors 10]
//
// It builds teardown, writes a log of the given size (text and JSON lines,
// one in -errors an error line from one of several ecosystems) to a
// temporary file, runs both commands on it, and prints lines per second,
// the ratio, and each process's maximum resident size. The file is
// removed at the end, also on failure or interrupt. Linux only: it reads
// the maximum resident size from the kernel's rusage, in kilobytes.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// normal lines are what most of a log is.
var normal = []string{
	`2026-11-21T05:00:00.123Z INFO http: GET /api/v1/items/%d 200 3.1ms client=198.18.0.7:50412 ua="curl/8.5"`,
	`2026-11-21T05:00:00.124Z DEBUG cache hit key=items:%d size=1834 ttl=59s`,
	`2026-11-21T05:00:00.125Z INFO http: POST /api/v1/orders 201 12.8ms client=198.18.0.8:%d`,
	`2026-11-21T05:00:00.126Z WARN slow query took %dms: SELECT * FROM items WHERE id = $1`,
	`{"level":"info","ts":"2026-11-21T05:00:00.127Z","msg":"request served","status":200,"ms":%d}`,
	`198.18.0.1:5000 [21/Nov/2026:05:00:00.000] fe be/srv1 0/0/1/%d/5 200 512 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1"`,
	`[2026-11-21T05:00:00.000Z] "GET /x HTTP/1.1" 200 - 0 %d 3 2 "-" "curl/8.5" "id" "svc" "198.18.0.9:80"`,
	`2026-11-21T05:00:00.129Z INFO worker 3 picked job %d from queue default`,
	`{"level":"info","ts":"2026-11-21T05:00:00.131Z","msg":"flushed metrics","series":%d}`,
}

// errorLines are the error lines, one of each ecosystem in turn.
var errorLines = []string{
	`2026-11-21T05:00:00.132Z ERROR upstream: Post "http://198.18.0.20:8080/api": read tcp 198.18.0.2:%d->198.18.0.20:8080: read: connection reset by peer`,
	`2026/11/21 05:00:00 [error] 31#31: *%d upstream prematurely closed connection while reading response header from upstream, client: 198.18.0.1`,
	`{"level":"error","ts":"2026-11-21T05:00:00.133Z","msg":"Post \"http://198.18.0.9/\": http: server closed idle connection","attempt":%d}`,
	`java.io.IOException: unexpected end of stream on http://198.18.0.9:%d/...`,
	`[%d] ConnectionResetError: [WinError 10054] An existing connection was forcibly closed by the remote host`,
	`[2026-11-21T05:00:00.000Z] "GET /x HTTP/1.1" 503 UC 0 %d 3 - "-" "curl/8.5" "id" "svc" "198.18.0.9:80"`,
	`198.18.0.1:5000 [21/Nov/2026:05:00:00.000] fe be/srv1 0/0/1/-1/%d 502 0 - - SD-- 1/1/0/0/0 0/0 "GET / HTTP/1.1"`,
	`Error: connect ECONNREFUSED 198.18.0.9:%d`,
}

func main() {
	mb := flag.Int("mb", 1024, "size of the generated log in `MB`")
	every := flag.Int("errors", 10, "one line in `N` is an error line")
	flag.Parse()
	if *mb < 1 || *every < 1 {
		fmt.Fprintln(os.Stderr, "bench/explain: -mb and -errors must be at least 1")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *mb, *every); err != nil {
		fmt.Fprintf(os.Stderr, "bench/explain: %v\n", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, mb, every int) error {
	dir, err := os.MkdirTemp("", "teardown-bench-explain-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "teardown")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/teardown")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build teardown (run from the module root): %w", err)
	}
	log := filepath.Join(dir, "log")
	lines, err := generate(log, int64(mb)<<20, every)
	if err != nil {
		return err
	}
	fmt.Printf("log: %d MB, %d lines, one in %d an error\n", mb, lines, every)
	grep, err := measure(ctx, "grep", "-c", "-i", "error", log)
	if err != nil {
		return err
	}
	td, err := measure(ctx, bin, "explain", "--lines", log)
	if err != nil {
		return err
	}
	for _, m := range []struct {
		name string
		r    result
	}{{"grep -c -i error", grep}, {"teardown explain --lines", td}} {
		fmt.Printf("%-26s %8.2fs %12.0f lines/s  max RSS %4d MB\n", m.name, m.r.wall.Seconds(), float64(lines)/m.r.wall.Seconds(), m.r.maxRSS>>20)
	}
	fmt.Printf("teardown/grep time ratio: %.1f\n", td.wall.Seconds()/grep.wall.Seconds())
	return ctx.Err()
}

// generate writes a log of about size bytes and returns its line count.
func generate(name string, size int64, every int) (int, error) {
	f, err := os.Create(name)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var written int64
	n := 0
	for written < size {
		var line string
		if n%every == every-1 {
			line = errorLines[(n/every)%len(errorLines)]
		} else {
			line = normal[n%len(normal)]
		}
		k, err := fmt.Fprintf(w, line+"\n", 1000+n%60000)
		if err != nil {
			f.Close()
			return 0, err
		}
		written += int64(k)
		n++
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	return n, f.Close()
}

type result struct {
	wall   time.Duration
	maxRSS int64 // bytes
}

// measure runs a command with its output read and discarded and reports its wall
// time and maximum resident size. grep and explain exit 1 when they find
// nothing; both find something in the generated log, so any non-zero
// exit is a failure.
func measure(ctx context.Context, name string, args ...string) (result, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var out strings.Builder
	// A pipe, not /dev/null: GNU grep stops at the first match when its
	// output is /dev/null, which would make the floor meaningless.
	cmd.Stdout = io.Discard
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return result{}, fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out.String())
	}
	r := result{wall: wall}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = int64(ru.Maxrss) << 10 // Linux reports kilobytes
	}
	return r, nil
}
