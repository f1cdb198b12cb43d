package proxy

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// logf writes one line to Options.Log; lines from concurrent requests
// never interleave.
func (p *Proxy) logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...) + "\n"
	p.logMu.Lock()
	defer p.logMu.Unlock()
	_, _ = io.WriteString(p.log, line)
}

// logRequest writes the line of one request:
//
//	listener=127.0.0.1:8080 method=GET uri=/cobrowse/x status=200 node=CB_Server_1 reason=sticky route=CB_Server_1 ms=1
//
// followed by err="..." when the request failed.
func (p *Proxy) logRequest(h *handler, r *http.Request, rec *recorder, ex *exchange, d time.Duration) {
	line := fmt.Sprintf("listener=%s method=%s uri=%s status=%d node=%s reason=%s route=%s ms=%d",
		field(h.label), field(r.Method), field(r.RequestURI), rec.status,
		field(ex.target()), field(ex.reason), field(ex.route), d.Milliseconds())
	if ex.err != nil {
		line += " err=" + field(ex.err.Error())
	}
	p.logf("%s", line)
}

// field formats a log value: bare when it is a plain token, quoted when
// it is empty or holds spaces, quotes, = or non-printable bytes.
func field(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == '"' || r == '=' || r >= 0x7f }) {
		return strconv.Quote(s)
	}
	return s
}
