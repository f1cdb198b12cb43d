package testbackend

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
)

// WebSocket opcodes (RFC 6455, section 5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// Close codes used here (RFC 6455, section 7.4.1).
const (
	closeNormal        = 1000
	closeProtocolError = 1002
	closeTooBig        = 1009
)

// serverMaxMessage bounds messages the echo server assembles in memory.
const serverMaxMessage = 16 << 20

const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// protocolError is a violation of RFC 6455 and the close code reporting it.
type protocolError struct {
	code int
	msg  string
}

func (e *protocolError) Error() string { return "websocket: " + e.msg }

// errPeerClosed ends the echo loop after the close handshake.
var errPeerClosed = errors.New("websocket: peer closed")

type frame struct {
	fin     bool
	op      byte
	payload []byte
}

// readFrame reads one frame of at most limit payload bytes. masked says
// whether the peer must mask (clients must, servers must not).
func readFrame(r *bufio.Reader, masked bool, limit int) (frame, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return frame{}, err
	}
	f := frame{fin: hdr[0]&0x80 != 0, op: hdr[0] & 0x0f}
	if hdr[0]&0x70 != 0 {
		return f, &protocolError{closeProtocolError, "reserved bits set"}
	}
	if isMasked := hdr[1]&0x80 != 0; isMasked != masked {
		return f, &protocolError{closeProtocolError, "wrong masking"}
	}
	n, err := readLength(r, hdr[1]&0x7f)
	if err != nil {
		return f, err
	}
	switch f.op {
	case opContinuation, opText, opBinary:
	case opClose, opPing, opPong:
		if !f.fin || n > 125 {
			return f, &protocolError{closeProtocolError, "bad control frame"}
		}
	default:
		return f, &protocolError{closeProtocolError, "unknown opcode"}
	}
	if n > uint64(limit) {
		return f, &protocolError{closeTooBig, "message too big"}
	}
	var key [4]byte
	if masked {
		if _, err := io.ReadFull(r, key[:]); err != nil {
			return f, err
		}
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(r, f.payload); err != nil {
		return f, err
	}
	if masked {
		maskBytes(key, f.payload)
	}
	return f, nil
}

// readLength decodes the 7-bit, 16-bit or 64-bit payload length.
func readLength(r *bufio.Reader, n7 byte) (uint64, error) {
	var ext [8]byte
	switch n7 {
	case 126:
		if _, err := io.ReadFull(r, ext[:2]); err != nil {
			return 0, err
		}
		return uint64(binary.BigEndian.Uint16(ext[:2])), nil
	case 127:
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return 0, err
		}
		n := binary.BigEndian.Uint64(ext[:])
		if n>>63 != 0 {
			return 0, &protocolError{closeProtocolError, "bad length"}
		}
		return n, nil
	}
	return uint64(n7), nil
}

// readMessage returns the next complete text or binary message, joining
// fragments. Control frames, which may arrive between fragments, go to
// onControl; an error from it ends the read.
func readMessage(r *bufio.Reader, masked bool, limit int, onControl func(frame) error) (byte, []byte, error) {
	var op byte
	var msg []byte
	for {
		f, err := readFrame(r, masked, limit-len(msg))
		if err != nil {
			return 0, nil, err
		}
		switch {
		case f.op >= opClose:
			if err := onControl(f); err != nil {
				return 0, nil, err
			}
			continue
		case f.op == opContinuation && op == 0:
			return 0, nil, &protocolError{closeProtocolError, "continuation without a message"}
		case f.op != opContinuation && op != 0:
			return 0, nil, &protocolError{closeProtocolError, "new message inside a fragmented one"}
		case f.op != opContinuation:
			op = f.op
		}
		if msg == nil && f.fin {
			return op, f.payload, nil // unfragmented: no copy
		}
		msg = append(msg, f.payload...)
		if f.fin {
			return op, msg, nil
		}
	}
}

// appendHeader appends the header of a final frame with an n-byte payload.
func appendHeader(dst []byte, op byte, n int, masked bool) []byte {
	var mask byte
	if masked {
		mask = 0x80
	}
	dst = append(dst, 0x80|op)
	switch {
	case n <= 125:
		return append(dst, mask|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, mask|126), uint16(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, mask|127), uint64(n))
}

// writeFrame writes an unmasked (server) frame whose payload is the
// concatenation of parts, then flushes.
func writeFrame(w *bufio.Writer, op byte, parts ...[]byte) error {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	var hdr [10]byte
	w.Write(appendHeader(hdr[:0], op, n, false))
	for _, p := range parts {
		w.Write(p)
	}
	return w.Flush() // bufio.Writer keeps the first write error
}

// maskBytes XORs b with the masking key, eight bytes at a time.
func maskBytes(key [4]byte, b []byte) {
	k := uint64(binary.LittleEndian.Uint32(key[:]))
	k |= k << 32
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k)
		b = b[8:]
	}
	for i := range b {
		b[i] ^= key[i&3]
	}
}

// closePayload encodes a close frame body with code and no reason.
func closePayload(code int) []byte {
	return binary.BigEndian.AppendUint16(nil, uint16(code))
}

// closeReply echoes the status code of a received close frame.
func closeReply(payload []byte) []byte {
	if len(payload) < 2 {
		return nil
	}
	return payload[:2]
}

func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + acceptGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

func validWebSocketKey(key string) bool {
	k, err := base64.StdEncoding.DecodeString(key)
	return err == nil && len(k) == 16
}

// serveWebSocket completes the handshake and runs the echo server on the
// hijacked connection.
func (b *Backend) serveWebSocket(w http.ResponseWriter, r *http.Request, c *conn) {
	key := r.Header.Get("Sec-WebSocket-Key")
	if !validWebSocketKey(key) {
		b.requests.Add(1)
		http.Error(w, "missing or invalid Sec-WebSocket-Key", http.StatusBadRequest)
		return
	}
	hdr := w.Header().Clone()
	hdr.Set("Upgrade", "websocket")
	hdr.Set("Connection", "Upgrade")
	hdr.Set("Sec-WebSocket-Accept", acceptKey(key))
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		b.requests.Add(1)
		http.Error(w, "websocket: "+err.Error(), http.StatusInternalServerError)
		return
	}
	defer c.finish()
	defer nc.Close()
	b.requests.Add(1)
	brw.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
	hdr.Write(brw)
	brw.WriteString("\r\n")
	if brw.Flush() != nil {
		return
	}
	b.echo(brw)
}

// echo answers every message with a text frame "<name>:<payload>" until the
// client closes, the connection breaks or the backend stops serving. While
// the backend hangs, answers wait.
func (b *Backend) echo(brw *bufio.ReadWriter) {
	prefix := []byte(b.name + ":")
	control := func(f frame) error {
		switch f.op {
		case opPing:
			return writeFrame(brw.Writer, opPong, f.payload)
		case opClose:
			writeFrame(brw.Writer, opClose, closeReply(f.payload))
			return errPeerClosed
		}
		return nil
	}
	for {
		_, msg, err := readMessage(brw.Reader, true, serverMaxMessage, control)
		if err != nil {
			var pe *protocolError
			if errors.As(err, &pe) {
				writeFrame(brw.Writer, opClose, closePayload(pe.code))
			}
			return
		}
		if !b.awaitServing(context.Background()) {
			return
		}
		if writeFrame(brw.Writer, opText, prefix, msg) != nil {
			return
		}
	}
}
