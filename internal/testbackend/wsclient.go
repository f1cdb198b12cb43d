package testbackend

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

const (
	// clientMaxMessage bounds messages Recv assembles in memory.
	clientMaxMessage = 64 << 20
	// maxErrorBody bounds the body kept from a failed handshake.
	maxErrorBody = 1 << 20
	// closeTimeout bounds how long Close waits for the peer's close frame.
	closeTimeout = time.Second
)

// errCloseSent is returned by writes after the close frame was sent.
var errCloseSent = errors.New("websocket: close frame already sent")

// CloseError reports a close frame received from the peer.
type CloseError struct {
	Code   int // 1005 (no status) if the frame had none
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("websocket: closed by peer: %d %s", e.Code, e.Reason)
}

// WSConn is the client side of a WebSocket connection. Send may run
// concurrently with Recv; Recv must not run concurrently with itself.
type WSConn struct {
	conn net.Conn
	br   *bufio.Reader

	rmu        sync.Mutex // serialises reading (Recv, Close)
	peerClosed bool       // guarded by rmu

	wmu       sync.Mutex // serialises writing (Send, pongs, close frames)
	closeSent bool       // guarded by wmu

	closeOnce sync.Once
	closeErr  error
}

// DialWebSocket connects to a ws:// or wss:// URL and performs the opening
// handshake, sending header as extra request headers (a "Host" entry
// overrides the Host header). wss does not verify certificates, which are
// expected to be local and self-signed. The response is returned whenever
// one was read, also when the status is not 101, with its body readable.
func DialWebSocket(ctx context.Context, rawURL string, header http.Header) (*WSConn, *http.Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("websocket: %w", err)
	}
	nc, err := dial(ctx, u)
	if err != nil {
		return nil, nil, fmt.Errorf("websocket: %w", err)
	}
	ws, resp, err := handshake(ctx, nc, u, header)
	if err != nil {
		nc.Close()
		return nil, resp, err
	}
	return ws, resp, nil
}

func dial(ctx context.Context, u *url.URL) (net.Conn, error) {
	host, port := u.Hostname(), u.Port()
	switch u.Scheme {
	case "ws":
		if port == "" {
			port = "80"
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	case "wss":
		if port == "" {
			port = "443"
		}
		d := tls.Dialer{Config: &tls.Config{
			InsecureSkipVerify: true, // test servers use self-signed certificates
			NextProtos:         []string{"http/1.1"},
		}}
		return d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	}
	return nil, fmt.Errorf("unsupported scheme %q", u.Scheme)
}

func handshake(ctx context.Context, nc net.Conn, u *url.URL, header http.Header) (*WSConn, *http.Response, error) {
	hdr := make(http.Header, len(header)+4)
	for k, v := range header {
		hdr[k] = v
	}
	key := newWebSocketKey()
	hdr.Set("Upgrade", "websocket")
	hdr.Set("Connection", "Upgrade")
	hdr.Set("Sec-WebSocket-Key", key)
	hdr.Set("Sec-WebSocket-Version", "13")
	req := &http.Request{Method: http.MethodGet, URL: u, Host: u.Host, Header: hdr}
	if h := hdr.Get("Host"); h != "" {
		req.Host = h
	}

	// Interrupt blocked I/O when ctx ends.
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	br := bufio.NewReader(nc)
	resp, err := exchange(nc, br, req)
	if !stop() {
		return nil, resp, fmt.Errorf("websocket: handshake: %w", ctx.Err())
	}
	if err != nil {
		return nil, resp, fmt.Errorf("websocket: handshake: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return nil, resp, fmt.Errorf("websocket: handshake answered %q", resp.Status)
	}
	if !headerHasToken(resp.Header, "Upgrade", "websocket") ||
		resp.Header.Get("Sec-WebSocket-Accept") != acceptKey(key) {
		return nil, resp, fmt.Errorf("websocket: handshake: bad Upgrade or Sec-WebSocket-Accept in answer")
	}
	return &WSConn{conn: nc, br: br}, resp, nil
}

// exchange sends req and reads the answer. A non-101 answer's body is read
// into memory so that it stays readable after the connection is closed.
func exchange(nc net.Conn, br *bufio.Reader, req *http.Request) (*http.Response, error) {
	if err := req.Write(nc); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(br, req)
	if err != nil || resp.StatusCode == http.StatusSwitchingProtocols {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, err
}

func newWebSocketKey() string {
	var k [16]byte
	binary.LittleEndian.PutUint64(k[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(k[8:], rand.Uint64())
	return base64.StdEncoding.EncodeToString(k[:])
}

// Send sends text as one masked text frame.
func (c *WSConn) Send(text string) error { return c.write(opText, []byte(text)) }

// Recv returns the payload of the next text or binary message, answering
// pings on the way. A close frame from the peer is answered and reported
// as *CloseError.
func (c *WSConn) Recv() (string, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	_, msg, err := readMessage(c.br, false, clientMaxMessage, c.control)
	return string(msg), err
}

// control handles a control frame; c.rmu is held.
func (c *WSConn) control(f frame) error {
	switch f.op {
	case opPing:
		if err := c.write(opPong, f.payload); !errors.Is(err, errCloseSent) {
			return err
		}
	case opClose:
		c.peerClosed = true
		c.sendClose(closeReply(f.payload))
		return parseClose(f.payload)
	}
	return nil
}

func parseClose(payload []byte) *CloseError {
	if len(payload) < 2 {
		return &CloseError{Code: 1005}
	}
	return &CloseError{Code: int(binary.BigEndian.Uint16(payload)), Reason: string(payload[2:])}
}

// SetDeadline sets the read and write deadline of the connection.
func (c *WSConn) SetDeadline(t time.Time) error { return c.conn.SetDeadline(t) }

// Close performs the close handshake, giving the peer up to a second to
// answer, then closes the connection.
func (c *WSConn) Close() error {
	c.closeOnce.Do(func() {
		// The deadline also unblocks a concurrent Recv.
		c.conn.SetDeadline(time.Now().Add(closeTimeout))
		c.sendClose(closePayload(closeNormal))
		c.rmu.Lock()
		for !c.peerClosed {
			if _, _, err := readMessage(c.br, false, clientMaxMessage, c.control); err != nil {
				break
			}
		}
		c.rmu.Unlock()
		c.closeErr = c.conn.Close()
	})
	return c.closeErr
}

// sendClose sends a close frame unless one was sent already.
func (c *WSConn) sendClose(payload []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return
	}
	c.closeSent = true
	c.conn.Write(maskedFrame(opClose, payload))
}

func (c *WSConn) write(op byte, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return errCloseSent
	}
	_, err := c.conn.Write(maskedFrame(op, payload))
	return err
}

// maskedFrame builds a client frame in one buffer; payload is not modified.
func maskedFrame(op byte, payload []byte) []byte {
	buf := appendHeader(make([]byte, 0, 14+len(payload)), op, len(payload), true)
	key := binary.LittleEndian.AppendUint32(nil, rand.Uint32())
	buf = append(buf, key...)
	start := len(buf)
	buf = append(buf, payload...)
	maskBytes([4]byte(key), buf[start:])
	return buf
}
