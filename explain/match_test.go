package explain

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestMatch runs real lines, as each program prints them, through the
// matcher: want is the id that must rank first, also lists ids that must be
// among the findings, and not ids that must not be.
func TestMatch(t *testing.T) {
	tests := []struct {
		name  string
		input string
		os    string
		want  string
		also  []string
		not   []string
	}{
		// Go, as printed on this host by the net package.
		{"go read reset", "read tcp 10.0.0.1:5432->10.0.0.2:80: read: connection reset by peer", "", "ECONNRESET", nil, []string{"EOF"}},
		{"go write pipe", "write tcp 127.0.0.1:42810->127.0.0.1:18081: write: broken pipe", "", "EPIPE", nil, nil},
		{"go dial refused", "dial tcp 127.0.0.1:1: connect: connection refused", "", "ECONNREFUSED", nil, nil},
		{"go deadline", "read tcp 127.0.0.1:58888->127.0.0.1:18083: i/o timeout", "", "DEADLINE", nil, []string{"ETIMEDOUT"}},
		{"go closed", "read tcp 127.0.0.1:58888->127.0.0.1:18083: use of closed network connection", "", "USE_OF_CLOSED", nil, nil},
		{"go eof", "EOF", "", "EOF", nil, nil},
		// io.ErrUnexpectedEOF: crypto/tls returns it for a connection that
		// ends inside a record, net/http for a body cut short of its
		// Content-Length; the text cannot tell which, so both are found.
		{"go unexpected eof", "local error: unexpected EOF", "", "EOF", []string{"TLS_NO_CLOSE_NOTIFY"}, nil},
		{"go windows", "wsarecv: An existing connection was forcibly closed by the remote host.", "", "ECONNRESET", nil, nil},
		{"go context", "Get \"http://x\": context deadline exceeded", "", "DEADLINE", nil, nil},
		// C programs: strerror on each system, and perror's format.
		{"glibc perror", "recv: Connection reset by peer", "", "ECONNRESET", nil, nil},
		{"macos timeout", "connect: Operation timed out", "", "ETIMEDOUT", nil, nil},
		{"glibc timeout", "connect: Connection timed out", "", "ETIMEDOUT", nil, nil},
		{"musl ewouldblock", "read: Operation would block", "", "EAGAIN", nil, nil},
		{"emfile vs enfile", "accept4: Too many open files in system", "", "ENFILE", nil, []string{"EMFILE"}},
		{"emfile", "accept4: Too many open files", "", "EMFILE", nil, []string{"ENFILE"}},
		{"enotconn glibc", "Transport endpoint is not connected", "", "ENOTCONN", nil, nil},
		// Python.
		{"python reset", "ConnectionResetError: [Errno 104] Connection reset by peer", "", "ECONNRESET", nil, nil},
		{"python pipe", "BrokenPipeError: [Errno 32] Broken pipe", "", "EPIPE", nil, nil},
		{"python refused", "ConnectionRefusedError: [Errno 111] Connection refused", "", "ECONNREFUSED", nil, nil},
		{"python winerror", "ConnectionResetError: [WinError 10054] An existing connection was forcibly closed by the remote host", "", "ECONNRESET", nil, nil},
		{"python http", "http.client.RemoteDisconnected: Remote end closed connection without response", "", "EOF", nil, nil},
		{"python ssl", "ssl.SSLEOFError: [SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol (_ssl.c:2580)", "", "TLS_NO_CLOSE_NOTIFY", nil, []string{"EOF"}},
		{"python timeout", "TimeoutError: timed out", "", "DEADLINE", nil, nil},
		// Java.
		{"java reset", "java.net.SocketException: Connection reset\n\tat java.base/sun.nio.ch.NioSocketImpl.implRead(NioSocketImpl.java:318)", "", "ECONNRESET", nil, nil},
		{"java pipe", "java.net.SocketException: Broken pipe", "", "EPIPE", nil, nil},
		{"java refused", "java.net.ConnectException: Connection refused", "", "ECONNREFUSED", nil, nil},
		{"java timeout", "java.net.SocketTimeoutException: Read timed out", "", "DEADLINE", nil, nil},
		{"java closed", "java.net.SocketException: Socket is closed", "", "USE_OF_CLOSED", nil, nil},
		// Node.
		{"node reset", "Error: read ECONNRESET\n    at TCP.onStreamRead (node:internal/stream_base_commons:217:20) {\n  errno: -104,\n  code: 'ECONNRESET',\n  syscall: 'read'\n}", "", "ECONNRESET", nil, nil},
		{"node refused", "Error: connect ECONNREFUSED 127.0.0.1:1", "", "ECONNREFUSED", nil, nil},
		{"node hang up", "Error: socket hang up\n    at connResetException (node:internal/errors:720:14) {\n  code: 'ECONNRESET'\n}", "", "EOF", []string{"ECONNRESET"}, nil},
		{"node epipe", "Error: write EPIPE", "", "EPIPE", nil, nil},
		// Rust.
		{"rust reset", "Error: Os { code: 104, kind: ConnectionReset, message: \"Connection reset by peer\" }", "", "ECONNRESET", nil, nil},
		{"rust display", "Connection reset by peer (os error 104)", "", "ECONNRESET", nil, nil},
		{"rust eof", "Error: Kind(UnexpectedEof)", "", "EOF", nil, nil},
		// curl.
		{"curl reset", "curl: (56) Recv failure: Connection reset by peer", "", "ECONNRESET", nil, nil},
		{"curl empty", "curl: (52) Empty reply from server", "", "EOF", nil, nil},
		{"curl timeout", "curl: (28) Operation timed out after 1000 milliseconds with 0 bytes received", "", "DEADLINE", nil, []string{"ETIMEDOUT"}},
		{"curl connect", "curl: (7) Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server", "", "ECONNREFUSED", []string{"ETIMEDOUT", "EHOSTUNREACH"}, nil},
		// Servers and clients.
		{"nginx reset", "2026/11/21 05:00:00 [error] 31#31: *1 recv() failed (104: Connection reset by peer) while reading response header from upstream, client: 198.18.0.1, server: _, request: \"GET / HTTP/1.1\", upstream: \"http://198.18.0.2:8080/\"", "", "ECONNRESET", nil, nil},
		{"nginx premature", "2026/11/21 05:00:00 [error] 31#31: *7 upstream prematurely closed connection while reading response header from upstream, client: 198.18.0.1", "", "EOF", nil, nil},
		{"nginx refused", "connect() failed (111: Connection refused) while connecting to upstream", "", "ECONNREFUSED", nil, nil},
		{"nginx timeout", "upstream timed out (110: Connection timed out) while reading response header from upstream", "", "DEADLINE", nil, []string{"ETIMEDOUT"}},
		{"haproxy SD", "198.18.0.1:5000 [21/Nov/2026:05:00:00.000] fe be/srv1 0/0/1/-1/5 502 0 - - SD-- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\"", "", "ECONNRESET", nil, nil},
		{"haproxy sH", "fe be/srv1 0/0/1/-1/30001 504 194 - - sH-- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\"", "", "DEADLINE", nil, nil},
		{"envoy body", "upstream connect error or disconnect/reset before headers. reset reason: connection termination", "", "EOF", []string{"ECONNRESET"}, nil},
		{"envoy UT", "[2026-11-21T05:00:00.000Z] \"GET / HTTP/1.1\" 504 UT 0 24 15000 - \"-\"", "", "DEADLINE", nil, nil},
		{"psql", "psql: error: connection to server at \"127.0.0.1\", port 18082 failed: server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.", "", "EOF", nil, nil},
		{"psql refused", "psql: error: connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?", "", "ECONNREFUSED", nil, nil},
		{"mysql lost", "ERROR 2013 (HY000): Lost connection to MySQL server during query", "", "EOF", nil, nil},
		{"mysql gone", "ERROR 2006 (HY000): MySQL server has gone away", "", "EOF", nil, nil},
		{"mysql connect", "ERROR 2003 (HY000): Can't connect to MySQL server on 'db:3306' (111)", "", "ECONNREFUSED", nil, nil},
		{"redis closed", "redis.exceptions.ConnectionError: Connection closed by server.", "", "EOF", nil, nil},
		{"redis refused", "redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.", "", "ECONNREFUSED", nil, nil},
		{"grpc eof", "rpc error: code = Unavailable desc = error reading from server: EOF", "", "EOF", nil, nil},
		{"grpc deadline", "rpc error: code = DeadlineExceeded desc = context deadline exceeded", "", "DEADLINE", nil, nil},
		{"grpc python", "grpc._channel._InactiveRpcError: status = StatusCode.DEADLINE_EXCEEDED", "", "DEADLINE", nil, nil},
		{"openssl", "SSL_read: error:0A000126:SSL routines::unexpected eof while reading", "", "TLS_NO_CLOSE_NOTIFY", nil, nil},
		// glibc translations.
		{"de", "Die Verbindung wurde vom Kommunikationspartner zurückgesetzt", "", "ECONNRESET", nil, nil},
		{"zh_CN", "写入失败: 断开的管道", "", "EPIPE", nil, nil},
		{"fr", "connect: Connexion refusée", "", "ECONNREFUSED", nil, nil},
		{"ja", "接続が相手からリセットされました", "", "ECONNRESET", nil, nil},
		{"ru lower case", "соединение разорвано другой стороной", "", "ECONNRESET", nil, nil},
		// Observed inside a network namespace: no route, unreachable route,
		// a silent neighbour.
		{"java no route", "java.net.NoRouteToHostException: No route to host", "", "EHOSTUNREACH", nil, nil},
		{"java net unreachable", "java.net.SocketException: Network is unreachable", "", "ENETUNREACH", nil, nil},
		{"java connect timed out", "java.net.ConnectException: Connection timed out", "", "ETIMEDOUT", nil, []string{"DEADLINE"}},
		{"java connect timeout", "java.net.SocketTimeoutException: Connect timed out", "", "DEADLINE", nil, []string{"ETIMEDOUT"}},
		{"node etimedout", "Error: connect ETIMEDOUT 198.18.0.2:80", "", "ETIMEDOUT", nil, nil},
		{"node enetunreach", "Error: connect ENETUNREACH 198.19.0.1:80 - Local (0.0.0.0:0)", "", "ENETUNREACH", nil, nil},
		{"curl kernel timeout", "curl: (28) Failed to connect to 198.18.0.2 port 80 after 3081 ms: Couldn't connect to server", "", "ETIMEDOUT", nil, nil},
		{"curl own timeout", "curl: (28) Connection timed out after 1001 milliseconds", "", "DEADLINE", nil, []string{"ETIMEDOUT"}},
		{"go no route", "dial tcp 198.18.5.1:80: connect: no route to host", "", "EHOSTUNREACH", nil, nil},
		// Mobile, browsers, brokers and tools, from public issue threads
		// (the training part of testdata/corpus.jsonl).
		{"okhttp stream reset", "okhttp3.internal.http2.StreamResetException: stream was reset: CANCEL", "", "RST_STREAM", nil, nil},
		{"okhttp refused stream", "Exception in thread 4: java.util.concurrent.CompletionException: okhttp3.internal.http2.StreamResetException: stream was reset: REFUSED_STREAM", "", "REFUSED_STREAM", nil, nil},
		{"firefox eof", "Secure Connection Failed  An error occurred during a connection to mullvad.net. PR_END_OF_FILE_ERROR  Error code: PR_END_OF_FILE_ERROR", "", "EOF", nil, nil},
		{"rabbitmq heartbeats", "missed heartbeats from client, timeout: 10s", "", "DEADLINE", nil, nil},
		// gRPC's own words for a connection that went away, from the threads
		// of the corpus: grpc-java's Netty and OkHttp transports, C core's
		// "Socket closed" (an EOF, not Java's local close), its keepalive
		// watchdog and RST_STREAM codes, and grpc-java's HTTP/2 error names.
		{"grpc-java netty closed", "RPC failed: Network closed for unknown reason", "", "EOF", nil, nil},
		{"grpc-java okhttp closed", `msg : "Channel shutdownNow invoked"  or  "End of stream or IOException".`, "", "EOF", []string{"ECONNRESET"}, nil},
		{"grpc core socket closed", "\tdetails = \"Socket closed\"", "", "EOF", nil, []string{"USE_OF_CLOSED"}},
		{"grpc core socket closed json", `ServerReflectionInfo rpc failed. Error code: 14, message: Socket closed, debug info: {"created":"@1584562584.361506253","description":"Error received from peer ipv4:104.196.16.37:443","file":"src/core/lib/surface/call.cc","file_line":1056,"grpc_message":"Socket closed","grpc_status":14}`, "", "EOF", nil, []string{"USE_OF_CLOSED"}},
		{"grpc core socket closed peer", "failed to connect to all addresses; last error: UNAVAILABLE: ipv4:127.0.0.1:7890: Socket closed", "", "EOF", nil, []string{"USE_OF_CLOSED"}},
		{"grpc keepalive watchdog", "io.grpc.StatusRuntimeException: UNAVAILABLE: keepalive watchdog timeout", "", "DEADLINE", nil, nil},
		{"grpc core refused stream", "{ Error: 14 UNAVAILABLE: Received RST_STREAM with error code 7", "", "REFUSED_STREAM", nil, nil},
		{"grpc-java rst stream", "INTERNAL: HTTP/2 error code: INTERNAL_ERROR Received Rst Stream (with error code 2)", "", "RST_STREAM", nil, []string{"REFUSED_STREAM"}},
		// QUIC's idle timer (quic-go), Kafka's in-flight disconnect, libpq's
		// SSL_ERROR_SYSCALL with errno 0, Jetty's EofException.
		{"quic-go idle", "Hello, can you help me find out what causes the timeout: no recent network activity error?", "", "DEADLINE", nil, []string{"ETIMEDOUT"}},
		{"kafka in flight", "java.io.IOException: Connection to 1001 was disconnected before the response was read", "", "EOF", nil, nil},
		{"libpq syscall success", "The lambda randomly gets an OperationalError with the following message: `SSL SYSCALL error: Success`", "", "EOF", []string{"TLS_NO_CLOSE_NOTIFY"}, nil},
		{"jetty eof", "org.eclipse.jetty.io.EofException", "", "EOF", []string{"EPIPE", "ECONNRESET"}, nil},
		{"ios connection lost", `Error Domain=NSURLErrorDomain Code=-1005 "The network connection was lost."`, "", "EOF", []string{"ECONNRESET"}, nil},
		{"ios cannot connect", "The operation couldn’t be completed. (NSURLErrorDomain error -1004.)", "", "ECONNREFUSED", []string{"ETIMEDOUT", "EHOSTUNREACH"}, nil},
		{"ruby open timeout", "Net::OpenTimeout: execution expired", "", "DEADLINE", nil, []string{"ETIMEDOUT"}},
		{"guzzle curl code", `Fatal error: Uncaught exception 'GuzzleHttp\Ring\Exception\RingException' with message 'cURL error 56: See http://curl.haxx.se/libcurl/c/libcurl-errors.html' in C:\wamp\www\location\vendors\guzzlehttp\guzzle\src\Exception\RequestException.php on line 51`, "", "ECONNRESET", nil, nil},
		{"elixir closed", "** (CaseClauseError) no case clause matching: %Mint.TransportError{reason: :closed}", "", "EOF", nil, nil},
		{"rabbitmq client closed", "client unexpectedly closed TCP connection", "", "EOF", []string{"ECONNRESET"}, nil},
		{"kubectl refused", "The connection to the server 172.16.128.128:6443 was refused - did you specify the right host or port?", "", "ECONNREFUSED", nil, nil},
		{"docker daemon", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?", "", "ECONNREFUSED", nil, nil},
		{"botocore read timeout", `botocore.exceptions.ReadTimeoutError: Read timeout on endpoint URL: "https://ec2.us-west-2.amazonaws.com/"`, "", "DEADLINE", nil, nil},
		{"firefox reset", "Secure Connection Failed. An error occurred during a connection to download-installer.cdn.mozilla.net. PR_CONNECT_RESET_ERROR", "", "ECONNRESET", nil, nil},
		{"nats closed", `level=error msg="Error sending to NATS nats: connection closed"`, "", "USE_OF_CLOSED", nil, nil},
		// Tools and clients that say it in words of their own, from the
		// training lines of the fifth batch: OpenSSH's "Connection closed
		// by HOST", rsync's EOF, JSSE's handshake EOF, asyncio's short
		// read, the websockets library's missing close frame, amqplib,
		// nodemailer, the BSD ftp client, undici's timers, Node's "aborted"
		// and its write after the peer's FIN, curl's Winsock abort.
		{"ssh closed by host", "Connection closed by 20.205.243.166 port 22", "", "EOF", nil, nil},
		{"ssh closed by host old", "Connection closed by 50.16.203.53", "", "EOF", nil, nil},
		{"telnet closed by foreign host", "Connection closed by foreign host.", "", "EOF", nil, nil},
		{"rsync eof", "rsync: connection unexpectedly closed (8 bytes received so far) [sender]", "", "EOF", nil, nil},
		{"jsse handshake eof", "            > Remote host closed connection during handshake", "", "EOF", nil, []string{"TLS_NO_CLOSE_NOTIFY"}},
		{"asyncio short read", "asyncio.streams.IncompleteReadError: 0 bytes read on a total of 2 expected bytes", "", "EOF", nil, nil},
		{"websockets no close frame", "websockets.exceptions.ConnectionClosedError: sent 1000 (OK); no close frame received", "", "EOF", []string{"ECONNRESET"}, nil},
		{"websockets keepalive", "websockets.exceptions.ConnectionClosedError: sent 1011 (internal error) keepalive ping timeout; no close frame received", "", "DEADLINE", nil, nil},
		{"websockets 1006", "websockets.exceptions.ConnectionClosedError: code = 1006 (connection closed abnormally [internal]), no reason", "", "EOF", []string{"ECONNRESET"}, nil},
		{"amqplib opening", "OperationalError: Socket closed abruptly during opening handshake", "", "EOF", nil, nil},
		{"nodemailer closed", "```Error: Connection closed unexpectedly", "", "EOF", nil, nil},
		{"ftp client eof", "421 Service not available, remote server has closed connection.", "", "EOF", nil, nil},
		{"undici connect timeout", "[0]   cause: ConnectTimeoutError: Connect Timeout Error", "", "DEADLINE", nil, []string{"ETIMEDOUT"}},
		{"node aborted", "#0 19.00 npm verb stack Error: aborted", "", "EOF", []string{"ECONNRESET"}, nil},
		{"node write after fin", "[connection] Error: Error: This socket has been ended by the other party", "", "EPIPE", nil, nil},
		{"curl winsock abort", "error: RPC failed; curl 55 Send failure: Connection was aborted", "", "ECONNABORTED", nil, nil},
		{"pymemcache closed", `we get "MemcacheUnexpectedCloseError" and the request fails`, "", "EOF", nil, nil},
		// Names and numbers.
		{"name", "ECONNRESET", "", "ECONNRESET", nil, nil},
		{"wsa name", "WSAECONNRESET", "", "ECONNRESET", nil, nil},
		{"ewouldblock", "EWOULDBLOCK", "", "EAGAIN", nil, nil},
		{"sigpipe", "killed by SIGPIPE", "", "EPIPE", nil, nil},
		{"id", "DEADLINE", "", "DEADLINE", nil, nil},
		{"bare linux number", "104", "", "ECONNRESET", nil, nil},
		{"bare bsd number", "54", "", "ECONNRESET", nil, nil},
		{"bare number with os", "60", "darwin", "ETIMEDOUT", nil, nil},
		{"errno context", "send failed, errno=32", "", "EPIPE", nil, nil},
		{"wsa number", "socket error WSA 10054", "", "ECONNRESET", nil, nil},
		{"two errors", "first: connection refused; then: broken pipe", "", "ECONNREFUSED", []string{"EPIPE"}, nil},
		// The sixth corpus batch's training misses, in their families.
		{"curl h2 cut", "curl: (18) HTTP/2 stream 1 was not closed cleanly before end of the underlying stream", "", "EOF", nil, nil},
		{"curl h2 cut conn", "curl: (92) HTTP/2 stream 7 was not closed cleanly before end of the underlying connection", "", "EOF", nil, nil},
		{"curl h2 rst", "error: RPC failed; curl 92 HTTP/2 stream 5 was not closed cleanly: PROTOCOL_ERROR (err 1)", "", "RST_STREAM", nil, nil},
		{"curl h2 rst new", "curl: (92) HTTP/2 stream 1 reset by server (error 0x2 INTERNAL_ERROR)", "", "RST_STREAM", nil, nil},
		{"curl chunked cut", "error: RPC failed; curl 18 transfer closed with outstanding read data remaining", "", "EOF", nil, nil},
		{"curl length cut", "curl: (18) transfer closed with 1432 bytes remaining to read", "", "EOF", nil, nil},
		{"curl windows send reset", "error: RPC failed; curl 56 Send failure: Connection was reset", "", "ECONNRESET", nil, nil},
		{"apache status line eof", "[proxy_http:error] [pid 7:tid 9] (20014)Internal error (specific information not available): [client 198.18.0.7:56870] AH01102: error reading status line from remote server 198.18.0.9:9001", "", "EOF", nil, nil},
		{"apache status line reset", "(104)Connection reset by peer: [client 198.18.0.7:5] AH01102: error reading status line from remote server 198.18.0.9:80", "", "ECONNRESET", nil, nil},
		{"nginx ssl handshake eof", "peer closed connection in SSL handshake while SSL handshaking to upstream", "", "EOF", nil, nil},
		{"nginx ssl handshake reset", "peer closed connection in SSL handshake (104: Connection reset by peer) while SSL handshaking, client: 198.18.0.7", "", "ECONNRESET", nil, nil},
		{"envoy remote reset", "reset reason: remote reset", "", "RST_STREAM", nil, []string{"ECONNRESET"}},
		{"envoy refused stream", "upstream_reset_before_response_started{remote_refused_stream_reset}", "", "REFUSED_STREAM", nil, nil},
		{"envoy details refused", "upstream_reset_before_response_started{remote_connection_failure,delayed_connect_error:_111", "", "ECONNREFUSED", nil, nil},
		{"envoy details unreachable", "reset reason: remote connection failure, transport failure reason: delayed connect error: 113", "", "EHOSTUNREACH", nil, nil},
		{"envoy route timeout", "upstream request timeout", "", "DEADLINE", nil, nil},
		{"chrome h2 protocol", "Failed to load resource: net::ERR_HTTP2_PROTOCOL_ERROR", "", "RST_STREAM", nil, nil},
		{"varnish first byte", "Error 503 first byte timeout", "", "DEADLINE", nil, nil},
		{"hyper incomplete", "source: hyper::Error(IncompleteMessage)", "", "EOF", nil, nil},
		{"rustls no close_notify", `Custom { kind: UnexpectedEof, error: "peer closed connection without sending TLS close_notify: https://docs.rs/rustls" }`, "", "TLS_NO_CLOSE_NOTIFY", nil, nil},
		{"erlang ssl_closed", "Unexpected message: {:ssl_closed, {:sslsocket, {:gen_tcp, #Port<0.7>, :tls_connection, :undefined}, []}}", "", "EOF", nil, nil},
		{"dart header cut", "HttpException: Connection closed before full header was received, uri = http://198.18.0.9/x", "", "EOF", nil, nil},
		{"mysql server read timeout", "[Warning] Aborted connection 23 to db: 'd' user: 'u' host: 'localhost' (Got timeout reading communication packets)", "", "DEADLINE", nil, nil},
		{"mongo php closed", "Failed to connect to: 198.18.0.9:27017: Remote server has closed the connection", "", "EOF", nil, nil},
		{"gocql timeout", "gocql: no response received from cassandra within timeout period", "", "DEADLINE", nil, nil},
		{"datastax closed", "ClosedConnectionException: Lost connection to remote peer", "", "EOF", nil, nil},
		{"grpc-go keepalive", `Closing: connection error: desc = "keepalive ping failed to receive ACK within timeout"`, "", "DEADLINE", nil, nil},
		{"go h2 lost ping", "error: http2: client connection lost", "", "DEADLINE", nil, []string{"GOAWAY"}},
		{"yamux keepalive", "[ERR] yamux: keepalive failed: i/o deadline reached", "", "DEADLINE", nil, nil},
		{"openssh closed by remote", "Connection to gin.g-node.org closed by remote host.", "", "EOF", nil, nil},
		// The eighth batch's.
		{"kubectl refused placeholder", "The connection to the server <server-name:port> was refused - did you specify the right host or port?", "", "ECONNREFUSED", nil, nil},
		{"jenkins channel eof", "java.io.IOException: Unexpected termination of the channel", "", "EOF", nil, nil},
		{"openssh alias closed", "Connection to server closed by remote host.", "", "EOF", nil, nil},
		{"postgres shutting down", "FATAL:  the database system is shutting down", "", "SERVER_TERMINATED", nil, nil},
		{"python ssl eof", "EOFError: EOF occurred in violation of protocol", "", "TLS_NO_CLOSE_NOTIFY", nil, nil},
		{"mongo not connected", "MongoNotConnectedError: MongoClient must be connected to perform this operation", "", "USE_OF_CLOSED", nil, nil},
		{"node querySrv", "Error: querySrv ECONNREFUSED _mongodb._tcp.cluster0.example.net", "", "NAME_NOT_RESOLVED", nil, nil},
		{"dotnet smtp closed", "System.Net.Mail.SmtpException: net_io_connectionclosed", "", "EOF", nil, nil},
		{"javamail eof", "Could not connect to SMTP host: smtp.example.net, port: 465, response: -1", "", "EOF", nil, nil},
		{"mbedtls reset", "[io_tls] flb_io_tls.c:348 NET - Connection was reset by peer", "", "ECONNRESET", nil, nil},
		{"openvpn handshake timer", "TLS Error: TLS key negotiation failed to occur within 60 seconds (check your network connectivity)", "", "DEADLINE", nil, nil},
		{"strongswan timer", "13[IKE] establishing IKE_SA failed, peer not responding", "", "DEADLINE", nil, nil},
		{"zookeeper eof", "Unable to read additional data from server sessionid 0x1000263ea780001, likely server has closed socket, closing socket connection", "", "EOF", nil, nil},
		{"qt closed", "QAbstractSocket::RemoteHostClosedError", "", "EOF", nil, nil},
		{"qt closed text", "Remote socket: The remote host closed the connection", "", "EOF", nil, nil},
		{"gcdasyncsocket timer", `Error Domain=GCDAsyncSocketErrorDomain Code=5 "Write operation timed out"`, "", "DEADLINE", nil, []string{"ETIMEDOUT"}},
		{"windows fr refused", "Aucune connexion n’a pu être établie car l’ordinateur cible l’a expressément refusée.", "", "ECONNREFUSED", nil, nil},
		{"windows es refused", "SocketException (10061): No se puede establecer una conexión ya que el equipo de destino denegó expresamente dicha conexión.", "", "ECONNREFUSED", nil, nil},
		{"ffmpeg eof", "av_frame_read() : -541478725 'End of file'", "", "EOF", nil, nil},
		{"apple posix timeout", "Connection 1: failed to connect 1:60, reason -1", "", "ETIMEDOUT", nil, nil},
		{"haproxy l4 timeout", "Server be/web1 is DOWN, reason: Layer4 timeout check duration: 10001ms.", "", "DEADLINE", nil, nil},
		{"apple trust", "Connection 11: default TLS Trust evaluation failed(-9843)", "", "TLS_CERTIFICATE", nil, nil},
		{"grpc deadline over refused", `traces export: context deadline exceeded: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 198.18.0.9:4317: connect: connection refused"`, "", "ECONNREFUSED", []string{"DEADLINE"}, nil},
		{"deadline alone", `Post "http://198.18.0.9/x": context deadline exceeded`, "", "DEADLINE", nil, nil},
		// The ninth batch's.
		{"spaces in a pasted line", "connectex: The requested address     is not valid in its context.", "", "EADDRNOTAVAIL", nil, nil},
		{"undertow eof", "java.io.IOException: UT000128: Remote peer closed connection before all data could", "", "EOF", nil, nil},
		{"vertx closed", "io.vertx.core.http.HttpClosedException: Connection was closed", "", "EOF", nil, nil},
		{"gunicorn timer", "[2024-01-09 13:24:39 +0000] [1637] [CRITICAL] WORKER TIMEOUT (pid:7214)", "", "DEADLINE", nil, nil},
		{"uwsgi timer", "uwsgi_response_write_body_do() TIMEOUT !!!", "", "DEADLINE", nil, nil},
		{"h11 closed", "h11._util.LocalProtocolError: can't handle event type ConnectionClosed when role=SERVER and state=SEND_RESPONSE", "", "EOF", nil, nil},
		{"node premature close", "Error [ERR_STREAM_PREMATURE_CLOSE]: Premature close", "", "EOF", nil, nil},
		{"kestrel body cut", "BadHttpRequestException: Unexpected end of request content.", "", "EOF", nil, nil},
		{"fasthttp timer", `error when serving connection "198.18.0.9:9080"<->"198.18.0.7:58242": read timeout with nothing read`, "", "DEADLINE", nil, nil},
		{"reqwest timer", `reqwest::Error { kind: Request, url: "https://x.example/", source: TimedOut }`, "", "DEADLINE", nil, []string{"ETIMEDOUT"}},
		{"rust kernel timeout", `Os { code: 110, kind: TimedOut, message: "Connection timed out" }`, "", "ETIMEDOUT", nil, nil},
		{"mint closed", "** (Mint.TransportError) :closed; Mint.TransportError: :closed", "", "EOF", nil, nil},
		{"httpc closed", "Unexpected {error, socket_closed_remotely}", "", "EOF", nil, nil},
		{"symfony timer", `TransportException: Idle timeout reached for "http://198.18.0.9:8098/test".`, "", "DEADLINE", nil, nil},
		{"netty read timer", "Internal exception: io.netty.handler.timeout.ReadTimeoutException", "", "DEADLINE", nil, nil},
		{"pgbouncer server eof", "closing because: server conn crashed? (age=151s)", "", "EOF", nil, nil},
		{"botocore closed", `botocore.exceptions.ConnectionClosedError: Connection was closed before we received a valid response from endpoint URL: "https://sts.amazonaws.com/".`, "", "EOF", []string{"ECONNRESET"}, nil},
		{"grpc endpoint read reset", `Endpoint read failed","grpc_status":14,"referenced_errors":[{"description":"Connection reset by peer"`, "", "ECONNRESET", nil, nil},
		{"kafkajs timer", `{"logger":"kafkajs","message":"[Connection] Connection timeout","broker":"kafka1:9092"}`, "", "DEADLINE", nil, nil},
		{"kafka-python eof", "<BrokerConnection host=kafka/198.18.0.9 port=9092>: socket disconnected", "", "EOF", nil, nil},
		{"neo4j eof", "ServiceUnavailableException: Connection to the database terminated. This can happen due to network instabilities", "", "EOF", nil, nil},
		{"java unresolved", "PulsarClientException: java.nio.channels.UnresolvedAddressException", "", "NAME_NOT_RESOLVED", nil, nil},
		{"grpc-js connect timer", "Error: Failed to connect before the deadline", "", "DEADLINE", nil, nil},
		{"npm socket timer", "npm ERR! network request to https://registry.example/x.tgz failed, reason: Socket timeout", "", "DEADLINE", nil, nil},
		{"request socket timer", `error An unexpected error occurred: "https://registry.yarnpkg.com/x.tgz: ESOCKETTIMEDOUT".`, "", "DEADLINE", nil, []string{"ETIMEDOUT"}},
		{"go closed pipe", "proxy/http: failed to read response from x.example > io: read/write on closed pipe", "", "USE_OF_CLOSED", nil, nil},
		{"go dns timeout", `dial tcp: lookup goproxy.cn on 198.18.0.53:53: read udp 198.18.0.7:40001->198.18.0.53:53: i/o timeout`, "", "NAME_NOT_RESOLVED", []string{"DEADLINE"}, nil},
		// The tenth batch's.
		{"oracle eof", "cx_Oracle.OperationalError: ORA-03113: end-of-file on communication channel", "", "EOF", nil, nil},
		{"oracle thin eof", "NJS-521: connection to host db.example port 1521 received end-of-file on communication channel.", "", "EOF", nil, nil},
		{"ojdbc eof", "java.sql.SQLRecoverableException: No more data to read from socket", "", "EOF", nil, nil},
		{"oracle no listener", "ORA-12541: TNS:no listener", "", "ECONNREFUSED", nil, nil},
		{"oracle connect timer", "DatabaseError: ORA-12170: TNS:Connect timeout occurred", "", "DEADLINE", nil, nil},
		{"oracle killed", "ORA-00028: your session has been killed", "", "SERVER_TERMINATED", nil, nil},
		{"msodbc winsock reset", "[Microsoft][ODBC Driver 17 for SQL Server]TCP Provider: Error code 0x2746", "", "ECONNRESET", nil, nil},
		{"msodbc linux reset", "Sqlcmd: Error: Microsoft ODBC Driver 17 for SQL Server : TCP Provider: Error code 0x68.", "", "ECONNRESET", nil, nil},
		{"undertow closed stream", "java.io.IOException: UT010029: Stream is closed", "", "USE_OF_CLOSED", nil, []string{"EOF"}},
		{"tornado closed", "tornado.iostream.StreamClosedError: Stream is closed", "", "EOF", nil, nil},
		{"twisted lost", "twisted.internet.error.ConnectionLost: Connection to the other side was lost in a non-clean fashion.", "", "ECONNRESET", nil, nil},
		{"twisted done", "twisted.internet.error.ConnectionDone: Connection was closed cleanly.", "", "EOF", nil, nil},
		{"winrm refused", "The client cannot connect to the destination specified in the request. Verify that the service on the destination is running", "", "ECONNREFUSED", nil, nil},
		{"ldap down", "ldap_sasl_bind(SIMPLE): Can't contact LDAP server (-1)", "", "ECONNREFUSED", nil, nil},
		{"aiohttp body cut", "aiohttp.client_exceptions.ClientPayloadError: Response payload is not completed", "", "EOF", nil, nil},
		{"ray gcs timer", "gcs_rpc_client.h:202: Failed to connect to GCS at address 198.18.0.9:6379 within 5 seconds.", "", "DEADLINE", nil, nil},
		{"websocket-client eof", "Connection to remote host was lost.", "", "EOF", nil, nil},
		// The eleventh batch's.
		{"rust io aborted", "IO error: connection aborted", "", "ECONNABORTED", nil, nil},
		{"libpq ssl eof", "PG::UnableToSend: SSL connection has been closed unexpectedly", "", "EOF", nil, nil},
		{"freetds timer", "SQLSTATE[HY000]: General error: 20003 Adaptive Server connection timed out [20003] (severity 6)", "", "DEADLINE", nil, nil},
		{"go-redis pool timer", "redis: connection pool timeout", "", "DEADLINE", nil, nil},
		{"librdkafka eof", "[kafka] consumer error 198.18.0.9:9092/3: Disconnected (after 307230ms in state UP)", "", "EOF", nil, nil},
		{"h2 remote reset", "hyper::Error(Http2, Error { kind: Reset(StreamId(1), PROTOCOL_ERROR, Remote) })", "", "RST_STREAM", nil, nil},
		// The twelfth batch's.
		{"lettuce closed", "io.lettuce.core.RedisException: Connection is deallocated and cannot be used anymore.", "", "USE_OF_CLOSED", nil, nil},
		{"node-redis eof", "Redis Client Error SocketClosedUnexpectedlyError: Socket closed unexpectedly", "", "EOF", nil, nil},
		{"prisma eof", "Error: P1017: Server has closed the connection.", "", "EOF", nil, nil},
		{"redisson timer", "org.redisson.client.RedisTimeoutException: Redis server response timeout (3000 ms) occured for command: (EXISTS)", "", "DEADLINE", nil, nil},
		{"ioredis closed", "Error: Connection is closed.", "", "USE_OF_CLOSED", nil, nil},
		{"pgjdbc closed", "org.postgresql.util.PSQLException: This connection has been closed.", "", "USE_OF_CLOSED", nil, nil},
		{"dbcp timer", "java.sql.SQLException: Cannot get a connection, pool error Timeout waiting for idle object", "", "DEADLINE", nil, nil},
		{"pgjdbc wrapper yields", "PSQLException: An I/O error occurred while sending to the backend. Caused by: java.net.SocketException: Connection reset", "", "ECONNRESET", nil, nil},
	}
	b := load(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := b.Match(tt.input, Options{OS: tt.os})
			if len(fs) == 0 {
				t.Fatalf("no findings for %q", tt.input)
			}
			ids := map[string]bool{}
			for _, f := range fs {
				ids[f.ID] = true
			}
			if fs[0].ID != tt.want {
				t.Errorf("first finding %s (evidence %+v), want %s; all: %v", fs[0].ID, fs[0].Evidence, tt.want, idsOf(fs))
			}
			for _, id := range tt.also {
				if !ids[id] {
					t.Errorf("%s not found; all: %v", id, idsOf(fs))
				}
			}
			for _, id := range tt.not {
				if ids[id] {
					t.Errorf("%s found, want it absent; all: %v", id, idsOf(fs))
				}
			}
			for _, f := range fs {
				for _, ev := range f.Evidence {
					if ev.Offset < 0 || ev.Offset > len(tt.input) || ev.Match == "" {
						t.Errorf("%s: bad evidence %+v", f.ID, ev)
					}
				}
			}
		})
	}
}

func idsOf(fs []Finding) []string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.ID)
	}
	return ids
}

// TestBareNumberCandidates: a number alone, without --os, lists what it
// means on every OS that uses it.
func TestBareNumberCandidates(t *testing.T) {
	b := load(t)
	fs := b.Match("32", Options{})
	if len(fs) != 1 || fs[0].ID != "EPIPE" {
		t.Fatalf("32: %v, want EPIPE", idsOf(fs))
	}
	oses := map[string]bool{}
	for _, ev := range fs[0].Evidence {
		oses[ev.OS] = true
	}
	for _, os := range []string{Linux, Darwin, FreeBSD} {
		if !oses[os] {
			t.Errorf("32: no candidate for %s: %+v", os, fs[0].Evidence)
		}
	}
	if fs := b.Match("104", Options{OS: Darwin}); len(fs) != 0 {
		t.Errorf("104 on darwin: %v, want nothing (104 is ENOTRECOVERABLE there, not a connection error)", idsOf(fs))
	}
}

func TestNoMatch(t *testing.T) {
	b := load(t)
	// HTTP statuses of 4xx are answers, not connection ends: explain gives
	// none (docs/explain.md).
	for _, in := range []string{"", "all is well", "200 OK", "error 404 not found", "EOFish", "ECONNRESETX", "\xff\xfe",
		"HTTP/1.1 400 Bad Request", "401 Unauthorized", "403 Forbidden", "HTTP/1.1 404 Not Found",
		"Request failed with status code 400", "429 Too Many Requests",
		// A close by the program itself, which says who and not where.
		"Connection closed by user", "Connection closed by application"} {
		if fs := b.Match(in, Options{}); len(fs) != 0 {
			t.Errorf("%q: found %v", in, idsOf(fs))
		}
	}
	r := b.Explain("ECONNRESTE", Options{})
	if len(r.Findings) != 0 || len(r.Nearest) == 0 || r.Nearest[0].ID != "ECONNRESET" {
		t.Errorf("ECONNRESTE: findings %v, nearest %v; want none and ECONNRESET first", idsOf(r.Findings), r.Nearest)
	}
	var out bytes.Buffer
	if err := r.WriteText(&out); err != nil || !strings.HasPrefix(out.String(), "no known error found\n") {
		t.Errorf("text for unknown input: %q, %v", out.String(), err)
	}
}

func TestWriteJSON(t *testing.T) {
	b := load(t)
	var out bytes.Buffer
	if err := b.Explain("curl: (56) Recv failure: Connection reset by peer", Options{}).WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version  int
		Found    bool
		Findings []struct {
			ID       string
			Evidence []Evidence
			Entry    Entry
		}
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if doc.Version != JSONVersion || !doc.Found || len(doc.Findings) == 0 || doc.Findings[0].ID != "ECONNRESET" ||
		doc.Findings[0].Entry.Wire.Event != "RST" || len(doc.Findings[0].Evidence) == 0 {
		t.Errorf("unexpected document: %s", out.String())
	}
}

func FuzzMatch(f *testing.F) {
	for _, s := range []string{"read: connection reset by peer", "104", "SD--", "UC,URX", "curl: (56)",
		"[Errno 32] Broken pipe", "断开的管道", "errno=", "(104: ", "ERROR 2013 (", "\xffECONNRESET", "WSA 99999",
		"cURL error 28: ", "curl error (7) curl error 999:", "NSURLErrorDomain Code=-1005", "The connection to the server [::1]:6443 was refused",
		"connection  reset\tby   peer", "FATAL:  \t the database system is shutting down", "connection {n} to  \t closed"} {
		f.Add(s, "")
	}
	f.Add("60", "darwin")
	b, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in, os string) {
		r := b.Explain(in, Options{OS: os})
		for _, fd := range r.Findings {
			if fd.Entry == nil || len(fd.Evidence) == 0 {
				t.Fatalf("finding without entry or evidence: %+v", fd)
			}
			for _, ev := range fd.Evidence {
				if ev.Offset < 0 || ev.Offset+len(ev.Match) > len(in) {
					t.Fatalf("evidence outside the input: %+v", ev)
				}
				if utf8.ValidString(in) && in[ev.Offset:ev.Offset+len(ev.Match)] != ev.Match {
					t.Fatalf("evidence %q is not the input at %d", ev.Match, ev.Offset)
				}
			}
		}
		var out bytes.Buffer
		if err := r.WriteText(&out); err != nil {
			t.Fatal(err)
		}
		if err := r.WriteJSON(&out); err != nil {
			t.Fatal(err)
		}
	})
}

// TestDeterministic builds the index several times (map iteration order
// differs each time) and checks the output does not change.
func TestDeterministic(t *testing.T) {
	eb, _ := dataFS.ReadFile("data/errors.json")
	lb, _ := dataFS.ReadFile("data/glibc-l10n.json")
	inputs := []string{"60", "32", "curl: (7) Couldn't connect to server", "UC", "SD--", "ECONNRESTE", "Unavailable"}
	var first []string
	for i := 0; i < 8; i++ {
		b, err := parse(eb, lb)
		if err != nil {
			t.Fatal(err)
		}
		for k, in := range inputs {
			var out bytes.Buffer
			if err := b.Explain(in, Options{}).WriteText(&out); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = append(first, out.String())
			} else if out.String() != first[k] {
				t.Fatalf("%q: output changed between builds:\n%s\n---\n%s", in, first[k], out.String())
			}
		}
	}
}

// TestLargeInput feeds a log that repeats lines many times: the matcher
// must stay linear (evidence is counted a bounded number of times) and
// still find every error once.
func TestLargeInput(t *testing.T) {
	b := load(t)
	line := "read tcp 10.0.0.1:5432->10.0.0.2:80: read: connection reset by peer errno=104 EOF SD-- UC curl: (56)\n"
	in := strings.Repeat(line, maxInput/len(line)+10)
	fs := b.Match(in, Options{})
	if len(fs) == 0 || fs[0].ID != "ECONNRESET" {
		t.Fatalf("found %v, want ECONNRESET first", idsOf(fs))
	}
	for _, f := range fs {
		if len(f.Evidence) > 8*maxRepeats {
			t.Errorf("%s: %d pieces of evidence, want them bounded", f.ID, len(f.Evidence))
		}
	}
}

func TestSpacedPrefixLen(t *testing.T) {
	tests := []struct {
		s, key string
		want   int
	}{
		{"connection reset by peer", "connection reset", 16},
		{"connection   reset by peer", "connection reset", 18},
		{"connection\treset", "connection reset", 16},
		{"connectionreset", "connection reset", -1},
		{"connection", "connection reset", -1},
		{"fatal:  the", "fatal:  the", 11},
		{"fatal: the", "fatal:  the", -1},
		{"", "x", -1},
	}
	for _, tt := range tests {
		if got := spacedPrefixLen(tt.s, tt.key); got != tt.want {
			t.Errorf("spacedPrefixLen(%q, %q) = %d, want %d", tt.s, tt.key, got, tt.want)
		}
	}
}
