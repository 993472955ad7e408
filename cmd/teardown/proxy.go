package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/teardown-net/teardown/proxy"
	"github.com/teardown-net/teardown/proxy/toxic"
)

func init() {
	register("proxy", command{
		summary: "run a TCP fault-injection proxy driven by Toxiproxy's HTTP API",
		run:     runProxy,
	})
}

func runProxy(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("teardown proxy", args, stdout, stderr)
	host := fs.String("host", "127.0.0.1", "`address` for the HTTP API to listen on")
	port := fs.String("port", "8474", "`port` for the HTTP API to listen on")
	config := fs.String("config", "", "JSON `file` of proxies to create at start (Toxiproxy's populate format)")
	verbose := fs.Bool("v", false, "log every API request, proxy and connection problem to stderr")
	allowHosts := fs.String("allow-hosts", "", "comma-separated `names` the API answers to in the Host header besides localhost and IP addresses (\"*\": any), e.g. the name of a Docker host")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: teardown proxy [--host ADDR] [--port PORT] [--config FILE] [--allow-hosts NAMES]

Runs a TCP fault-injection proxy that speaks Toxiproxy's HTTP API (v2), so
Toxiproxy clients, test suites and Testcontainers drive it unchanged. It runs
until SIGINT or SIGTERM, then closes every proxy and connection.

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\nToxic types (attributes in docs/proxy.md):\n")
		for _, k := range toxic.Kinds() {
			fmt.Fprintf(fs.Output(), "  %-20s %s\n", k.Name, k.Doc)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			// fs.Parse has printed the usage, to stdout (see flagSet).
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "teardown proxy: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	switch n, err := raiseFileLimit(); {
	case errors.Is(err, errors.ErrUnsupported):
	case err != nil:
		logger.Warn("cannot raise the open-file limit", "err", err)
	case n < 4096:
		// The fast path holds six descriptors per connection.
		logger.Warn("low open-file limit: about one connection per 6 descriptors", "limit", n, "connections", n/6)
	default:
		logger.Debug("open-file limit raised to the hard limit", "limit", n)
	}
	var hosts []string
	for _, h := range strings.Split(*allowHosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	if ip, err := netip.ParseAddr(*host); len(hosts) == 0 && *host != "localhost" && (err != nil || !ip.IsLoopback()) {
		// In a container (--host 0.0.0.0) clients often use a service
		// name, which the Host check refuses.
		logger.Warn("the API answers only to localhost and IP addresses in the Host header; for clients that use a name (a Docker service, say) pass --allow-hosts NAME, or '*'", "host", *host)
	}
	srv := proxy.NewServer(proxy.Options{Logger: logger, Version: version(), AllowedHosts: hosts})
	if *config != "" {
		infos, err := srv.PopulateFile(*config)
		if err != nil {
			fmt.Fprintf(stderr, "teardown proxy: %v\n", err)
			srv.Close()
			return exitUsage
		}
		logger.Info("populated proxies from config", "file", *config, "proxies", len(infos))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := srv.ListenAndServe(ctx, net.JoinHostPort(*host, *port))
	srv.Close()
	if err != nil {
		fmt.Fprintf(stderr, "teardown proxy: %v\n", err)
		return exitUsage
	}
	logger.Info("stopped: every proxy and connection closed")
	return exitOK
}
