// Package kernel observes the Linux kernel's TCP resets, state changes and
// socket errors with eBPF programs on BTF-typed tracepoints
// (tcp:tcp_send_reset, tcp:tcp_receive_reset, sock:inet_sock_set_state,
// sock:inet_sk_error_report), for every network namespace or only those,
// ports and cgroups a caller allows, filtered in the kernel.
//
// Each Event names its socket (cookie, addresses, ports, network namespace,
// cgroup), carries the bytes unread and unacknowledged at that moment, the
// kernel's reason for an RST it sent (names read from the running kernel),
// and the socket's Owner: the process recorded when a task last acted on the
// socket with its lock held (connect, listen, send, receive, close), or found
// holding it in a walk of every task's files at Open. It is never the task
// an interrupt happened to run on: on loopback the receiver's RST is
// processed in the sender's context.
//
// The observer only observes. It loads its programs and maps without
// pinning them, so they vanish with the process however it ends.
//
// Event and its helpers are portable; Open works on Linux only.
package kernel
