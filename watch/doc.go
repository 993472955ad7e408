// Package watch turns the kernel observer's events into what an operator
// reads: one record per RST sent or received (and, on request, per socket
// error or state change), with the owning process and cgroup, the errno the
// application is given, and links to teardown explain and the lab's
// scenarios; as text lines, versioned JSON lines, or Prometheus counters.
//
// The JSON schema is documented in docs/watch.md; SchemaVersion names it in
// every record.
package watch
