package scenario

import "strings"

// Errnos are the errno names a result may use: the POSIX and Linux errors
// that socket and pipe calls return. Names that are one errno on Linux are
// accepted and read as one: EWOULDBLOCK as EAGAIN, ENOTSUP as EOPNOTSUPP
// (see CanonicalErrno).
var Errnos = []string{
	"EPIPE", "ECONNRESET", "ECONNABORTED", "ECONNREFUSED", "ETIMEDOUT",
	"EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN", "ENETRESET",
	"ENOTCONN", "ESHUTDOWN", "EAGAIN", "EWOULDBLOCK", "EINTR",
	"EINPROGRESS", "EALREADY", "EISCONN", "EADDRINUSE", "EADDRNOTAVAIL",
	"EBADF", "EMFILE", "ENFILE", "ENOBUFS", "EINVAL", "ENOTSOCK",
	"EOPNOTSUPP", "EPROTONOSUPPORT", "EPROTOTYPE", "EPROTO", "EAFNOSUPPORT",
	"EFAULT", "ENOENT", "EACCES", "EPERM", "ENOPROTOOPT", "EDESTADDRREQ",
	"EMSGSIZE", "ENOMEM", "ESPIPE", "EIO", "ENAMETOOLONG", "ENOTDIR",
	"EROFS", "ENOSPC", "ENOTSUP",
}

// errnoAliases are the names that Linux gives one number, each to the name
// results use for it.
var errnoAliases = map[string]string{
	"EWOULDBLOCK": "EAGAIN",
	"ENOTSUP":     "EOPNOTSUPP",
}

// CanonicalErrno returns the name results use for the errno called name:
// EAGAIN for EWOULDBLOCK, EOPNOTSUPP for ENOTSUP (one errno each on
// Linux), name itself otherwise. The parser reads expected results with
// it, and the lab names what the kernel returned with it, so that the two
// compare equal.
func CanonicalErrno(name string) string {
	if c, ok := errnoAliases[name]; ok {
		return c
	}
	return name
}

// States are the TCP state names an "expect state" statement may use, as
// Linux spells them (CLOSE also stands for a connection the kernel has
// forgotten).
var States = []string{
	"ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
	"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
	"NEW_SYN_RECV",
}

// Options are the socket options setsockopt and getsockopt accept by name.
// The timeouts SO_RCVTIMEO and SO_SNDTIMEO are in milliseconds, SO_LINGER
// in seconds (or "off"), the TCP keepalive knobs in seconds,
// TCP_USER_TIMEOUT in milliseconds, the buffer sizes in bytes, and the
// switches 0 or 1.
var Options = []string{
	"SO_LINGER", "SO_KEEPALIVE", "TCP_KEEPIDLE", "TCP_KEEPINTVL",
	"TCP_KEEPCNT", "TCP_USER_TIMEOUT", "TCP_NODELAY", "SO_RCVBUF",
	"SO_SNDBUF", "TCP_LINGER2", "SO_REUSEADDR", "SO_RCVTIMEO", "SO_SNDTIMEO",
	"TCP_FASTOPEN", "TCP_FASTOPEN_CONNECT", "IPV6_V6ONLY", "SO_OOBINLINE",
}

// ReadOnlyOptions are the options only getsockopt accepts.
var ReadOnlyOptions = []string{"SO_ERROR", "SO_TYPE", "SO_ACCEPTCONN"}

// PollEvents are the names a poll result may combine with '|'.
var PollEvents = []string{
	"POLLIN", "POLLOUT", "POLLRDHUP", "POLLHUP", "POLLERR", "POLLPRI", "POLLNVAL",
}

// EpollEvents are the names an epoll result may combine with '|'.
var EpollEvents = []string{
	"EPOLLIN", "EPOLLOUT", "EPOLLRDHUP", "EPOLLHUP", "EPOLLERR", "EPOLLPRI",
}

// Limits on values written in a scenario.
const (
	maxBytes    = 16 << 20 // write, send and read sizes
	maxDuration = 60e9     // one minute, in nanoseconds
	maxInt      = 1<<31 - 1
)

// Operations are the operations a statement may name, in the order
// messages list them. The runner implements each (a test in lab checks it).
var Operations = []string{
	string(OpSocket), string(OpBind), string(OpListen), string(OpConnect),
	string(OpAccept), string(OpWrite), string(OpSend), string(OpRead),
	string(OpClose), string(OpShutdown), string(OpLinger), string(OpNonblock),
	string(OpSetsockopt), string(OpGetsockopt), string(OpPoll),
	string(OpEpoll), string(OpDup), string(OpUnlink),
}

// AsyncOperations are the operations that may end in "async".
var AsyncOperations = []string{string(OpRead), string(OpWrite), string(OpSend), string(OpPoll), string(OpAccept), string(OpConnect)}

// FaultKinds are the faults "fault KIND HOST" may name.
var FaultKinds = []string{
	string(FaultDrop), string(FaultUnreachable), string(FaultNoRoute),
	string(FaultReboot), string(FaultHeal),
}

// UnreachAnswers are the ICMP errors "fault unreachable HOST ANSWER" may
// make the router send; the first is the default.
var UnreachAnswers = []string{"host", "net", "port", "protocol", "prohibited", "fragmentation"}

// ShutdownHows are the directions of shutdown.
var ShutdownHows = []string{"rd", "wr", "rdwr"}

// RecvFlags are the recv(2) flags a read may give: MSG_PEEK, MSG_WAITALL,
// MSG_OOB and MSG_TRUNC.
var RecvFlags = []string{"peek", "waitall", "oob", "trunc"}

// TookComparisons are the comparisons "expect took" may make.
var TookComparisons = []string{"<", "<=", ">", ">="}

// PollRequests are the events poll and epoll may ask for.
var PollRequests = []string{"in", "out", "rdhup", "pri"}

var (
	headerKeywords = []string{"scenario", "title", "source", "note", "slow", "on", "setup", "limit", "net"}
	// statementKeywords start statements; they cannot name actors.
	statementKeywords = append(append([]string(nil), headerKeywords...), "expect", "sleep", "fault", "sysctl", "inject")
	expectKinds       = []string{
		string(ExpectWire), string(ExpectReason), string(ExpectState),
		string(ExpectRecvQ), string(ExpectSendQ), string(ExpectUnread),
		string(ExpectTook),
	}
	setups         = []string{string(SetupConnected), string(SetupListening), string(SetupNone)}
	nets           = []string{string(NetLoopback), string(NetDirect), string(NetRouted)}
	readOptions    = append([]string{"nonblock", "timeout", "interrupt"}, RecvFlags...)
	transportWords = transportNames()
)

func transportNames() []string {
	var s []string
	for _, t := range Transports {
		s = append(s, string(t))
	}
	return append(s, "tcp", "local", "all")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// oneOf writes a list for a message: "a, b or c".
func oneOf(list []string) string {
	switch len(list) {
	case 0:
		return ""
	case 1:
		return list[0]
	}
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}

// Suggest returns the candidate closest to word, or "" when none is close
// enough to be a likely misspelling. Case differences cost nothing, so
// "econnreset" suggests "ECONNRESET". The parser uses it for every name it
// rejects; the command line uses it for scenario ids.
func Suggest(word string, candidates ...[]string) string {
	if word == "" || len(word) > 64 {
		return ""
	}
	lw := strings.ToLower(word)
	best, bestD := "", 1<<30
	for _, list := range candidates {
		for _, c := range list {
			if c == word {
				continue
			}
			lc := strings.ToLower(c)
			d := distance(lw, lc)
			if len(word) <= 2 && d > 0 && !strings.HasPrefix(lc, lw) {
				// One edit turns any short word into any other;
				// only a truncation is a likely slip.
				continue
			}
			if d < bestD {
				best, bestD = c, d
			}
		}
	}
	if bestD > maxDistance(len(word)) {
		return ""
	}
	return best
}

// didYouMean is suggest as the end of a message.
func didYouMean(word string, candidates ...[]string) string {
	if s := Suggest(word, candidates...); s != "" {
		return " (did you mean \"" + s + "\"?)"
	}
	return ""
}

func maxDistance(n int) int {
	if n <= 4 {
		return 1
	}
	return (n + 1) / 3
}

// distance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of adjacent bytes each
// cost one.
func distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
