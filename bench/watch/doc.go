// Command watch measures teardown watch under load, on Linux as root.
//
// Resets: threads in a network namespace of its own (1, 2 and 4 by default,
// on 2 CPUs) connect to a closed port of 127.0.0.1 as fast as they can (or
// at a set rate); each connect draws one RST sent (NO_SOCKET) and one
// received (SYN_SENT, ECONNREFUSED). A teardown watch child process,
// filtered to that namespace, writes its JSON lines to a file, which this
// process counts once watch has ended (a pipe to this process made its
// reader, starved by the generator, the bottleneck); the namespace's own counter
// (Tcp OutRsts in /proc/net/snmp) says how many RSTs the kernel sent. The
// report gives the events per second watch showed beside the RSTs sent, the
// events it lost, and the CPU watch used (user + system time of its process).
//
// Proxy: the throughput of teardown proxy (in this process, over loopback)
// with teardown watch running unfiltered and without it, in alternating
// rounds.
//
//	go run ./bench/watch            # builds teardown, prints Markdown on stdout
//	go run ./bench/watch -teardown ./teardown -duration 5s -rates 10000,0 -workers 1,4
package main
