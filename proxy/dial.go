package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"time"
)

// connectError marks a failure to reach a node: the node never saw the
// request, so it may be retried elsewhere and the node marked down.
type connectError struct{ err error }

func (e *connectError) Error() string { return "connect: " + e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

// dialer opens connections to nodes and fallbacks within timeouts.connect.
type dialer struct{ timeout time.Duration }

func (d dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	nd := net.Dialer{Timeout: d.timeout}
	conn, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, d.wrap(ctx, err)
	}
	return conn, nil
}

// dialTLS connects and completes the TLS handshake within the connect
// timeout: a node whose handshake fails never saw the request either.
func (d dialer) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	hctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	raw, err := d.dial(hctx, network, addr)
	if err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(addr)
	conn := tls.Client(raw, &tls.Config{
		ServerName: host,
		// Node certificates are not verified: nodes usually present
		// self-signed certificates, and the generated configs do not
		// verify them either (nginx's proxy_ssl_verify is off by default).
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS12,
		NextProtos:         []string{"http/1.1"},
	})
	if err := conn.HandshakeContext(hctx); err != nil {
		raw.Close()
		return nil, d.wrap(ctx, err)
	}
	return conn, nil
}

// wrap marks err as a connect failure unless the request was canceled,
// which says nothing about the node.
func (d dialer) wrap(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return err
	}
	return &connectError{err}
}
