package proxy

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzServe sends arbitrary bytes to the proxy's HTTP server as one
// client: the server must not panic, must end the connection once the
// client has sent everything and read the answers, and what it sends back
// must be HTTP/1.1 answers.
func FuzzServe(f *testing.F) {
	for _, seed := range []string{
		"GET /app/x HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: a\r\n\r\nHEAD /b HTTP/1.1\r\nHost: a\r\n\r\nGET /flush HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\nX-T: 1\r\n\r\n",
		"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nbody",
		"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nshort",
		"GET /flush HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET /a HTTP/2.0\r\n\r\n",
		"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nX: \x00\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		logs := &syncBuffer{}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := newServer(&Proxy{log: logs}, http.HandlerFunc(fuzzHandler), ln, "fuzz")
		go s.serve()
		defer s.close()
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		go func() {
			conn.Write(in)
			conn.(*net.TCPConn).CloseWrite()
		}()
		out, err := io.ReadAll(conn)
		if err != nil && !strings.Contains(err.Error(), "reset") {
			t.Fatalf("reading the answers: %v (the server did not end the connection)", err)
		}
		if len(out) > 0 && !bytes.HasPrefix(out, []byte("HTTP/1.1 ")) {
			t.Errorf("the server sent %q, not an HTTP/1.1 answer", out[:min(len(out), 40)])
		}
		if strings.Contains(logs.String(), "panic") {
			t.Errorf("the server panicked:\n%s", logs)
		}
	})
}

// fuzzHandler reads the body and answers with the target, streamed for
// /flush.
func fuzzHandler(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Len", strings.Repeat("1", len(body)%5))
	io.WriteString(w, r.RequestURI)
	if strings.HasPrefix(r.URL.Path, "/flush") {
		w.(http.Flusher).Flush()
		io.WriteString(w, "more")
	}
}
