package testbackend

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Answer is the JSON body of a normal (non-health, non-WebSocket) answer.
type Answer struct {
	Node            string `json:"node"`
	Method          string `json:"method"`
	URI             string `json:"uri"`               // request-target exactly as received (invalid UTF-8 becomes U+FFFD)
	Host            string `json:"host"`              // Host header, or the host of an absolute-form target
	XForwardedFor   string `json:"x_forwarded_for"`   // all values joined by ", "
	XForwardedProto string `json:"x_forwarded_proto"` // all values joined by ", "
	XForwardedHost  string `json:"x_forwarded_host"`  // all values joined by ", "
	Cookie          string `json:"cookie"`            // all Cookie headers joined by "; "
	BodyLen         int64  `json:"body_len"`
	BodySHA256      string `json:"body_sha256"`   // hex
	Conn            int64  `json:"conn"`          // id of the TCP connection
	ConnRequests    int64  `json:"conn_requests"` // requests on that connection so far
	TLS             bool   `json:"tls"`           // the request arrived over TLS
}

// ParseAnswer decodes a backend answer body, rejecting anything else.
func ParseAnswer(body []byte) (Answer, error) {
	var a Answer
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return Answer{}, fmt.Errorf("testbackend: not a backend answer: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Answer{}, errors.New("testbackend: not a backend answer: trailing data")
	}
	if a.Node == "" {
		return Answer{}, errors.New("testbackend: not a backend answer: no node")
	}
	return a, nil
}

// copyBufs avoids a 32 KiB allocation per request when hashing bodies.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// serveHTTP is the single handler: no ServeMux, so paths are never cleaned
// or redirected.
func (b *Backend) serveHTTP(w http.ResponseWriter, r *http.Request) {
	c := connFrom(r.Context())
	seq := c.requests.Add(1)
	n, sum, err := hashBody(r.Body)
	if err != nil || !b.awaitServing(r.Context()) {
		panic(http.ErrAbortHandler) // drop the connection without answering
	}
	h := w.Header()
	h.Set("X-Node", b.name)
	if b.cookieName != "" {
		if _, err := r.Cookie(b.cookieName); err != nil {
			h.Set("Set-Cookie", b.cookieName+"=."+b.name+"; Path=/")
		}
	}
	if isHealthPath(r.URL.Path) {
		b.serveHealth(w)
		return
	}
	if !b.pause(r) {
		panic(http.ErrAbortHandler)
	}
	if headerHasToken(r.Header, "Upgrade", "websocket") {
		b.serveWebSocket(w, r, c)
		return
	}
	b.serveAnswer(w, r, Answer{
		BodyLen:      n,
		BodySHA256:   hex.EncodeToString(sum),
		Conn:         c.id,
		ConnRequests: seq,
		TLS:          c.tls,
	})
}

// hashBody streams the whole request body through SHA-256.
func hashBody(body io.Reader) (int64, []byte, error) {
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	h := sha256.New()
	n, err := io.CopyBuffer(h, body, *buf)
	return n, h.Sum(nil), err
}

func isHealthPath(path string) bool {
	switch path[strings.LastIndexByte(path, '/')+1:] {
	case "health", "about", "isAlive", "ready":
		return true
	}
	return false
}

func (b *Backend) serveHealth(w http.ResponseWriter) {
	status, word := b.healthStatus, "OK"
	if !b.healthy.Load() {
		status, word = http.StatusServiceUnavailable, "DOWN"
		if b.healthStatus == status {
			status = http.StatusInternalServerError
		}
	}
	b.healthChecks.Add(1)
	b.requests.Add(1)
	if !bodyAllowed(status) {
		w.WriteHeader(status)
		return
	}
	body := word + " " + b.name + "\n"
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// bodyAllowed reports whether an answer with status may carry a body.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// pause applies SetDelay plus the sleep= query parameter. It reports false
// if the connection went away meanwhile.
func (b *Backend) pause(r *http.Request) bool {
	d := time.Duration(b.delay.Load()) + sleepParam(r.URL.RawQuery)
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// sleepParam returns the sleep=<ms> duration; malformed values count as 0.
func sleepParam(rawQuery string) time.Duration {
	if !strings.Contains(rawQuery, "sleep=") {
		return 0 // fast path: parsing the query allocates
	}
	q, _ := url.ParseQuery(rawQuery)
	ms, err := strconv.Atoi(q.Get("sleep"))
	if err != nil || ms < 0 {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

// serveAnswer completes a with the request's details and sends it.
func (b *Backend) serveAnswer(w http.ResponseWriter, r *http.Request, a Answer) {
	a.Node = b.name
	a.Method = r.Method
	a.URI = r.RequestURI
	a.Host = r.Host
	a.XForwardedFor = strings.Join(r.Header.Values("X-Forwarded-For"), ", ")
	a.XForwardedProto = strings.Join(r.Header.Values("X-Forwarded-Proto"), ", ")
	a.XForwardedHost = strings.Join(r.Header.Values("X-Forwarded-Host"), ", ")
	a.Cookie = strings.Join(r.Header.Values("Cookie"), "; ")

	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false) // keep '&' in URIs readable
	if err := enc.Encode(a); err != nil {
		panic(err) // cannot happen: Answer only has strings and ints
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(body.Len()))
	b.requests.Add(1)
	w.WriteHeader(http.StatusOK)
	w.Write(body.Bytes())
}

// headerHasToken reports whether a comma-separated header contains token,
// ignoring case.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
