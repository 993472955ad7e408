package explain

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestClasses covers the classes of lines issue 10 found explain wrong
// on. want is the id that must rank first; tied, when set, the ids that
// must rank first together (the input supports each equally); not, ids
// that must not be found at all.
func TestClasses(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
		tied  []string
		not   []string
	}{
		// Library texts that had no entry.
		{"okhttp", "java.io.IOException: unexpected end of stream on http://198.18.0.9/...", "EOF", nil, nil},
		{"reactor-netty before", "reactor.netty.http.client.PrematureCloseException: Connection prematurely closed BEFORE response", "EOF", nil, nil},
		{"reactor-netty during", "PrematureCloseException: Connection prematurely closed DURING response", "EOF", nil, nil},
		{"undici", "TypeError: fetch failed [cause]: SocketError: other side closed code: 'UND_ERR_SOCKET'", "EOF", nil, nil},
		{"undici code", "code: 'UND_ERR_SOCKET'", "EOF", nil, nil},
		{"aiohttp", "aiohttp.client_exceptions.ServerDisconnectedError: Server disconnected", "EOF", nil, nil},
		{"aiohttp class", "raise ServerDisconnectedError", "EOF", nil, nil},
		{"ruby", "net/protocol.rb:227:in `rbuf_fill': end of file reached (EOFError)", "EOF", nil, nil},
		{"go tls handshake timeout", `Get "https://198.18.0.9/": net/http: TLS handshake timeout`, "DEADLINE", nil, nil},
		{"go waiting for connection", "net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)", "DEADLINE", nil, []string{"CANCELED"}},
		{"go canceled", "net/http: request canceled", "CANCELED", nil, []string{"DEADLINE"}},
		{"go client timeout", `Post "http://198.18.0.9/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`, "DEADLINE", nil, nil},
		{"go idle", `Post "http://198.18.0.9/": http: server closed idle connection`, "EOF", nil, nil},
		{"gnutls 54", "error: RPC failed; curl 56 GnuTLS recv error (-54): Error in the pull function.", "ECONNRESET", nil, nil},
		{"gnutls 9", "error: RPC failed; curl 56 GnuTLS recv error (-9): A TLS packet with unexpected length was received.", "TLS_NO_CLOSE_NOTIFY", nil, nil},
		{"git hung up", "fatal: the remote end hung up unexpectedly", "EOF", nil, nil},
		{"git early eof", "fatal: early EOF", "EOF", nil, nil},
		{"git sideband", "error: unexpected disconnect while reading sideband packet", "EOF", nil, nil},
		{"curl 35 syscall", "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to 198.18.0.9:443", "", []string{"EOF", "ECONNRESET"}, nil},
		{"apache eof", "[proxy_http:error] [pid 7] (70014)End of file found: [client 198.18.0.1:5000] AH01102: error reading status line from remote server 198.18.0.9:8080", "EOF", nil, nil},
		{"grpc-node goaway", "Error: 14 UNAVAILABLE: GOAWAY received", "GOAWAY", nil, nil},
		{"go goaway", `http2: server sent GOAWAY and closed the connection; LastStreamID=1, ErrCode=NO_ERROR, debug=""`, "GOAWAY", nil, nil},
		{"h2 refused", "stream error: stream ID 3; REFUSED_STREAM", "REFUSED_STREAM", nil, nil},
		{"h2 stream", "stream error: stream ID 5; INTERNAL_ERROR; received from peer", "RST_STREAM", nil, nil},
		{"axios timeout", "AxiosError: timeout of 30000ms exceeded code: 'ECONNABORTED'", "DEADLINE", nil, nil},
		{"erlang lower case", "{error,econnrefused}", "ECONNREFUSED", nil, nil},
		{"erlang enotconn", "no match of right hand value {error,enotconn}", "ENOTCONN", nil, nil},
		{"erlang closed", "exception error: no match of right hand side value {error,closed}", "EOF", nil, nil},
		{"number in brackets", "stream_socket_client(): unable to connect to tcp://198.18.0.9:443 (Connection timed out) [110]", "ETIMEDOUT", nil, nil},
		{"bracket number alone", "failed to open socket: something went wrong [111]", "ECONNREFUSED", nil, nil},

		// Windows and .NET in other languages, wordings and cut lines.
		{"zh 10054", "SocketException: 远程主机强迫关闭了一个现有的连接。", "ECONNRESET", nil, nil},
		{"ru 10054", "System.IO.IOException: Unable to read data from the transport connection: Удаленный хост принудительно разорвал существующее подключение..", "ECONNRESET", nil, nil},
		{"es 10054", "[WinError 10054] Se ha forzado la interrupción de una conexión existente por el host remoto", "ECONNRESET", nil, nil},
		{"de 10054", "ConnectionResetError: [WinError 10054] Eine vorhandene Verbindung wurde vom Remotehost geschlossen", "ECONNRESET", nil, nil},
		{"fr 10054 typographic", "IOException: Une connexion existante a dû être fermée par l’hôte distant.", "ECONNRESET", nil, nil},
		{"ja 10054", "既存の接続はリモート ホストに強制的に切断されました。", "ECONNRESET", nil, nil},
		{"de 10053", "IOException: Eine bestehende Verbindung wurde softwaregesteuert durch den Hostcomputer abgebrochen", "ECONNABORTED", nil, nil},
		{"fr 10053", "java.net.SocketException: Une connexion établie a été abandonnée par un logiciel de votre ordinateur hôte", "ECONNABORTED", nil, nil},
		{"zh 10053", "ConnectionAbortedError: [WinError 10053] 你的主机中的软件中止了一个已建立的连接。", "ECONNABORTED", nil, nil},
		{"cut mid-word", "System.IO.IOException: Unable to write data to the transport connection: An established connection was aborted by the softw", "ECONNABORTED", nil, nil},
		{"cut en 10054", "SocketException: An existing connection was forcibly closed by the rem", "ECONNRESET", nil, nil},
		{"bare SocketException", "java.net.SocketException", "", nil, []string{"EPIPE", "ECONNRESET", "ENETUNREACH"}},

		// Ranking: the inner cause wins; local closes are local.
		{"mysql wraps reset", `pymysql.err.OperationalError: (2006, "MySQL server has gone away (ConnectionResetError(104, 'Connection reset by peer'))")`, "ECONNRESET", nil, nil},
		{"mysql wraps pipe", `(2006, "MySQL server has gone away (BrokenPipeError(32, 'Broken pipe'))")`, "EPIPE", nil, nil},
		{"mysql alone", "ERROR 2006 (HY000): MySQL server has gone away", "EOF", nil, nil},
		{"curl wraps pipe", "curl: (56) Failure when receiving data from the peer (Send failure: Broken pipe)", "EPIPE", nil, nil},
		{"curl 56 alone", "curl: (56) Failure when receiving data from the peer", "ECONNRESET", nil, nil},
		{"java socket closed", "java.net.SocketException: Socket closed\n\tat java.net.SocketInputStream.read(SocketInputStream.java:204)", "USE_OF_CLOSED", nil, []string{"EPIPE"}},
		{"grpc closing", "rpc error: code = Canceled desc = grpc: the client connection is closing", "USE_OF_CLOSED", nil, nil},
		{"axios own timer", "It gives me the `Error: timeout of 1000ms exceeded` `ECONNABORTED` error.", "DEADLINE", nil, nil},

		// Proxy logs as structured fields: plain, JSON, key=value.
		{"envoy plain UC", `[2026-11-21T05:00:00.000Z] "GET / HTTP/1.1" 503 UC upstream_reset_before_response_started{connection_termination} - 0 95 1 - "-"`, "", []string{"EOF", "ECONNRESET"}, nil},
		{"envoy json UF", `{"response_code":503,"response_flags":"UF,URX","upstream_host":"198.18.0.9:80"}`, "", []string{"ECONNREFUSED", "ETIMEDOUT", "EHOSTUNREACH"}, nil},
		{"envoy kv UT", `status=504 response_flags=UT upstream=198.18.0.9:80`, "DEADLINE", nil, nil},
		{"envoy remote reset", "upstream connect error or disconnect/reset before headers. reset reason: remote reset", "RST_STREAM", nil, nil},
		{"envoy connection failure", "upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: delayed connect error: 111", "ECONNREFUSED", nil, nil},
		{"envoy termination", "upstream connect error or disconnect/reset before headers. reset reason: connection termination", "", []string{"EOF", "ECONNRESET"}, nil},
		{"iis dropped", "HTTP/1.1 GET /mypage.asp - 1 Connection_Dropped", "", []string{"EOF", "ECONNRESET"}, nil},
		{"mosquitto lost", "1636686996: Client mqtt_0dd8 closed its connection.", "", []string{"EOF", "ECONNRESET"}, nil},
		{"mosquitto socket error", "1458741709: Socket error on client TechBubble, disconnecting.", "", []string{"EOF", "ECONNRESET"}, nil},
		{"mq broken", "IBM MQ call failed with compcode '2' ('MQCC_FAILED') reason '2009' ('MQRC_CONNECTION_BROKEN').", "", []string{"EOF", "ECONNRESET"}, nil},
		{"oracle lost contact", "ORA-12547: TNS:lost contact", "", []string{"EOF", "ECONNRESET"}, nil},
		{"windows netname deleted", "System error 64 has occurred.", "", []string{"ECONNRESET", "EOF"}, nil},
		{"kdc unreachable", "kinit: Cannot contact any KDC for realm 'EXAMPLE.NET' while getting initial credentials.", "", []string{"DEADLINE", "ECONNREFUSED"}, nil},
		{"predis read", "Predis\\Connection\\ConnectionException: Error while reading line from the server. [tcp://198.18.0.9:6379]", "", []string{"EOF", "DEADLINE"}, nil},
		{"mysqlnd send", "ErrorException: Error while sending QUERY packet. PID=22891", "", []string{"EPIPE", "ECONNRESET"}, nil},
		{"prisma unreachable", "Error: P1001: Can't reach database server at `198.18.0.9`:`3306`", "", []string{"ECONNREFUSED", "ETIMEDOUT"}, nil},
		{"pgjdbc io", "org.postgresql.util.PSQLException: An I/O error occurred while sending to the backend.", "", []string{"EOF", "ECONNRESET"}, nil},
		{"haproxy json SD", `{"status":502,"termination_state":"SD--","backend":"be"}`, "ECONNRESET", nil, nil},
		{"haproxy kv cD", `status=504 termination_state=cD-- backend=be`, "DEADLINE", nil, nil},
		{"haproxy plain sH", `198.18.0.1:5000 [21/Nov/2026:05:00:00.000] fe be/srv1 0/0/1/-1/30001 504 194 - - sH-- 1/1/0/0/0 0/0 "GET / HTTP/1.1"`, "DEADLINE", nil, nil},
		{"nginx 104", "2026/11/21 05:00:00 [error] 31#31: *1 readv() failed (104: Connection reset by peer) while reading upstream", "ECONNRESET", nil, nil},
		{"nginx no live upstreams", "2026/11/21 05:00:00 [error] 31#31: *7 no live upstreams while connecting to upstream, client: 198.18.0.1", "NO_LIVE_UPSTREAMS", nil, nil},
		{"nginx premature", "upstream prematurely closed connection while reading response header from upstream, client: 198.18.0.1", "EOF", nil, nil},
		{"nginx json", `{"level":"error","msg":"recv() failed (104: Connection reset by peer) while reading response header from upstream"}`, "ECONNRESET", nil, nil},

		// Families the grown corpus found missing (docs/explain-corpus.md).
		{"chrome reset", "Error 101 (net::ERR_CONNECTION_RESET): The connection was reset.", "ECONNRESET", nil, []string{"ENETUNREACH"}},
		{"chrome refused", "GET http://198.18.0.9:3000/api net::ERR_CONNECTION_REFUSED", "ECONNREFUSED", nil, nil},
		{"chrome closed", "Failed to load resource: net::ERR_CONNECTION_CLOSED", "EOF", nil, nil},
		{"chrome timed out", "net::ERR_CONNECTION_TIMED_OUT", "ETIMEDOUT", nil, nil},
		{"httpclient 4", "org.apache.http.NoHttpResponseException: The target server failed to respond", "EOF", nil, nil},
		{"httpclient 5", "org.apache.hc.core5.http.NoHttpResponseException: 198.18.0.9:8080 failed to respond", "EOF", nil, nil},
		{"java eof", "Caused by: java.io.EOFException: null", "EOF", nil, nil},
		{"java eof wraps reset", "java.io.EOFException: Connection reset", "ECONNRESET", nil, nil},
		{"mongodb java", "com.mongodb.MongoSocketReadException: Prematurely reached end of stream", "EOF", nil, nil},
		{"mongodb node", "MongoNetworkError: connection 3 to 198.18.0.9:27017 closed", "EOF", nil, nil},
		{"mongodb node ipv6", "MongoNetworkError: connection 12 to [2001:db8::9]:27017 closed", "EOF", nil, nil},
		{"kafka disconnected", "Error: NETWORK_EXCEPTION. Error Message: Disconnected from node 1", "", []string{"EOF", "ECONNRESET"}, nil},
		{"kafka not established", "Connection to node -1 (/198.18.0.9:9092) could not be established. Broker may not be available.", "", []string{"ECONNREFUSED", "ETIMEDOUT", "EHOSTUNREACH"}, nil},
		{"postgres admin", "FATAL:  terminating connection due to administrator command", "SERVER_TERMINATED", nil, nil},
		{"postgres admin then eof", "FATAL:  terminating connection due to administrator command\nserver closed the connection unexpectedly", "SERVER_TERMINATED", nil, nil},
		{"postgres idle", "psql:idle.sql:3: FATAL:  terminating connection due to idle-session timeout", "SERVER_TERMINATED", nil, nil},
		{"postgres de", "FATAL:  Verbindung wird abgebrochen aufgrund von Anweisung des Administrators", "SERVER_TERMINATED", nil, nil},
		{"psycopg2 class", "psycopg2.errors.AdminShutdown", "SERVER_TERMINATED", nil, nil},
		{"dotnet premature", "System.Net.Http.HttpIOException: The response ended prematurely. (ResponseEnded)", "EOF", nil, nil},
		{"cloudflare 522", "Error 522 Ray ID: 8f00000000000000 • 2026-11-21 05:00:00 UTC", "ETIMEDOUT", nil, nil},
		{"cloudflare 521", "Web server is down Error code 521", "ECONNREFUSED", nil, nil},
		{"cloudflare 520", "520: Web server is returning an unknown error", "", []string{"EOF", "ECONNRESET"}, nil},
		{"cloudflare 524", "Error 524: A timeout occurred", "DEADLINE", nil, nil},
		{"go unexpected eof", `Get "https://198.18.0.9/v2/": unexpected EOF`, "", []string{"EOF", "TLS_NO_CLOSE_NOTIFY"}, nil},

		// Not teardowns: an entry that says what happened, never an errno.
		{"go no such host", "dial tcp: lookup db.internal on 198.18.0.53:53: no such host", "NAME_NOT_RESOLVED", nil, nil},
		{"python gaierror", "socket.gaierror: [Errno -2] Name or service not known", "NAME_NOT_RESOLVED", nil, nil},
		{"python eai_again", "Failed to establish a new connection: [Errno -3] Temporary failure in name resolution", "NAME_NOT_RESOLVED", nil, []string{"EAGAIN"}},
		{"node enotfound", "Error: getaddrinfo ENOTFOUND db.internal", "NAME_NOT_RESOLVED", nil, nil},
		{"node eai_again", "Error: getaddrinfo EAI_AGAIN db.internal", "NAME_NOT_RESOLVED", nil, []string{"EAGAIN"}},
		{"java unknown host", "java.net.UnknownHostException: db.internal", "NAME_NOT_RESOLVED", nil, nil},
		{"curl 6", "curl: (6) Could not resolve host: db.internal", "NAME_NOT_RESOLVED", nil, nil},
		{"chrome dns", "Unable to load page: failed document request (net::ERR_NAME_NOT_RESOLVED)", "NAME_NOT_RESOLVED", nil, nil},
		{"go x509", `Get "https://198.18.0.9/": tls: failed to verify certificate: x509: certificate signed by unknown authority`, "TLS_CERTIFICATE", nil, nil},
		{"python verify", "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)", "TLS_CERTIFICATE", nil, nil},
		{"ruby errno 0", "SSL_connect returned=1 errno=0 state=error: certificate verify failed (unable to get local issuer certificate)", "TLS_CERTIFICATE", nil, nil},
		{"curl 60", "curl: (60) SSL certificate problem: certificate has expired", "TLS_CERTIFICATE", nil, nil},
		{"node altname", "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: IP: 198.18.0.9 is not in the cert's list", "TLS_CERTIFICATE", nil, nil},
		{"java pkix", "javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target", "TLS_CERTIFICATE", nil, nil},
		{"dotnet cert", "System.Security.Authentication.AuthenticationException: The remote certificate is invalid according to the validation procedure.", "TLS_CERTIFICATE", nil, nil},
		{"chrome cert", "NET::ERR_CERT_DATE_INVALID", "TLS_CERTIFICATE", nil, nil},
	}
	b := load(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := b.Match(tt.input, Options{})
			got := ""
			if len(fs) > 0 {
				got = fs[0].ID
			}
			tied := Tied(fs)
			switch {
			case tt.tied != nil:
				for _, id := range tt.tied {
					if !slices.Contains(tied, id) {
						t.Errorf("tied first %v, want %v among them; all %v", tied, tt.tied, idsOf(fs))
					}
				}
			case got != tt.want:
				t.Errorf("first %q, want %q; all %v (evidence %+v)", got, tt.want, idsOf(fs), fs)
			case tt.want != "" && tied != nil:
				t.Errorf("tied %v, want %s alone", tied, tt.want)
			}
			for _, f := range fs {
				if slices.Contains(tt.not, f.ID) {
					t.Errorf("%s found, want it absent; all %v", f.ID, idsOf(fs))
				}
			}
		})
	}
}

// TestTiedOutput checks that both forms say when answers are tied.
func TestTiedOutput(t *testing.T) {
	b := load(t)
	r := b.Explain("upstream_reset_before_response_started{connection termination}", Options{})
	if !slices.Equal(r.Tied, []string{"EOF", "ECONNRESET"}) {
		t.Fatalf("tied %v, want [EOF ECONNRESET]", r.Tied)
	}
	var text, js strings.Builder
	if err := r.WriteText(&text); err != nil || !strings.HasPrefix(text.String(), "equally likely: EOF, ECONNRESET") {
		t.Errorf("text %q, %v", text.String(), err)
	}
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var doc struct{ Tied []string }
	if err := json.Unmarshal([]byte(js.String()), &doc); err != nil || !slices.Equal(doc.Tied, r.Tied) {
		t.Errorf("json tied %v, %v", doc.Tied, err)
	}
	if r := b.Explain("read: connection reset by peer", Options{}); r.Tied != nil {
		t.Errorf("one answer reported as tied: %v", r.Tied)
	}
}
