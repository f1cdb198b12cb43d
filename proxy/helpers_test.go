package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lbgen/lbgen/model"
)

const healthPath = "/app/health"

func dur(d time.Duration) model.Duration { return model.Duration(d) }

// testCluster is a normalised cluster on path /app with cookie SID, one
// public listener on a free loopback port and health checks so rare they
// never run; tests change what they exercise.
func testCluster(nodes ...model.Node) *model.Cluster {
	c := &model.Cluster{
		Version:  1,
		Name:     "t",
		Path:     "/app",
		Sticky:   model.Sticky{Cookie: "SID"},
		Listen:   []model.Listener{{Addr: "127.0.0.1:0"}},
		Timeouts: model.Timeouts{Connect: dur(500 * time.Millisecond), Read: dur(2 * time.Second), Tunnel: dur(5 * time.Second)},
		Health:   model.Health{Path: healthPath, Interval: dur(time.Hour)},
		Nodes:    nodes,
	}
	c.Normalize()
	return c
}

// syncBuffer collects log lines from concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startProxy starts a proxy for c and shuts it down when the test ends.
func startProxy(t *testing.T, c *model.Cluster) (*Proxy, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	p, err := New(c, Options{Log: logs})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return p, logs
}

// seen is what a test backend reports about the request it received.
type seen struct {
	Node   string
	Method string
	URI    string
	Host   string
	TLS    bool
	Header http.Header
	Remote string
	Len    int
	Sum    string
}

// backend is a test node: it answers with what it saw, serves health
// checks with a settable status, a WebSocket echo, /app/big?n=N (N bytes)
// and /app/slow?ms=N.
type backend struct {
	name   string
	srv    *httptest.Server
	port   int
	hits   atomic.Int64 // requests other than health checks
	health atomic.Int64 // health requests
	status atomic.Int64 // health status to answer
	hostMu sync.Mutex
	hosts  []string // Host headers of health requests
}

func newBackend(t *testing.T, name string) *backend {
	return startBackend(t, name, httptest.NewServer)
}

func newTLSBackend(t *testing.T, name string) *backend {
	return startBackend(t, name, httptest.NewTLSServer)
}

func startBackend(t *testing.T, name string, start func(http.Handler) *httptest.Server) *backend {
	t.Helper()
	b := &backend{name: name}
	b.status.Store(http.StatusOK)
	b.srv = start(b)
	t.Cleanup(b.srv.Close)
	b.port = b.srv.Listener.Addr().(*net.TCPAddr).Port
	return b
}

func (b *backend) node() model.Node { return loopbackNode(b.name, b.port) }

// kill closes the backend, so connecting to it is refused.
func (b *backend) kill() { b.srv.Close() }

func (b *backend) healthHosts() []string {
	b.hostMu.Lock()
	defer b.hostMu.Unlock()
	return append([]string(nil), b.hosts...)
}

func (b *backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Node", b.name)
	if r.URL.Path == healthPath {
		b.health.Add(1)
		b.hostMu.Lock()
		b.hosts = append(b.hosts, r.Host)
		b.hostMu.Unlock()
		w.WriteHeader(int(b.status.Load()))
		fmt.Fprint(w, b.name)
		return
	}
	b.hits.Add(1)
	if isWebSocket(r.Header) && strings.EqualFold(r.Header.Get("Connection"), "upgrade") {
		wsEcho(w, r)
		return
	}
	switch r.URL.Path {
	case "/app/big":
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Write(bytes.Repeat([]byte("x"), n))
		return
	case "/app/slow":
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	body, _ := io.ReadAll(r.Body)
	sum := sha256.Sum256(body)
	json.NewEncoder(w).Encode(seen{
		Node: b.name, Method: r.Method, URI: r.RequestURI, Host: r.Host, TLS: r.TLS != nil,
		Header: r.Header, Remote: r.RemoteAddr, Len: len(body), Sum: hex.EncodeToString(sum[:]),
	})
}

// serveFunc starts a node answering with h.
func serveFunc(t *testing.T, name string, h http.HandlerFunc) model.Node {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return loopbackNode(name, srv.Listener.Addr().(*net.TCPAddr).Port)
}

// result is a client's view of one answer.
type result struct {
	status int
	node   string // X-Node header
	seen   seen   // decoded when the node answered with JSON
	body   string
}

func newClient(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// send sends one request through the proxy; header is "Name: value" pairs.
func send(t *testing.T, client *http.Client, method, url string, body io.Reader, header ...string) result {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range header {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Add(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	r := result{status: res.StatusCode, node: res.Header.Get("X-Node"), body: string(raw)}
	_ = json.Unmarshal(raw, &r.seen)
	return r
}

func get(t *testing.T, client *http.Client, url string, header ...string) result {
	t.Helper()
	return send(t, client, http.MethodGet, url, nil, header...)
}

// rawExchange writes raw bytes to addr and reads one final response.
func rawExchange(t *testing.T, addr, request string) *http.Response {
	t.Helper()
	c := dialRaw(t, addr)
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(c.br, nil)
	for err == nil && res.StatusCode == http.StatusContinue {
		res, err = http.ReadResponse(c.br, nil)
	}
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res
}

// rawBackend is a node written on a bare socket: it records each request
// head exactly as received and answers 200 with X-Node.
type rawBackend struct {
	name  string
	ln    net.Listener
	heads chan string
}

func newRawBackend(t *testing.T, name string) *rawBackend {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rb := &rawBackend{name: name, ln: ln, heads: make(chan string, 16)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go rb.serve(conn)
		}
	}()
	return rb
}

func (rb *rawBackend) serve(conn net.Conn) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	for {
		var head strings.Builder
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			head.WriteString(line)
			if line == "\r\n" {
				break
			}
		}
		rb.heads <- head.String()
		fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nX-Node: %s\r\nContent-Length: 0\r\n\r\n", rb.name)
	}
}

func (rb *rawBackend) node() model.Node {
	return loopbackNode(rb.name, rb.ln.Addr().(*net.TCPAddr).Port)
}

// hungBackend accepts connections and never answers.
func hungBackend(t *testing.T, name string) model.Node {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			go io.Copy(io.Discard, conn)
		}
	}()
	return loopbackNode(name, ln.Addr().(*net.TCPAddr).Port)
}

func loopbackNode(name string, port int) model.Node {
	return model.Node{Name: name, Host: "127.0.0.1", Port: port, Weight: 1, State: model.StateActive}
}

// refusedPort returns a loopback port nothing listens on.
func refusedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// WebSocket, just enough of RFC 6455 for tests: small frames only.

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// wsEcho completes the handshake and echoes every frame until the peer
// goes away, except "sink…" frames, which get no answer, and "push N",
// answered by N frames 100ms apart.
func wsEcho(w http.ResponseWriter, r *http.Request) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Node: %s\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		w.Header().Get("X-Node"), wsAccept(r.Header.Get("Sec-WebSocket-Key")))
	brw.Flush()
	for {
		msg, err := wsRead(brw)
		if err != nil {
			return
		}
		var n int
		switch _, err := fmt.Sscanf(string(msg), "push %d", &n); {
		case bytes.HasPrefix(msg, []byte("sink")):
		case err == nil:
			for i := range n {
				time.Sleep(100 * time.Millisecond)
				if err := wsWrite(conn, fmt.Appendf(nil, "push %d", i), false); err != nil {
					return
				}
			}
		default:
			if err := wsWrite(conn, msg, false); err != nil {
				return
			}
		}
	}
}

func wsWrite(w io.Writer, payload []byte, mask bool) error {
	if len(payload) > 125 {
		return errors.New("test frames are short")
	}
	frame := []byte{0x81, byte(len(payload))}
	if !mask {
		_, err := w.Write(append(frame, payload...))
		return err
	}
	key := []byte{1, 2, 3, 4}
	frame[1] |= 0x80
	frame = append(frame, key...)
	for i, b := range payload {
		frame = append(frame, b^key[i%4])
	}
	_, err := w.Write(frame)
	return err
}

func wsRead(r io.Reader) ([]byte, error) {
	var head [2]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	n := int(head[1] & 0x7f)
	if n == 126 {
		var ext [2]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return nil, err
		}
		n = int(binary.BigEndian.Uint16(ext[:]))
	}
	var key [4]byte
	masked := head[1]&0x80 != 0
	if masked {
		if _, err := io.ReadFull(r, key[:]); err != nil {
			return nil, err
		}
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, err
	}
	if masked {
		for i := range payload {
			payload[i] ^= key[i%4]
		}
	}
	return payload, nil
}

// wsConn is the client side of a tunnel through the proxy.
type wsConn struct {
	net.Conn
	br  *bufio.Reader
	res *http.Response
}

// wsDial sends an upgrade request to the proxy at addr and reads the answer.
func wsDial(t *testing.T, addr, path string, header ...string) *wsConn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n"
	for _, h := range header {
		req += h + "\r\n"
	}
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading handshake: %v", err)
	}
	if res.StatusCode == http.StatusSwitchingProtocols && res.Header.Get("Sec-WebSocket-Accept") != wsAccept(key) {
		t.Fatalf("Sec-WebSocket-Accept = %q", res.Header.Get("Sec-WebSocket-Accept"))
	}
	conn.SetDeadline(time.Time{})
	return &wsConn{Conn: conn, br: br, res: res}
}

// echo sends msg and returns what comes back.
func (c *wsConn) echo(t *testing.T, msg string) string {
	t.Helper()
	c.send(t, msg)
	return c.receive(t)
}

func (c *wsConn) send(t *testing.T, msg string) {
	t.Helper()
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := wsWrite(c, []byte(msg), true); err != nil {
		t.Fatalf("write frame: %v", err)
	}
}

func (c *wsConn) receive(t *testing.T) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := wsRead(c.br)
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	return string(got)
}

// selfSigned writes a certificate for 127.0.0.1 and its key to dir and
// returns their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "lbgen test"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
	cert, _ := x509.ParseCertificate(der)
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return certFile, keyFile, roots
}

func writePEM(t *testing.T, file, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func tlsClient(t *testing.T, roots *x509.CertPool) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// eventually polls cond until it holds or d has passed.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
