package explain

import (
	"strings"
	"testing"
)

// notTeardown are the entries for errors that end no connection: a name
// that did not resolve, a certificate the handshake rejected. Their lines
// must be explained as what they are, never given a socket errno.
var notTeardown = []string{"NAME_NOT_RESOLVED", "TLS_CERTIFICATE"}

func TestNotTeardownEntries(t *testing.T) {
	b := load(t)
	for _, id := range notTeardown {
		e, ok := b.Entry(id)
		if !ok {
			t.Errorf("entry %s is missing", id)
			continue
		}
		switch {
		case !strings.HasPrefix(e.Title, "Not a teardown"):
			t.Errorf("%s: title %q does not say it is not a teardown", id, e.Title)
		case e.Kind != "other" || e.Wire.Event != "local":
			t.Errorf("%s: kind %s, wire %s; want other, local", id, e.Kind, e.Wire.Event)
		case len(e.Names) != 0 || len(e.Numbers) != 0:
			t.Errorf("%s carries errno names %v or numbers %v", id, e.Names, e.Numbers)
		}
	}
}

// TestNotTeardownNoErrno feeds lines of the non-teardown families,
// including ones that print numbers an errno table would take ("[Errno
// -3]", "errno=0", Windows' 11001), and checks that no finding is an errno
// entry.
func TestNotTeardownNoErrno(t *testing.T) {
	b := load(t)
	for _, in := range []string{
		"socket.gaierror: [Errno -3] Temporary failure in name resolution",
		"urllib3.exceptions.NewConnectionError: Failed to establish a new connection: [Errno -2] Name or service not known",
		"getaddrinfo failed [Errno 11001]: No such host is known",
		"Error: getaddrinfo EAI_AGAIN db.internal",
		"dial tcp: lookup db.internal on 198.18.0.53:53: server misbehaving",
		"SSL_connect returned=1 errno=0 state=error: certificate verify failed (unable to get local issuer certificate)",
		"X509VerifyResult { code: 20, error: \"unable to get local issuer certificate\" }",
		"curl: (60) SSL certificate problem: self-signed certificate",
	} {
		for _, f := range b.Match(in, Options{}) {
			if len(f.Entry.Numbers) != 0 {
				t.Errorf("%q: found errno entry %s; all %v", in, f.ID, idsOf(b.Match(in, Options{})))
			}
		}
	}
}
